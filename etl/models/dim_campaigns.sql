-- Grain: ad campaign. Latest version, plus campaigns named by ad events only (known = false).
with latest as (
    select *
    from raw_ad_campaigns
    qualify row_number() over (partition by campaign_id order by load_id desc, line desc) = 1
),

named as (
    select distinct campaign_id from raw_ad_events
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
        cast(l.budget_usd as decimal(38, 9)) as budget_usd,  -- money (etl/contract.py MONEY_TYPE)
        l.countries
    from latest as l
    full outer join named as n on n.campaign_id = l.campaign_id
)

select * from final
