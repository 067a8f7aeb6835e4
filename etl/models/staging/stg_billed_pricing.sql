-- Staging: what Meta billed (pricing_analytics). cost is money (etl/contract.py MONEY_TYPE).
select billed_id, period_start, period_end, granularity, volume, account_id, country, pricing_category,
       category, pricing_type, phone_number, tier, cast(cost as decimal(38, 9)) as cost, currency,
       load_id, line
from raw_billed_pricing
