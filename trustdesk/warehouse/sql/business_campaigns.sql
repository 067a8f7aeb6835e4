-- Grain: ad campaign of one business (dim_campaigns), with its Status ad delivery in
-- [$date_from, $date_to] (docs/metrics.md "Status ads": reach is distinct users over the period).
with campaigns as (
    select campaign_id, name, objective, starts_on, ends_on, budget_usd, countries
    from dim_campaigns
    where business_id = $business_id
),

delivery as (
    select
        campaign_id,
        {{ ad_sums() }}
    from ad_user_day
    where day between $date_from and $date_to
      and campaign_id in (select campaign_id from campaigns)
    group by campaign_id
),

final as (
    select
        c.*,
        coalesce(d.impressions, 0) as impressions,
        coalesce(d.reach, 0) as reach,
        coalesce(d.clicks, 0) as clicks,
        coalesce(d.replies, 0) as replies,
        coalesce(d.spend_usd, 0) as spend_usd,
        {{ ad_rate('ctr', 'd') }}
    from campaigns as c
    left join delivery as d using (campaign_id)
)

select * from final order by starts_on desc nulls last, campaign_id
