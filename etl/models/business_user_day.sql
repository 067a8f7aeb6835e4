-- Grain: day x business x user x user_country. Distinct-user metrics (reached users, opt-out
-- denominators, quality windows) count over any period from here, never by adding days up.
select
    day,
    business_id,
    user_id,
    user_country,
    user_region,
    user_market,
    count(*) filter (where is_ok) as outbound_ok,
    count(*) filter (where is_ok and category = 'marketing') as marketing_ok,
    count(*) filter (where direction = 'inbound') as inbound
from message_facts
group by all
