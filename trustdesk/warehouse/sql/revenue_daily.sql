-- Revenue per day, region, market and stream: a rate-card category of billable messages (priced at
-- build, business_day.revenue_usd, as revenue_by_region.sql sums it), or 'ads' (ad spend). The revenue page's trends and
-- breakdowns add these rows up; its table by region comes from the revenue_by_region metric.
with messaging as (
    select
        s.day,
        s.user_region as region,
        s.user_market as market,
        s.category as stream,
        sum(s.billable)::bigint as billable_messages,
        sum(s.revenue_usd) as revenue_usd,
        0::bigint as ad_events
    from business_day as s
    where s.billable > 0
      and {{ filters('s') }}
    group by all
),

ads as (
    select
        s.day,
        s.user_region as region,
        s.user_market as market,
        'ads' as stream,
        0::bigint as billable_messages,
        sum(s.spend_usd) as revenue_usd,
        sum(s.events)::bigint as ad_events
    from ad_user_day as s
    where {{ filters('s') }}
    group by all
)

select * from messaging
union all
select * from ads
order by day, region, market, stream
