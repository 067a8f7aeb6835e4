-- Overview headline numbers for a period, from the marts, for a region, a market (of the user's
-- country) and a business category (each NULL for all).
with messages as (
    select
        sum(s.messages)::bigint as messages,
        count(distinct s.business_id) filter (where s.direction = 'outbound') as active_businesses
    from business_day as s
    where {{ filters('s') }}
),

reached as (
    select count(*) as reached_pairs
    from (
        select distinct s.business_id, s.user_id
        from business_user_day as s
        where s.outbound_ok > 0
          and {{ filters('s') }}
    )
),

feedback as (
    select
        count(*) filter (where f.kind = 'report') as reports,
        count(distinct (f.business_id, f.user_id)) filter (where f.kind = 'block') as blocking_pairs
    from feedback_events as f
    where {{ filters('f') }}
),

ads as (
    select count(distinct s.user_id) filter (where s.impressions > 0) as ad_reach,
           sum(s.spend_usd) as ad_revenue_usd
    from ad_user_day as s
    where {{ filters('s') }}
)

select
    coalesce(m.messages, 0) as messages,
    m.active_businesses,
    f.reports,
    case when r.reached_pairs > 0 then f.blocking_pairs / r.reached_pairs end as block_rate,
    a.ad_reach,
    coalesce(a.ad_revenue_usd, 0) as ad_revenue_usd
from messages as m, reached as r, feedback as f, ads as a
