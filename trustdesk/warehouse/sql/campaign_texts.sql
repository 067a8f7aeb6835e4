-- Templates and texts each business sent in [$date_from, $date_to] (template_texts mart), for
-- finding accounts that send the same texts.
select business_id, template, text_key, any_value(text) as text, sum(messages)::bigint as messages
from template_texts
where first_day <= $date_to and last_day >= $date_from
group by all
