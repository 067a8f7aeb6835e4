-- Grain: ad campaign. Latest version, plus campaigns named by ad events only (known = false).
-- unique: campaign_id
with latest as (
    select *
    from stg_ad_campaigns
    qualify row_number() over (partition by campaign_id order by load_id desc, line desc) = 1
),

named as (
    select distinct campaign_id from stg_ad_events
),

final as (
    select
        coalesce(l.campaign_id, n.campaign_id) as campaign_id,
        l.campaign_id is not null as known,
        l.business_id,
        l.name,
        l.starts_on,
        l.ends_on,
        l.objective,
        l.budget_usd,
        l.countries
    from latest as l
    full outer join named as n on n.campaign_id = l.campaign_id
)

select * from final
