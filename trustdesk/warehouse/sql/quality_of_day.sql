-- docs/metrics.md "quality rating" for day $date_to, read from the quality_day mart, which holds
-- each business's trailing 7 days [D - 6, D] for every day D up to the last day of activity, over
-- every region and category. The same table as quality.sql, which counts the window's distinct
-- users from business_user_day and feedback_events, whenever no region, market or category narrows
-- it and $date_to is a day the mart covers: trustdesk.analytics.metrics.compute picks between them,
-- and tests/analytics/test_quality_of_day.py holds the two equal.
select
    q.business_id,
    q.reached_7d as reached_users,
    q.negative_7d as negative_users,
    case when q.reached_7d > 0 then q.negative_7d / q.reached_7d end as negative_rate,
    quality_rating(q.negative_7d, q.reached_7d, $min_reached, $medium_from, $low_from) as rating,
    d.name,
    d.category
from quality_day as q
left join dim_businesses as d using (business_id)
where q.day = $date_to
order by q.business_id
