-- Staging: ad campaign versions, one per load that defined the campaign. budget_usd is money
-- (etl/contract.py MONEY_TYPE), cast as for stg_ad_events.
select campaign_id, business_id, name, starts_on, ends_on, objective,
       cast(budget_usd as decimal(38, 9)) as budget_usd, countries, load_id, line
from raw_ad_campaigns
