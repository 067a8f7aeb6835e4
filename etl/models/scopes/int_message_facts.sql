-- What an incremental build of int_message_facts reads after the loads above $since, and which of
-- its rows it replaces (`keep`). A message's flags depend on its (business, user) pair's messages
-- and statuses: the last inbound within 24 h before it (service window, a new window), the pair's
-- first inbound (cold outreach) and the next outbound after it (response time). So a pair the new
-- rows touch changes only from its first new message on, and in its inbound messages since its last
-- answer before that (a new outbound can answer them). Those rows are recomputed (keep), from the
-- pair's messages of the 24 h before the first of them and its first inbound message; every other
-- row comes out as it was.
with new_rows as (
    select business_id, user_id, sent_at from raw_messages where load_id > $since
    union all
    -- a new status changes its message's row
    select m.business_id, m.user_id, m.sent_at
    from raw_message_statuses as s
    join raw_messages as m using (message_id)
    where s.load_id > $since
),

touched as (
    select business_id, user_id, min(sent_at) as first_new from new_rows group by all
),

pair_messages as (
    select m.message_id, m.business_id, m.user_id, m.sent_at, m.direction, t.first_new
    from raw_messages as m
    join touched as t using (business_id, user_id)
),

answered as (
    select business_id, user_id,
           max(sent_at) filter (where direction = 'outbound' and sent_at < first_new) as last_answer,
           arg_min(message_id, (sent_at, message_id)) filter (where direction = 'inbound') as first_inbound
    from pair_messages
    group by all
),

bounds as (
    select p.business_id, p.user_id, a.first_inbound,
           least(min(p.first_new), coalesce(min(p.sent_at) filter (
               where p.direction = 'inbound' and p.sent_at < p.first_new
                 and (a.last_answer is null or p.sent_at > a.last_answer)), min(p.first_new))) as keep_from
    from pair_messages as p
    join answered as a using (business_id, user_id)
    group by all
)

select p.message_id, p.sent_at >= b.keep_from as keep
from pair_messages as p
join bounds as b using (business_id, user_id)
where p.sent_at >= b.keep_from - interval 24 hour or p.message_id = b.first_inbound
