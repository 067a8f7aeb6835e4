-- Grain: one account of a coordinated campaign ($business). Its latest file (dim_businesses) and
-- its traffic and feedback in [$date_from, $date_to] (the period the campaign was found over),
-- for the Campaigns page (trustdesk/moderation/campaign_cases.py).
with accounts as (
    select distinct unnest($business::varchar[]) as business_id
),

activity as (
    select
        a.business_id,
        sum(a.outbound)::bigint as messages,
        sum(a.outbound_ok)::bigint as messages_ok,
        sum(a.reports)::bigint as reports,
        sum(a.blocks)::bigint as blocks
    from business_activity_day as a
    semi join accounts as m on m.business_id = a.business_id
    where a.day between $date_from and $date_to
    group by a.business_id
),

reached as (
    select u.business_id, count(distinct u.user_id)::bigint as recipients
    from business_user_day as u
    semi join accounts as m on m.business_id = u.business_id
    where u.day between $date_from and $date_to and u.outbound_ok > 0
    group by u.business_id
)

select
    m.business_id,
    d.name,
    coalesce(d.category, 'unknown') as category,
    d.country,
    cast(d.created_at as date) as created_on,
    coalesce(a.messages, 0)::bigint as messages,
    coalesce(a.messages_ok, 0)::bigint as messages_ok,
    coalesce(a.reports, 0)::bigint as reports,
    coalesce(a.blocks, 0)::bigint as blocks,
    coalesce(r.recipients, 0)::bigint as recipients
from accounts as m
left join dim_businesses as d on d.business_id = m.business_id
left join activity as a on a.business_id = m.business_id
left join reached as r on r.business_id = m.business_id
order by m.business_id
