-- Quarantined rows per file name.
select file_name as file, count(*) as rows from quarantine group by 1 order by 1
