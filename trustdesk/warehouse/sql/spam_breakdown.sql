-- Reports and reports per 1,000 outbound non-failed messages (the report rate of docs/metrics.md)
-- by region, by market, by business category, and over everything (dimension 'all'). Reports
-- follow the reporting user's country, messages the receiving user's country.
with reports as (
    select f.user_region as region, f.user_market as market, f.business_category as category
    from feedback_events as f
    where f.kind = 'report'
      and {{ filters('f') }}
),

messages as (
    select s.user_region as region, s.user_market as market, s.business_category as category, s.ok
    from business_day as s
    where s.direction = 'outbound'
      and {{ filters('s') }}
),

report_counts as (
    select
        {{ grouped_by(region='region', market='market', category='category') }} as dimension,
        {{ grouped_value('region', 'market', 'category') }} as value,
        count(*) as reports
    from reports
    group by grouping sets ((region), (market), (category), ())
),

message_counts as (
    select
        {{ grouped_by(region='region', market='market', category='category') }} as dimension,
        {{ grouped_value('region', 'market', 'category') }} as value,
        sum(ok)::bigint as messages
    from messages
    group by grouping sets ((region), (market), (category), ())
),

final as (
    select
        dimension,
        value,
        coalesce(r.reports, 0) as reports,
        coalesce(m.messages, 0) as messages,
        case when m.messages > 0 then coalesce(r.reports, 0) / m.messages * 1000 end as reports_per_1000
    from report_counts as r
    full outer join message_counts as m using (dimension, value)
)

select * from final order by dimension, reports desc, value
