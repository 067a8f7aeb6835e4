-- Overview headline numbers for a period (and optional region), from the marts.
with messages as (
    select
        sum(messages)::bigint as messages,
        count(distinct business_id) filter (where direction = 'outbound') as active_businesses
    from business_day
    where day between $date_from and $date_to
      and ($region::varchar is null or user_region = $region)
),

reached as (
    select count(*) as reached_pairs
    from (
        select distinct business_id, user_id
        from business_user_day
        where day between $date_from and $date_to and outbound_ok > 0
          and ($region::varchar is null or user_region = $region)
    )
),

feedback as (
    select
        count(*) filter (where kind = 'report') as reports,
        count(distinct (business_id, user_id)) filter (where kind = 'block') as blocking_pairs
    from feedback_events
    where day between $date_from and $date_to
      and ($region::varchar is null or user_region = $region)
),

ads as (
    select count(distinct user_id) filter (where impressions > 0) as ad_reach,
           sum(spend_usd) as ad_revenue_usd
    from ad_user_day
    where day between $date_from and $date_to
      and ($region::varchar is null or user_region = $region)
)

select
    coalesce(m.messages, 0) as messages,
    m.active_businesses,
    f.reports,
    case when r.reached_pairs > 0 then f.blocking_pairs / r.reached_pairs end as block_rate,
    a.ad_reach,
    coalesce(a.ad_revenue_usd, 0) as ad_revenue_usd
from messages as m, reached as r, feedback as f, ads as a
