-- Active businesses (at least one outbound message in the period, as on the overview) by region
-- and market of the receiving users, and over everything (dimension 'all').
with messages as (
    select s.business_id, s.user_region as region, s.user_market as market
    from business_day as s
    where s.direction = 'outbound'
      and {{ filters('s') }}
)

select
    case when grouping(region) = 0 then 'region'
         when grouping(market) = 0 then 'market'
         else 'all' end as dimension,
    case when grouping(region) = 0 then region
         when grouping(market) = 0 then market
         else 'all' end as value,
    count(distinct business_id) as active_businesses
from messages
group by grouping sets ((region), (market), ())
order by dimension, value
