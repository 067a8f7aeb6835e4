-- docs/metrics.md "block rate" and "report rate": one row per business with reached users > 0.
-- The pages' extra filters, $market (of the user's country) and $category (of the business), are
-- NULL for the spec's table (`trustdesk metrics`).
with reached as (
    select
        s.business_id,
        count(distinct s.user_id) filter (where s.outbound_ok > 0) as reached_users,
        sum(s.outbound_ok)::bigint as messages_ok
    from business_user_day as s
    where {{ filters('s') }}
    group by s.business_id
),

feedback as (
    select f.kind, f.business_id, f.user_id
    from feedback_events as f
    where f.kind in ('block', 'report')
      and {{ filters('f') }}
),

blocks as (
    select business_id, count(distinct user_id) as blocking_users
    from feedback
    where kind = 'block'
    group by business_id
),

reports as (
    select business_id, count(*) as reports
    from feedback
    where kind = 'report'
    group by business_id
),

final as (
    select
        r.business_id,
        r.reached_users,
        coalesce(b.blocking_users, 0) as blocking_users,
        coalesce(b.blocking_users, 0) / r.reached_users as block_rate,
        coalesce(p.reports, 0) as reports,
        coalesce(p.reports, 0) / r.messages_ok * 1000 as report_rate,
        r.messages_ok as outbound_messages,
        d.name,
        d.category
    from reached as r
    left join blocks as b using (business_id)
    left join reports as p using (business_id)
    left join dim_businesses as d using (business_id)
    where r.reached_users > 0
)

select * from final order by business_id
