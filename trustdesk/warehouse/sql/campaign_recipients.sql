-- Per campaign ($campaign[i] holds $business[i]): its accounts' recipients in [$date_from,
-- $date_to] and how many of them two or more of its accounts reached.
with members as (
    select unnest($campaign::varchar[]) as campaign_id, unnest($business::varchar[]) as business_id
),

reached as (
    select m.campaign_id, u.user_id, count(distinct u.business_id) as accounts
    from business_user_day as u
    join members as m using (business_id)
    where u.day between $date_from and $date_to and u.outbound_ok > 0
    group by m.campaign_id, u.user_id
)

select campaign_id, count(*)::bigint as recipients, count(*) filter (where accounts >= 2)::bigint as shared_recipients
from reached
group by campaign_id
