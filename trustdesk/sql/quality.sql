-- spec/metrics.md "quality rating" for day $date_to over [$date_to - 6, $date_to]: one row per
-- business with reached or negative users in that window.
with reached as (
    select business_id, count(distinct user_id) as reached_users
    from business_user_day
    where day between $date_to - 6 and $date_to
      and outbound_ok > 0
      and ($region::VARCHAR is null or user_region = $region)
    group by business_id
),

negative as (
    select business_id, count(distinct user_id) as negative_users
    from feedback_events
    where kind in ('block', 'report')
      and day between $date_to - 6 and $date_to
      and ($region::VARCHAR is null or user_region = $region)
    group by business_id
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
        case
            when j.reached_users < $min_reached then 'UNKNOWN'
            when j.negative_users / j.reached_users < $medium_from then 'HIGH'
            when j.negative_users / j.reached_users < $low_from then 'MEDIUM'
            else 'LOW'
        end as rating,
        d.name,
        d.category
    from joined as j
    left join dim_businesses as d using (business_id)
)

select * from final order by business_id
