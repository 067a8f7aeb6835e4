-- Staging: webhook statuses of outbound messages, several per message.
select status_id, message_id, occurred_at, business_id, user_id, status, pricing_category, pricing_type,
       billable, error_codes, error_titles, load_id, line
from raw_message_statuses
