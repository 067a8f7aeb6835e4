-- Grain: user. A user's country is the user_country of their latest message, else of their
-- latest ad event; a user with neither is in region Other (docs/metrics.md).
-- materialized: table
-- unique: user_id
-- incremental: by user_id
with from_messages as (
    select user_id, arg_max(user_country, (sent_at, message_id)) as country
    from stg_messages
    group by user_id
),

from_ads as (
    select user_id, arg_max(user_country, (occurred_at, event_id)) as country
    from stg_ad_events
    group by user_id
),

feedback_only as (
    select user_id from stg_blocks
    union select user_id from stg_reports
    union select user_id from stg_opt_outs
),

everyone as (
    select user_id from from_messages
    union select user_id from from_ads
    union select user_id from feedback_only
),

final as (
    select
        e.user_id,
        coalesce(m.country, a.country) as country,
        coalesce(k.market, 'Other') as market,
        coalesce(k.region, 'Other') as region
    from everyone as e
    left join from_messages as m using (user_id)
    left join from_ads as a using (user_id)
    left join ref_markets as k on k.country = coalesce(m.country, a.country)
)

select * from final
