-- docs/metrics.md: reports per day and reason. $market (of the reporting user's country) and
-- $category (of the reported business) are the pages' extra filters, NULL for the spec's table.
with reports as (
    select f.day, f.reason
    from feedback_events as f
    where f.kind = 'report'
      and {{ filters('f') }}
)

select day as date, reason, count(*) as reports
from reports
group by all
order by date, reason
