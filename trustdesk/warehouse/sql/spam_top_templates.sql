-- The most reported templates: reports whose message used the template, and how many businesses
-- were reported for it, top $top by reports. Reports of free-form messages, or without a message,
-- have no template (NULL).
with reports as (
    select f.template, f.business_id
    from feedback_events as f
    where f.kind = 'report'
      and {{ filters('f') }}
)

select template, count(*) as reports, count(distinct business_id) as businesses
from reports
group by template
order by reports desc, template nulls last
limit $top
