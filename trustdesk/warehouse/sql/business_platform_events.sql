-- What the platform said about one business (WhatsApp quality ratings, messaging limits,
-- violations, restrictions, bans, template status), newest first.
select day, occurred_at, event, scope, subject,
       coalesce(old_value, '–') || ' -> ' || coalesce(new_value, '–') as change,
       old_value, new_value, detail
from platform_events
where business_id = $business_id
order by occurred_at desc, event_id
limit $limit
