-- The loads that quarantined rows, newest first, with how many each quarantined.
select q.load_id, any_value(q.file_name) as file, any_value(q.kind) as kind,
       any_value(l.started_at) as started_at, count(*) as rows
from quarantine as q
left join loads as l using (load_id)
group by q.load_id
order by q.load_id desc
