-- Grain: template, for one business in [$date_from, $date_to]: reports of messages that used it
-- ('(free-form or no message)': free-form messages, or reports without a message), its main
-- report reason, top $top.
with reports as (
    select coalesce(template, '(free-form or no message)') as template, coalesce(reason, 'none given') as reason
    from feedback_events
    where business_id = $business_id
      and kind = 'report'
      and day between $date_from and $date_to
),

by_reason as (
    select template, reason, count(*) as n
    from reports
    group by template, reason
),

final as (
    select
        template,
        sum(n)::bigint as reports,
        arg_max(reason, n) as main_reason
    from by_reason
    group by template
)

select * from final order by reports desc, template limit $top
