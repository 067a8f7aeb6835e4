-- The markets the market filter offers, with the regions each has countries in. A country missing
-- from the reference data is market Other, region Other (docs/metrics.md).
with markets as (
    select market, region from ref_markets
    union
    select 'Other', 'Other'
)

select market, list(distinct region order by region) as regions
from markets
group by market
order by market
