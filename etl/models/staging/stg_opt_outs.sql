-- Staging: marketing opt-outs and opt-ins.
select opt_out_id, changed_at, user_id, business_id, action, load_id, line
from raw_opt_outs
