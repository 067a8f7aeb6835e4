-- spec/metrics.md "Revenue": billable messages priced by (market of user_country, category) with
-- the rate-card row in force on the message's date, plus ad spend, per region of the user_country.
with billable as (
    select day, user_region as region, user_market as market, category, sum(billable)::bigint as messages
    from business_day
    where day between $date_from and $date_to
      and billable > 0
      and ($region::VARCHAR is null or user_region = $region)
    group by all
),

priced as (
    select
        b.region,
        b.messages,
        b.messages * coalesce(
            (select arg_max(r.price_usd, r.effective_from)
             from ref_rate_card as r
             where r.market = b.market and r.category = b.category and r.effective_from <= b.day),
            0) as revenue_usd
    from billable as b
),

messaging as (
    select region, sum(messages)::bigint as billable_messages, sum(revenue_usd) as messaging_revenue_usd
    from priced
    group by region
),

ads as (
    select user_region as region, sum(spend_usd) as ad_revenue_usd, sum(events)::bigint as ad_events
    from ad_user_day
    where day between $date_from and $date_to
      and ($region::VARCHAR is null or user_region = $region)
    group by user_region
),

final as (
    select
        coalesce(m.region, a.region) as region,
        coalesce(m.billable_messages, 0) as billable_messages,
        coalesce(m.messaging_revenue_usd, 0) as messaging_revenue_usd,
        coalesce(a.ad_revenue_usd, 0) as ad_revenue_usd,
        coalesce(m.messaging_revenue_usd, 0) + coalesce(a.ad_revenue_usd, 0) as total_revenue_usd
    from messaging as m
    full outer join ads as a using (region)
    where coalesce(m.billable_messages, 0) > 0 or coalesce(a.ad_events, 0) > 0
)

select * from final order by region
