-- Staging: what the platform said about a business (ratings, limits, violations, bans, templates).
select event_id, occurred_at, business_id, event, account_id, scope, subject, old_value, new_value,
       detail, load_id, line
from raw_platform_events
