-- Messages, reports and blocks per day for the overview's trend lines.
with msgs as (
    select day, sum(messages)::bigint as messages
    from business_day
    where day between $date_from and $date_to
      and ($region::varchar is null or user_region = $region)
    group by day
),

fb as (
    select day,
           count(*) filter (where kind = 'report') as reports,
           count(*) filter (where kind = 'block') as blocks
    from feedback_events
    where day between $date_from and $date_to
      and ($region::varchar is null or user_region = $region)
    group by day
)

select coalesce(m.day, f.day) as day, coalesce(m.messages, 0) as messages,
       coalesce(f.reports, 0) as reports, coalesce(f.blocks, 0) as blocks
from msgs as m full outer join fb as f using (day)
order by day
