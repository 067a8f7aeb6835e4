-- For candidate pairs of businesses ($left[i], $right[i]) sharing a text: the users both reached
-- in [$date_from, $date_to], each one's reached users, and the users reached in the country most
-- of the first one's recipients live in (what a chance overlap is measured against).
with pairs as (
    select unnest($left::varchar[]) as a, unnest($right::varchar[]) as b
),

members as (
    select a as business_id from pairs union select b from pairs
),

reached as (
    select distinct u.business_id, u.user_id, u.user_country
    from business_user_day as u
    semi join members as m on m.business_id = u.business_id
    where u.day between $date_from and $date_to and u.outbound_ok > 0
),

sizes as (
    select business_id, count(distinct user_id)::bigint as reached, mode(user_country) as main_country
    from reached
    group by business_id
),

country_users as (
    select user_country, count(distinct user_id)::bigint as country_users
    from business_user_day
    where day between $date_from and $date_to and outbound_ok > 0
    group by user_country
),

shared as (
    select p.a, p.b, count(distinct ra.user_id)::bigint as shared
    from pairs as p
    join reached as ra on ra.business_id = p.a
    join reached as rb on rb.business_id = p.b and rb.user_id = ra.user_id
    group by p.a, p.b
)

select p.a, p.b, coalesce(s.shared, 0) as shared, sa.reached as reached_a, sb.reached as reached_b,
       coalesce(c.country_users, 0) as country_users
from pairs as p
left join shared as s using (a, b)
left join sizes as sa on sa.business_id = p.a
left join sizes as sb on sb.business_id = p.b
left join country_users as c on c.user_country = sa.main_country
