-- Reports per day against the recent baseline: the mean of the 14 days before each day. A day is
-- far above its baseline when it has at least $min_reports reports and exceeds
-- mean + 3 x spread, where the spread is the standard deviation of those 14 days but at least the
-- Poisson noise sqrt(mean). Days before the first day in the data do not count as history.
with bounds as (
    select greatest($date_from - 14, (select min(day) from rows_by_day)) as first_day
),

days as (
    select cast(unnest(range(b.first_day, $date_to + 1, interval 1 day)) as date) as day
    from bounds as b
),

reports as (
    select f.day, count(*) as reports
    from feedback_events as f
    where f.kind = 'report'
      and f.day between $date_from - 14 and $date_to
      and {{ filters('f', dates=False) }}
    group by f.day
),

daily as (
    select d.day, coalesce(r.reports, 0) as reports
    from days as d
    left join reports as r using (day)
),

windowed as (
    select
        day,
        reports,
        avg(reports) over recent as baseline,
        coalesce(stddev_samp(reports) over recent, 0) as spread,
        count(*) over recent as history_days
    from daily
    window recent as (order by day rows between 14 preceding and 1 preceding)
),

final as (
    select
        day as date,
        reports,
        baseline,
        baseline + 3 * greatest(spread, sqrt(baseline)) as upper,
        history_days >= 7
            and reports >= $min_reports
            and reports > baseline + 3 * greatest(spread, sqrt(baseline)) as far_above
    from windowed
    where day >= $date_from
)

select * from final order by date
