-- Grain: day x campaign x user x user_country. Reach is distinct users over any period from here.
-- Spend is money: DECIMAL(38, 9) (etl/contract.py MONEY_TYPE, cast in stg_ad_events), summed exactly,
-- so its sums do not depend on the order rows arrive in.
-- business_category is the category of the business running the campaign ('unknown' without one).
-- unique: day, campaign_id, user_id, user_country
select
    cast(e.occurred_at as date) as day,
    e.campaign_id,
    e.user_id,
    e.user_country,
    coalesce(m.region, 'Other') as user_region,
    coalesce(m.market, 'Other') as user_market,
    count(*) filter (where e.event = 'impression') as impressions,
    count(*) filter (where e.event = 'click') as clicks,
    count(*) filter (where e.event = 'reply') as replies,
    count(*) as events,
    sum(coalesce(e.cost_usd, 0)) as spend_usd,
    coalesce(b.category, 'unknown') as business_category
from stg_ad_events as e
left join ref_markets as m on m.country = e.user_country
left join dim_campaigns as c on c.campaign_id = e.campaign_id
left join dim_businesses as b on b.business_id = c.business_id
group by all
