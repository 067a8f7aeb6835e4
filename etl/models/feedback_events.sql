-- Grain: one block, report or opt-out. The acting user's region follows dim_users (latest
-- country), as docs/metrics.md prescribes for feedback.
with blocks as (
    select 'block' as kind, block_id as event_id, blocked_at as at, business_id, user_id,
           reason, null::varchar as message_id
    from raw_blocks
),

reports as (
    select 'report', report_id, reported_at, business_id, user_id, reason, message_id
    from raw_reports
),

opt_outs as (
    select 'opt_out', opt_out_id, changed_at, business_id, user_id, action, null
    from raw_opt_outs
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
        d.market as user_market
    from unioned as u
    left join dim_users as d using (user_id)
    left join raw_messages as m on m.message_id = u.message_id
)

select * from final
