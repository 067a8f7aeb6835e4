-- spec/metrics.md "block rate", "report rate": one row per business with reached users > 0.
with reached as (
    select
        business_id,
        count(distinct user_id) filter (where outbound_ok > 0) as reached_users,
        sum(outbound_ok)::bigint as messages_ok
    from business_user_day
    where day between $date_from and $date_to
      and ($region::VARCHAR is null or user_region = $region)
    group by business_id
),

blocks as (
    select business_id, count(distinct user_id) as blocking_users
    from feedback_events
    where kind = 'block'
      and day between $date_from and $date_to
      and ($region::VARCHAR is null or user_region = $region)
    group by business_id
),

reports as (
    select business_id, count(*) as reports
    from feedback_events
    where kind = 'report'
      and day between $date_from and $date_to
      and ($region::VARCHAR is null or user_region = $region)
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
