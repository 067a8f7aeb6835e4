-- Staging: ad impressions, clicks and replies. cost_usd is money, DECIMAL(38, 9) (etl/contract.py
-- MONEY_TYPE); the cast also covers the column typed DOUBLE by older stores.
select event_id, occurred_at, campaign_id, user_id, user_country, event,
       cast(cost_usd as decimal(38, 9)) as cost_usd, load_id, line
from raw_ad_events
