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
        {{ ad_sums() }}
    from events
    group by campaign_id
),

final as (
    select
        p.campaign_id,
        {{ ad_measures('p') }},
        c.name,
        c.business_id
    from per_campaign as p
    left join dim_campaigns as c using (campaign_id)
)

select * from final order by campaign_id
