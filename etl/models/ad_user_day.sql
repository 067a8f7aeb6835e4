-- Grain: day x campaign x user x user_country. Reach is distinct users over any period from here.
-- Spend is money: DECIMAL(38, 9) (etl/contract.py MONEY_TYPE), summed exactly, so its sums do not
-- depend on the order rows arrive in. The cast also covers raw columns typed DOUBLE by older stores.
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
    sum(coalesce(cast(e.cost_usd as decimal(38, 9)), 0)) as spend_usd
from raw_ad_events as e
left join ref_markets as m on m.country = e.user_country
group by all
