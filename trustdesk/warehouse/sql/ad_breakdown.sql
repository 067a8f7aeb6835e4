-- docs/metrics.md "Status ads" by day, by region, by country and over everything (dimension
-- 'all'). Reach is the distinct users with an impression, counted within each group over the
-- period: never summed from days or campaigns.
-- Spend is exact money (DECIMAL); CPM, a ratio like CTR, is a DOUBLE of the exact spend x 1000.
with events as (
    select s.day, s.user_id, s.user_country, s.user_region, s.impressions, s.clicks, s.replies, s.spend_usd
    from ad_user_day as s
    where {{ filters('s') }}
),

grouped as (
    select
        case when grouping(user_country) = 0 then 'country'
             when grouping(user_region) = 0 then 'region'
             when grouping(day) = 0 then 'day'
             else 'all' end as dimension,
        day,
        user_region as region,
        user_country as country,
        sum(impressions)::bigint as impressions,
        count(distinct user_id) filter (where impressions > 0) as reach,
        sum(clicks)::bigint as clicks,
        sum(replies)::bigint as replies,
        sum(spend_usd) as spend_usd
    from events
    group by grouping sets ((day), (user_region), (user_region, user_country), ())
),

final as (
    select
        dimension,
        day,
        region,
        country,
        impressions,
        reach,
        case when reach > 0 then impressions / reach end as frequency,
        clicks,
        case when impressions > 0 then clicks / impressions end as ctr,
        replies,
        spend_usd,
        case when impressions > 0 then cast(spend_usd * 1000 as double) / impressions end as cpm_usd
    from grouped
)

select * from final order by dimension, day, region, country
