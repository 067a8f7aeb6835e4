-- docs/metrics.md: reports per day and reason. $market (of the reporting user's country) and
-- $category (of the reported business) are the pages' extra filters, NULL for the spec's table.
with reports as (
    select f.day, f.reason
    from feedback_events as f
    left join dim_businesses as b using (business_id)
    where f.kind = 'report'
      and f.day between $date_from and $date_to
      and ($region::varchar is null or f.user_region = $region)
      and ($market::varchar is null or f.user_market = $market)
      and ($category::varchar is null or b.category = $category)
)

select day as date, reason, count(*) as reports
from reports
group by all
order by date, reason
