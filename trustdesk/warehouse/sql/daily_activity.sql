-- The overview's trend lines, per day: messages, active businesses, spam reports, blocks and
-- Status ad reach (distinct users that day), for a region, market and business category.
with days as (
    select cast(unnest(range($date_from::date, $date_to::date + 1, interval 1 day)) as date) as day
),

msgs as (
    select
        s.day,
        sum(s.messages)::bigint as messages,
        count(distinct s.business_id) filter (where s.direction = 'outbound') as active_businesses
    from business_day as s
    where {{ filters('s') }}
    group by s.day
),

fb as (
    select
        f.day,
        count(*) filter (where f.kind = 'report') as reports,
        count(*) filter (where f.kind = 'block') as blocks
    from feedback_events as f
    where {{ filters('f') }}
    group by f.day
),

ads as (
    select s.day, count(distinct s.user_id) filter (where s.impressions > 0) as ad_reach
    from ad_user_day as s
    where {{ filters('s') }}
    group by s.day
)

select
    d.day,
    coalesce(m.messages, 0) as messages,
    coalesce(m.active_businesses, 0) as active_businesses,
    coalesce(f.reports, 0) as reports,
    coalesce(f.blocks, 0) as blocks,
    coalesce(a.ad_reach, 0) as ad_reach
from days as d
left join msgs as m using (day)
left join fb as f using (day)
left join ads as a using (day)
where m.day is not null or f.day is not null or a.day is not null
order by d.day
