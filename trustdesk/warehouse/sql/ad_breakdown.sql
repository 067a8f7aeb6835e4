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
        {{ grouped_by(country='user_country', region='user_region', day='day') }} as dimension,
        day,
        user_region as region,
        user_country as country,
        {{ ad_sums() }}
    from events
    group by grouping sets ((day), (user_region), (user_region, user_country), ())
),

final as (
    select
        dimension,
        day,
        region,
        country,
        {{ ad_measures() }}
    from grouped
)

select * from final order by dimension, day, region, country
