-- The most reported businesses: reports about each, and its report rate (reports per 1,000
-- outbound non-failed messages, NULL without such messages), top $top by reports.
with reports as (
    select f.business_id, count(*) as reports, count(distinct f.user_id) as reporting_users
    from feedback_events as f
    where f.kind = 'report'
      and {{ filters('f') }}
    group by f.business_id
),

messages as (
    select s.business_id, sum(s.ok)::bigint as outbound_messages
    from business_day as s
    where s.direction = 'outbound'
      and s.business_id in (select business_id from reports)
      and {{ filters('s') }}
    group by s.business_id
),

final as (
    select
        r.business_id,
        d.name,
        d.category,
        r.reports,
        r.reporting_users,
        coalesce(m.outbound_messages, 0) as outbound_messages,
        case when m.outbound_messages > 0 then r.reports / m.outbound_messages * 1000 end as report_rate
    from reports as r
    left join messages as m using (business_id)
    left join dim_businesses as d using (business_id)
)

select * from final order by reports desc, business_id limit $top
