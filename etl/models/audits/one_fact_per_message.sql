-- int_message_facts has exactly one row per loaded message: its joins (statuses, markets) must not
-- fan a message out or drop one. Loaded message ids are unique (the loader keeps one row per id),
-- so equal counts prove the grain; a count is nearly free where a GROUP BY over every message is not.
select facts, messages
from (select count(*) as facts from int_message_facts)
cross join (select count(*) as messages from stg_messages)
where facts <> messages
