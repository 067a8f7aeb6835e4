-- Staging: user reports of a business.
select report_id, reported_at, user_id, business_id, reason, message_id, load_id, line
from raw_reports
