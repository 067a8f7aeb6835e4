-- Grain: business x day. The quality rating's inputs over the trailing 7 days [D-6, D]
-- (docs/metrics.md), all regions; the rating itself applies the thresholds in force when read.
-- unique: business_id, day
-- incremental: same day
select t.business_id, t.day, t.reached_users as reached_7d, t.negative_users as negative_7d,
       t.blocking_users as blocking_7d, coalesce(b.category, 'unknown') as business_category
from int_trailing_users_7 as t
left join dim_businesses as b using (business_id)
