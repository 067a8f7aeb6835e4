-- Staging: users blocking a business.
select block_id, blocked_at, user_id, business_id, reason, load_id, line
from raw_blocks
