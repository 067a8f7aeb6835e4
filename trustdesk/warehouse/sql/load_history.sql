-- Every load (or those with outcome $outcome), newest first, with whether the same file (by
-- SHA-256) was loaded, and not rejected, before.
with earlier as (
    select l.load_id, min(p.load_id) as first_load
    from loads as l
    join loads as p on p.sha256 = l.sha256 and p.load_id < l.load_id and p.status <> 'rejected'
    group by l.load_id
)

select l.load_id, l.started_at, l.loaded_by, l.file_name, l.sha256, l.kind,
       l.status as outcome, l.rows_read, l.loaded, l.duplicates, l.quarantined,
       l.duration_s,
       case when e.first_load is not null
            then 'already loaded in load ' || e.first_load end as already_loaded,
       l.unknown_columns, l.error, l.top_reasons
from loads as l
left join earlier as e using (load_id)
where $outcome::varchar is null or l.status = $outcome
order by l.load_id desc
