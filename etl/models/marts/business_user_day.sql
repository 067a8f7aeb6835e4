-- Grain: day x business x user x user_country. Distinct-user metrics (reached users, opt-out
-- denominators, quality windows) count over any period from here, never by adding days up.
-- unique: day, business_id, user_id, user_country
-- incremental: same day
select
    f.day,
    f.business_id,
    f.user_id,
    f.user_country,
    f.user_region,
    f.user_market,
    count(*) filter (where f.is_ok) as outbound_ok,
    count(*) filter (where f.is_ok and f.category = 'marketing') as marketing_ok,
    count(*) filter (where f.direction = 'inbound') as inbound,
    coalesce(b.category, 'unknown') as business_category
from int_message_facts as f
left join dim_businesses as b using (business_id)
group by all
