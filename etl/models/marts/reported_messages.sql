-- Grain: report. What a moderator reviews: the reported message's template and text.
-- unique: report_id
select
    r.report_id,
    r.reported_at,
    r.business_id,
    r.user_id,
    r.reason,
    r.message_id,
    m.sent_at,
    m.category,
    m.template,
    m.text,
    coalesce(b.category, 'unknown') as business_category
from stg_reports as r
left join stg_messages as m on m.message_id = r.message_id
left join dim_businesses as b on b.business_id = r.business_id
