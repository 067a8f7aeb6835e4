-- Grain: report. What a moderator reviews: the reported message's template and text.
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
    m.text
from raw_reports as r
left join raw_messages as m on m.message_id = r.message_id
