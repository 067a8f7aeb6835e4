-- Grain: business x day. Reached and negative users over the trailing 7 days [D-6, D], all regions.
-- Each (business, user) activity day covers the days up to 6 later, cut short where the same
-- user's next activity day takes over, so a running sum counts distinct users without expanding.
with reached as (
    select distinct business_id, user_id, day from business_user_day where outbound_ok > 0
),

negative as (
    select distinct business_id, user_id, day
    from feedback_events where kind in ('block', 'report')
),

spans as (
    select business_id, 'reached' as measure, day as d_from,
           least(day + 7, coalesce(lead(day) over (partition by business_id, user_id order by day),
                                   day + 7)) as d_to
    from reached
    union all
    select business_id, 'negative', day,
           least(day + 7, coalesce(lead(day) over (partition by business_id, user_id order by day),
                                   day + 7))
    from negative
),

deltas as (
    select business_id, measure, d_from as day, 1 as delta from spans
    union all
    select business_id, measure, d_to, -1 from spans
),

levels as (
    select business_id, measure, day,
           sum(sum(delta)) over (partition by business_id, measure order by day) as level
    from deltas
    group by business_id, measure, day
),

segments as (
    select business_id, measure, day, level,
           lead(day) over (partition by business_id, measure order by day) as until
    from levels
),

last_day as (
    select greatest(
        (select max(day) from business_user_day),
        (select max(day) from feedback_events)
    ) as d
),

expanded as (
    select s.business_id, s.measure, cast(unnest(range(s.day, least(s.until, l.d + 1), interval 1 day)) as date) as day, s.level
    from segments as s, last_day as l
    where s.level > 0 and s.until is not null and s.day <= l.d
),

final as (
    select
        business_id,
        day,
        sum(level) filter (where measure = 'reached') as reached_7d,
        coalesce(sum(level) filter (where measure = 'negative'), 0) as negative_7d
    from expanded
    group by all
)

select business_id, day, coalesce(reached_7d, 0)::bigint as reached_7d, negative_7d::bigint as negative_7d from final
