-- How many businesses sit in each quality rating on each day of the period, from quality_day
-- (trailing 7 days, every region: the mart is not split by region or market), with the
-- thresholds in force. A business without reached or negative users in its 7 days has no rating
-- that day, as in quality.sql.
with days as (
    select
        q.day,
        case
            when q.reached_7d < $min_reached then 'UNKNOWN'
            when q.negative_7d / q.reached_7d < $medium_from then 'HIGH'
            when q.negative_7d / q.reached_7d < $low_from then 'MEDIUM'
            else 'LOW'
        end as rating
    from quality_day as q
    left join dim_businesses as b using (business_id)
    where q.day between $date_from and $date_to
      and ($category::varchar is null or b.category = $category)
)

select day, rating, count(*) as businesses
from days
group by all
order by day, rating
