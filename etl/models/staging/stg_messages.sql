-- Staging: loaded messages, one row per message (the loader deduplicated them).
select message_id, sent_at, business_id, user_id, direction, user_country, category, template, status,
       text, load_id, line
from raw_messages
