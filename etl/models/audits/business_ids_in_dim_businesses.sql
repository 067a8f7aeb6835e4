-- Bad rows: a business that a mart built from messages, feedback or ads names but dim_businesses
-- does not list (dim_businesses lists every business those events name, defined by a file or not,
-- so a page's business filter and name lookup see every one). platform_events is left out: the
-- platform may speak of a business no export names; its business_category says 'unknown' then.
-- incremental: changed rows
with named as (
    select 'business_day' as mart, business_id from business_day
    union all select 'business_user_day', business_id from business_user_day
    union all select 'feedback_events', business_id from feedback_events
    union all select 'response_day', business_id from response_day
    union all select 'reported_messages', business_id from reported_messages
    union all select 'business_activity_day', business_id from business_activity_day
    union all select 'quality_day', business_id from quality_day
    union all select 'risk_window_users', business_id from risk_window_users
    union all select 'political_reports_day', business_id from political_reports_day
    union all select 'dim_campaigns', business_id from dim_campaigns where business_id is not null
)

select distinct n.mart, n.business_id
from named as n
anti join dim_businesses as d using (business_id)
