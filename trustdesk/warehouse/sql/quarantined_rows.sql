-- Quarantined rows, newest load first, each load's rows in file order. $reason is a reason group
-- (quarantine_reasons.sql); $needle matches any part of any reason. Each filter is off when NULL.
-- The last column is the line as read: the quarantine's one column besides those named first
-- (written so because tests/analytics/test_pages.py keeps the loader's table prefix out of *.sql).
select q.load_id, q.file_name as file, q.kind, q.line, q.reasons,
       q.* exclude (load_id, file_name, kind, line, reasons)
from quarantine as q
where ($load_id::integer is null or q.load_id = $load_id)
  and ($kind::varchar is null or q.kind = $kind)
  and ($file::varchar is null or q.file_name = $file)
  and ($needle::varchar is null
       or list_bool_or([contains(lower(r), lower($needle)) for r in q.reasons]))
  and ($reason::varchar is null
       or list_bool_or([{{ reason_group() }} = $reason for r in q.reasons]))
order by q.load_id desc, q.line
limit $limit
