-- docs/metrics.md "Status ads" over everything the filters keep, for comparing with the previous
-- period: reach is the distinct users with an impression over the whole period.
-- Spend is exact money (DECIMAL); CPM, a ratio like CTR, is a DOUBLE of the exact spend x 1000.
with events as (
    select s.user_id, s.impressions, s.clicks, s.replies, s.spend_usd
    from ad_user_day as s
    where {{ filters('s') }}
),

totals as (
    select
        sum(impressions)::bigint as impressions,
        count(distinct user_id) filter (where impressions > 0) as reach,
        sum(clicks)::bigint as clicks,
        sum(replies)::bigint as replies,
        sum(spend_usd) as spend_usd
    from events
)

select
    impressions,
    reach,
    case when reach > 0 then impressions / reach end as frequency,
    clicks,
    case when impressions > 0 then clicks / impressions end as ctr,
    replies,
    spend_usd,
    case when impressions > 0 then cast(spend_usd * 1000 as double) / impressions end as cpm_usd
from totals
