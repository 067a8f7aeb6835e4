-- Grain: one block, report or opt-out. The acting user's region follows dim_users (latest
-- country), as docs/metrics.md prescribes for feedback.
-- unique: kind, event_id
with blocks as (
    select 'block' as kind, block_id as event_id, blocked_at as at, business_id, user_id,
           reason, null::varchar as message_id
    from stg_blocks
),

reports as (
    select 'report', report_id, reported_at, business_id, user_id, reason, message_id
    from stg_reports
),

opt_outs as (
    select 'opt_out', opt_out_id, changed_at, business_id, user_id, action, null
    from stg_opt_outs
),

unioned as (
    select * from blocks
    union all select * from reports
    union all select * from opt_outs
),

final as (
    select
        u.kind,
        u.event_id,
        u.at,
        cast(u.at as date) as day,
        u.business_id,
        u.user_id,
        u.reason,
        u.message_id,
        m.template,
        d.country as user_country,
        d.region as user_region,
        d.market as user_market,
        coalesce(b.category, 'unknown') as business_category
    from unioned as u
    left join dim_users as d using (user_id)
    left join dim_businesses as b on b.business_id = u.business_id
    left join stg_messages as m on m.message_id = u.message_id
)

select * from final
