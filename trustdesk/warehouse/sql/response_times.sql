-- docs/metrics.md "response time": inbound messages that open a new window, how many got an
-- answer within 24 h, by day, by region, by response-time bucket and over everything.
with responses as (
    select s.*, coalesce(m.market, 'Other') as user_market
    from response_day as s
    left join ref_markets as m on m.country = s.user_country
),

windows as (
    select s.day, s.user_region, s.bucket, s.opened, s.answered_24h, s.total_response_s
    from responses as s
    where {{ filters('s') }}
),

grouped as (
    select
        {{ grouped_by(day='day', region='user_region', bucket='bucket') }} as dimension,
        day,
        user_region as region,
        bucket,
        sum(opened)::bigint as opened,
        sum(answered_24h)::bigint as answered_24h
    from windows
    group by grouping sets ((day), (user_region), (bucket), ())
)

select
    *,
    case when opened > 0 then answered_24h / opened end as answered_24h_share
from grouped
order by dimension, day, region, bucket
