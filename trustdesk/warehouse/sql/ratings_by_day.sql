-- How many businesses sit in each quality rating on each day of the period, from quality_day
-- (trailing 7 days, every region: the mart is not split by region or market), with the
-- thresholds in force. A business without reached or negative users in its 7 days has no rating
-- that day, as in quality.sql.
with days as (
    select
        q.day,
        quality_rating(q.negative_7d, q.reached_7d, $min_reached, $medium_from, $low_from) as rating
    from quality_day as q
    where {{ filters('q', region=False, market=False) }}
)

select day, rating, count(*) as businesses
from days
group by all
order by day, rating
