-- What an incremental build of dim_users reads after the loads above $since, and which of its rows
-- it replaces (`keep`): a user's row depends only on that user's messages, ad events, blocks,
-- reports and opt-outs, so the users the new rows name are recomputed from all of their rows and
-- every other user comes out as it was.
select distinct user_id, true as keep
from (
    select user_id from raw_messages where load_id > $since
    union all select user_id from raw_ad_events where load_id > $since
    union all select user_id from raw_blocks where load_id > $since
    union all select user_id from raw_reports where load_id > $since
    union all select user_id from raw_opt_outs where load_id > $since
)
