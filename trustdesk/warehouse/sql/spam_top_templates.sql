-- The most reported templates: reports whose message used the template, and how many businesses
-- were reported for it, top $top by reports. Reports of free-form messages, or without a message,
-- have no template (NULL).
with reports as (
    select f.template, f.business_id
    from feedback_events as f
    left join dim_businesses as b using (business_id)
    where f.kind = 'report'
      and f.day between $date_from and $date_to
      and ($region::varchar is null or f.user_region = $region)
      and ($market::varchar is null or f.user_market = $market)
      and ($category::varchar is null or b.category = $category)
)

select template, count(*) as reports, count(distinct business_id) as businesses
from reports
group by template
order by reports desc, template nulls last
limit $top
