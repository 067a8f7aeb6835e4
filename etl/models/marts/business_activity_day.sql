-- Grain: business x day. Every additive count the risk model sums over a trailing window.
-- unique: business_id, day
-- incremental: same day
with messages as (
    select
        business_id,
        day,
        sum(messages) filter (where direction = 'outbound') as outbound,
        sum(ok) as outbound_ok,
        sum(messages) filter (where direction = 'outbound' and category = 'marketing') as marketing,
        sum(cold) as cold_marketing,
        sum(unsolicited) as unsolicited,
        sum(freeform_outside) as freeform_outside,
        sum(messages) filter (where direction = 'inbound') as inbound
    from business_day
    group by business_id, day
),

feedback as (
    select
        business_id,
        day,
        count(*) filter (where kind = 'report') as reports,
        count(*) filter (where kind = 'report' and reason = 'spam') as reports_spam,
        count(*) filter (where kind = 'report' and reason = 'scam') as reports_scam,
        count(*) filter (where kind = 'report' and reason = 'political') as reports_political,
        count(*) filter (where kind = 'block') as blocks,
        count(*) filter (where kind = 'block' and reason in ('spam', 'didnt_sign_up')) as blocks_unwanted,
        count(*) filter (where kind = 'opt_out' and reason = 'stop_marketing') as opt_outs
    from feedback_events
    group by business_id, day
),

joined as (
    select
        coalesce(m.business_id, f.business_id) as business_id,
        coalesce(m.day, f.day) as day,
        coalesce(m.outbound, 0)::bigint as outbound,
        coalesce(m.outbound_ok, 0)::bigint as outbound_ok,
        coalesce(m.marketing, 0)::bigint as marketing,
        coalesce(m.cold_marketing, 0)::bigint as cold_marketing,
        coalesce(m.unsolicited, 0)::bigint as unsolicited,
        coalesce(m.freeform_outside, 0)::bigint as freeform_outside,
        coalesce(m.inbound, 0)::bigint as inbound,
        coalesce(f.reports, 0) as reports,
        coalesce(f.reports_spam, 0) as reports_spam,
        coalesce(f.reports_scam, 0) as reports_scam,
        coalesce(f.reports_political, 0) as reports_political,
        coalesce(f.blocks, 0) as blocks,
        coalesce(f.blocks_unwanted, 0) as blocks_unwanted,
        coalesce(f.opt_outs, 0) as opt_outs
    from messages as m
    full outer join feedback as f using (business_id, day)
),

final as (
    select j.*, coalesce(b.category, 'unknown') as business_category
    from joined as j
    left join dim_businesses as b using (business_id)
)

select * from final
