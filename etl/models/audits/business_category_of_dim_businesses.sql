-- Bad rows: a mart row whose business_category is not its business's category in dim_businesses
-- ('unknown' for a business no businesses file defined, or none at all): the pages filter every
-- mart by this one column, so the marts must agree with each other and with the business file.
-- incremental: changed rows
with categorised as (
    select 'business_day' as mart, business_id, business_category from business_day
    union all select 'business_user_day', business_id, business_category from business_user_day
    union all select 'feedback_events', business_id, business_category from feedback_events
    union all select 'response_day', business_id, business_category from response_day
    union all select 'reported_messages', business_id, business_category from reported_messages
    union all select 'business_activity_day', business_id, business_category from business_activity_day
    union all select 'quality_day', business_id, business_category from quality_day
    union all select 'political_reports_day', business_id, business_category from political_reports_day
    union all select 'platform_events', business_id, business_category from platform_events
    union all
    select 'ad_user_day', c.business_id, a.business_category
    from ad_user_day as a
    left join dim_campaigns as c using (campaign_id)
)

select distinct k.mart, k.business_id, k.business_category, d.category as dim_category
from categorised as k
left join dim_businesses as d using (business_id)
where k.business_category is distinct from coalesce(d.category, 'unknown')
