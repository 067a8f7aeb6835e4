-- Grain: kind (report, block) x reason, for one business in [$date_from, $date_to]: how many,
-- from how many distinct users.
with feedback as (
    select kind, coalesce(reason, 'none given') as reason, user_id
    from feedback_events
    where business_id = $business_id
      and kind in ('report', 'block')
      and day between $date_from and $date_to
),

final as (
    select kind, reason, count(*) as events, count(distinct user_id) as users
    from feedback
    group by kind, reason
)

select * from final order by kind desc, events desc, reason
