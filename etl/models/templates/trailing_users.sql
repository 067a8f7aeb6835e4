-- Grain: business x day. Reached, negative and blocking users over the trailing $window days
-- [D - $window + 1, D], all regions. A template, not a model: int_trailing_users_7 (the quality
-- rating's 7 days, spec) and risk_window_users (the risk model's window) each name it with their $window.
-- Each (business, user) activity day covers the days up to $window - 1 later, cut short where the
-- same user's next activity day takes over, so a running sum counts distinct users without
-- expanding every user over every day.
with reached as (
    select distinct business_id, user_id, day from business_user_day where outbound_ok > 0
),

negative as (
    select distinct business_id, user_id, day
    from feedback_events where kind in ('block', 'report')
),

blocking as (
    select distinct business_id, user_id, day
    from feedback_events where kind = 'block'
),

spans as (
    select business_id, 'reached' as measure, day as d_from,
           least(day + $window, coalesce(lead(day) over (partition by business_id, user_id order by day),
                                         day + $window)) as d_to
    from reached
    union all
    select business_id, 'negative', day,
           least(day + $window, coalesce(lead(day) over (partition by business_id, user_id order by day),
                                         day + $window))
    from negative
    union all
    select business_id, 'blocking', day,
           least(day + $window, coalesce(lead(day) over (partition by business_id, user_id order by day),
                                         day + $window))
    from blocking
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
    select d from int_last_day
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
        coalesce(sum(level) filter (where measure = 'reached'), 0)::bigint as reached_users,
        coalesce(sum(level) filter (where measure = 'negative'), 0)::bigint as negative_users,
        coalesce(sum(level) filter (where measure = 'blocking'), 0)::bigint as blocking_users
    from expanded
    group by all
)

select * from final
