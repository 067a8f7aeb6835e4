-- What Meta billed (pricing_analytics), per period x country x pricing category x pricing type;
-- the latest fetch of a period replaces an earlier one (a dimension in the loader).
-- unique: billed_id
select billed_id, period_start, period_end, cast(period_start as date) as day, granularity, volume,
       account_id, country, pricing_category, category, pricing_type, cost, currency
from stg_billed_pricing
