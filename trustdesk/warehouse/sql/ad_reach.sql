-- docs/metrics.md "Status ads" per campaign: reach is counted over the period, never summed.
-- $market (of the user's country) and $category (of the campaign's business) are the pages' extra
-- filters, NULL for the spec's table.
-- Spend is exact money (DECIMAL); CPM, a ratio like CTR, is a DOUBLE of the exact spend x 1000.
with events as (
    select s.*
    from ad_user_day as s
    where {{ filters('s') }}
),

per_campaign as (
    select
        campaign_id,
        sum(impressions)::bigint as impressions,
        count(distinct user_id) filter (where impressions > 0) as reach,
        sum(clicks)::bigint as clicks,
        sum(replies)::bigint as replies,
        sum(spend_usd) as spend_usd
    from events
    group by campaign_id
),

final as (
    select
        p.campaign_id,
        p.impressions,
        p.reach,
        case when p.reach > 0 then p.impressions / p.reach end as frequency,
        p.clicks,
        case when p.impressions > 0 then p.clicks / p.impressions end as ctr,
        p.replies,
        p.spend_usd,
        case when p.impressions > 0 then cast(p.spend_usd * 1000 as double) / p.impressions end as cpm_usd,
        c.name,
        c.business_id
    from per_campaign as p
    left join dim_campaigns as c using (campaign_id)
)

select * from final order by campaign_id
