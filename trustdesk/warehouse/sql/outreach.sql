-- Per business: outbound messages, free-form messages outside the customer-service window and
-- cold marketing outreach (docs/metrics.md), with the windows users opened and the share answered
-- within 24 h.
with responses as (
    select s.*, coalesce(m.market, 'Other') as user_market
    from response_day as s
    left join ref_markets as m on m.country = s.user_country
),

messages as (
    select
        s.business_id,
        sum(s.messages)::bigint as outbound_messages,
        sum(s.freeform_outside)::bigint as freeform_outside,
        coalesce(sum(s.messages) filter (where s.category = 'marketing'), 0)::bigint as marketing_messages,
        sum(s.cold)::bigint as cold_messages
    from business_day as s
    where s.direction = 'outbound'
      and {{ filters('s') }}
    group by s.business_id
),

windows as (
    select s.business_id, sum(s.opened)::bigint as windows_opened, sum(s.answered_24h)::bigint as answered_24h
    from responses as s
    where {{ filters('s') }}
    group by s.business_id
),

final as (
    select
        coalesce(g.business_id, w.business_id) as business_id,
        d.name,
        d.category,
        coalesce(g.outbound_messages, 0) as outbound_messages,
        coalesce(g.freeform_outside, 0) as freeform_outside,
        case when g.outbound_messages > 0 then g.freeform_outside / g.outbound_messages end as freeform_outside_share,
        coalesce(g.marketing_messages, 0) as marketing_messages,
        coalesce(g.cold_messages, 0) as cold_messages,
        case when g.marketing_messages > 0 then g.cold_messages / g.marketing_messages end as cold_share,
        coalesce(w.windows_opened, 0) as windows_opened,
        coalesce(w.answered_24h, 0) as answered_24h,
        case when w.windows_opened > 0 then w.answered_24h / w.windows_opened end as answered_24h_share
    from messages as g
    full outer join windows as w using (business_id)
    left join dim_businesses as d on d.business_id = coalesce(g.business_id, w.business_id)
)

select * from final order by freeform_outside desc, cold_messages desc, business_id
