-- Grain: day of [$date_from, $date_to] for one business, every day present (zeros when quiet):
-- messages sent, reports, blocks and opt-outs that day, and the quality rating of the day
-- (docs/metrics.md: negative users / reached users over [D-6, D], thresholds bound as parameters).
with days as (
    select cast(d as date) as day
    from generate_series(cast($date_from as date), cast($date_to as date), interval 1 day) as t(d)
),

activity as (
    select day, outbound, outbound_ok, reports, blocks, opt_outs
    from business_activity_day
    where business_id = $business_id
      and day between $date_from and $date_to
),

quality as (
    select day, reached_7d, negative_7d
    from quality_day
    where business_id = $business_id
      and day between $date_from and $date_to
),

final as (
    select
        d.day,
        coalesce(a.outbound, 0)::bigint as messages_sent,
        coalesce(a.outbound_ok, 0)::bigint as messages_ok,
        coalesce(a.reports, 0)::bigint as reports,
        coalesce(a.blocks, 0)::bigint as blocks,
        coalesce(a.opt_outs, 0)::bigint as opt_outs,
        coalesce(q.reached_7d, 0)::bigint as reached_7d,
        coalesce(q.negative_7d, 0)::bigint as negative_7d,
        case when coalesce(q.reached_7d, 0) > 0 then q.negative_7d / q.reached_7d end as negative_rate_7d,
        quality_rating(q.negative_7d, coalesce(q.reached_7d, 0), $min_reached, $medium_from, $low_from) as rating
    from days as d
    left join activity as a using (day)
    left join quality as q using (day)
)

select * from final order by day
