-- Grain: business x day. The quality rating's inputs over the trailing 7 days [D-6, D]
-- (docs/metrics.md), all regions; the rating itself applies the thresholds in force when read.
select
    business_id,
    day,
    reached_users as reached_7d,
    negative_users as negative_7d,
    blocking_users as blocking_7d
from trailing_users_7
