-- What the platform said about each business (WhatsApp quality ratings, messaging limits,
-- violations, restrictions, bans, template status), one row per event as loaded.
-- unique: event_id
select event_id, occurred_at, cast(occurred_at as date) as day, business_id, event, account_id, scope,
       subject, old_value, new_value, detail, coalesce(b.category, 'unknown') as business_category
from stg_platform_events
left join dim_businesses as b using (business_id)
