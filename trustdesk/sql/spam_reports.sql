-- spec/metrics.md: reports per day and reason.
select day as date, reason, count(*) as reports
from feedback_events
where kind = 'report'
  and day between $date_from and $date_to
  and ($region::VARCHAR is null or user_region = $region)
group by all
order by date, reason
