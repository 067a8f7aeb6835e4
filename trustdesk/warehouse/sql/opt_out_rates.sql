-- docs/metrics.md "marketing opt-out rate" per business: distinct users whose latest opt_outs
-- action for the business in the period is stop_marketing / distinct users who received a
-- marketing message from it in the period (NULL without such users).
with recipients as (
    select s.business_id, count(distinct s.user_id) as marketing_users
    from business_user_day as s
    where s.marketing_ok > 0
      and {{ filters('s') }}
    group by s.business_id
),

latest as (
    select f.business_id, f.user_id, arg_max(f.reason, (f.at, f.event_id)) as action
    from feedback_events as f
    where f.kind = 'opt_out'
      and {{ filters('f') }}
    group by f.business_id, f.user_id
),

opted_out as (
    select business_id, count(*) as opted_out_users
    from latest
    where action = 'stop_marketing'
    group by business_id
),

final as (
    select
        coalesce(r.business_id, o.business_id) as business_id,
        coalesce(r.marketing_users, 0) as marketing_users,
        coalesce(o.opted_out_users, 0) as opted_out_users,
        case when r.marketing_users > 0 then coalesce(o.opted_out_users, 0) / r.marketing_users end as opt_out_rate
    from recipients as r
    full outer join opted_out as o using (business_id)
)

select * from final order by business_id
