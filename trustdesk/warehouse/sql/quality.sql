-- docs/metrics.md "quality rating" for day $date_to over [$date_to - 6, $date_to]: one row per
-- business with reached or negative users in that window. $market and $category (the pages'
-- extra filters) are NULL for the spec's table.
with reached as (
    select s.business_id, count(distinct s.user_id) as reached_users
    from business_user_day as s
    where s.day between $date_to - 6 and $date_to
      and s.outbound_ok > 0
      and {{ filters('s', dates=False) }}
    group by s.business_id
),

negative as (
    select f.business_id, count(distinct f.user_id) as negative_users
    from feedback_events as f
    where f.kind in ('block', 'report')
      and f.day between $date_to - 6 and $date_to
      and {{ filters('f', dates=False) }}
    group by f.business_id
),

joined as (
    select
        coalesce(r.business_id, n.business_id) as business_id,
        coalesce(r.reached_users, 0) as reached_users,
        coalesce(n.negative_users, 0) as negative_users
    from reached as r
    full outer join negative as n using (business_id)
),

final as (
    select
        j.business_id,
        j.reached_users,
        j.negative_users,
        case when j.reached_users > 0 then j.negative_users / j.reached_users end as negative_rate,
        quality_rating(j.negative_users, j.reached_users, $min_reached, $medium_from, $low_from) as rating,
        d.name,
        d.category
    from joined as j
    left join dim_businesses as d using (business_id)
)

select * from final order by business_id
