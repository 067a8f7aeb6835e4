-- Quarantined rows per reason group (a reason with its values taken out), most rows first; a row
-- with two reasons of one group counts once.
select {{ reason_group() }} as reason, count(distinct (load_id, line)) as rows
from (select load_id, line, unnest(reasons) as r from quarantine)
group by 1
order by 2 desc, 1
