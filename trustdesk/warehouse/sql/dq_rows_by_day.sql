-- Rows loaded per kind and day over the data's whole span, days without rows included, and the
-- days far from a kind's usual volume flagged: 'gap' (no rows), 'spike' (more than $factor times
-- the median of the kind's days with rows), 'dip' (less than that median divided by $factor).
with loaded as (
    select kind, day, rows from rows_by_day
),

span as (
    select min(day) as first_day, max(day) as last_day from loaded
),

kinds as (
    select distinct kind from loaded
),

calendar as (
    select k.kind, cast(unnest(generate_series(s.first_day, s.last_day, interval 1 day)) as date) as day
    from kinds as k
    cross join span as s
),

filled as (
    select c.kind, c.day, coalesce(l.rows, 0) as rows
    from calendar as c
    left join loaded as l using (kind, day)
),

typical as (
    select kind, median(rows) filter (where rows > 0) as median_rows
    from filled
    group by kind
),

final as (
    select
        f.kind,
        f.day,
        f.rows,
        t.median_rows,
        case
            when f.rows = 0 then 'gap'
            when f.rows > $factor * t.median_rows then 'spike'
            when f.rows * $factor < t.median_rows then 'dip'
        end as flag
    from filled as f
    join typical as t using (kind)
)

select * from final order by kind, day
