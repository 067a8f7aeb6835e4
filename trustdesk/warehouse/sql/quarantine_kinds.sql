-- Quarantined rows per kind.
select kind, count(*) as rows from quarantine group by 1 order by 1
