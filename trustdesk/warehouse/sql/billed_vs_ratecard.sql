-- What Meta billed (pricing_analytics, loaded as billed_pricing) beside TrustDesk's rate-card
-- revenue of the same period, by country and category, with the difference (billed - rate card).
-- Rate-card revenue is business_day.revenue_usd, as revenue_by_region sums it. Exact money (DECIMAL).
with billed as (
    select country, category, sum(volume)::bigint as billed_volume, sum(cost) as billed_usd
    from billed_pricing
    where day between $date_from and $date_to
    group by all
),

priced as (
    select s.user_country as country, s.category, sum(s.billable)::bigint as billable_messages,
           sum(s.revenue_usd) as ratecard_usd
    from business_day as s
    where s.day between $date_from and $date_to and s.billable > 0
    group by all
)

select coalesce(b.country, p.country) as country,
       coalesce(b.category, p.category) as category,
       coalesce(p.billable_messages, 0) as billable_messages,
       coalesce(p.ratecard_usd, 0) as ratecard_usd,
       coalesce(b.billed_volume, 0) as billed_volume,
       coalesce(b.billed_usd, 0) as billed_usd,
       coalesce(b.billed_usd, 0) - coalesce(p.ratecard_usd, 0) as difference_usd
from billed as b
full outer join priced as p on p.country = b.country and p.category is not distinct from b.category
order by country, category
