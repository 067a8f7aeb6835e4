-- Risk signals per business for every day D of [$as_of - $lookback + 1, $as_of], each on its
-- trailing window [D - $window + 1, D] (the window the risk_window_users mart was built with),
-- with the $long days up to D (steady evidence) and its own history: the 28 days before the
-- window (the baseline).
with days as (
    select cast(unnest(range($as_of::date - ($lookback - 1), $as_of::date + 1, interval 1 day)) as date) as d
),

windowed as (
    select
        a.business_id,
        days.d as day,
        {{ sums('a', 'outbound', 'outbound_ok', 'marketing', 'cold_marketing', 'unsolicited', 'freeform_outside',
                'reports', 'reports_spam', 'reports_scam', 'reports_political', 'blocks', 'blocks_unwanted',
                'opt_outs') }}
    from business_activity_day as a
    join days on a.day between days.d - ($window - 1) and days.d
    group by all
),

long as (
    select
        a.business_id,
        days.d as day,
        sum(a.outbound)::bigint as long_outbound,
        sum(a.outbound_ok)::bigint as long_outbound_ok,
        sum(a.cold_marketing)::bigint as long_cold_marketing,
        sum(a.reports)::bigint as long_reports,
        sum(a.blocks)::bigint as long_blocks
    from business_activity_day as a
    join days on a.day between days.d - ($long - 1) and days.d
    group by all
),

baseline as (
    select
        a.business_id,
        days.d as day,
        sum(a.outbound_ok)::bigint as base_outbound_ok,
        sum(a.reports)::bigint as base_reports,
        sum(a.blocks)::bigint as base_blocks,
        count(*) filter (where a.outbound_ok > 0)::bigint as base_days
    from business_activity_day as a
    join days on a.day between days.d - ($window + 27) and days.d - $window
    group by all
),

political as (
    select business_id, day, max(reports) as top_country_reports, arg_max(user_country, reports) as top_country
    from (
        select p.business_id, days.d as day, p.user_country, sum(p.reports)::bigint as reports
        from political_reports_day as p
        join days on p.day between days.d - ($window - 1) and days.d
        group by all
    )
    group by all
),

final as (
    select
        w.*,
        coalesce(u.reached_users, 0) as reached_users,
        coalesce(u.blocking_users, 0) as blocking_users,
        coalesce(u.negative_users, 0) as negative_users,
        coalesce(l.long_outbound, 0) as long_outbound,
        coalesce(l.long_outbound_ok, 0) as long_outbound_ok,
        coalesce(l.long_cold_marketing, 0) as long_cold_marketing,
        coalesce(l.long_reports, 0) as long_reports,
        coalesce(l.long_blocks, 0) as long_blocks,
        coalesce(b.base_outbound_ok, 0) as base_outbound_ok,
        coalesce(b.base_reports, 0) as base_reports,
        coalesce(b.base_blocks, 0) as base_blocks,
        coalesce(b.base_days, 0) as base_days,
        coalesce(p.top_country_reports, 0) as top_country_political,
        p.top_country,
        d.name,
        coalesce(d.category, 'unknown') as category,
        d.country,
        d.created_at
    from windowed as w
    left join risk_window_users as u using (business_id, day)
    left join long as l using (business_id, day)
    left join baseline as b using (business_id, day)
    left join political as p using (business_id, day)
    left join dim_businesses as d using (business_id)
)

select * from final
