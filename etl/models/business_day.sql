-- Grain: day x business x user_country x direction x category x (template or free-form).
select
    day,
    business_id,
    user_country,
    user_region,
    user_market,
    direction,
    category,
    template is not null as is_template,
    count(*) as messages,
    count(*) filter (where is_ok) as ok,
    count(*) filter (where status = 'failed') as failed,
    count(*) filter (where status in ('delivered', 'read')) as delivered,
    count(*) filter (where billable) as billable,
    count(*) filter (where is_cold) as cold,
    count(*) filter (where freeform_outside) as freeform_outside,
    count(*) filter (where is_unsolicited) as unsolicited,
    count(*) filter (where inside_csw) as inside_csw
from message_facts
group by all
