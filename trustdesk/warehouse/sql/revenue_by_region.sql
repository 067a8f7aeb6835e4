-- docs/metrics.md "Revenue": billable messages priced by (market of user_country, category) with
-- the rate-card row in force on the message's date, plus ad spend, per region of the user_country.
-- The price is applied once, when the mart is built (business_day.revenue_usd).
-- $market and $category (of the business that sent the message or runs the campaign) are the
-- pages' extra filters, NULL for the spec's table. Revenue and spend are exact money (DECIMAL):
-- every sum stays exact, whatever order the rows are added in.
with messaging as (
    select s.user_region as region, sum(s.billable)::bigint as billable_messages,
           sum(s.revenue_usd) as messaging_revenue_usd
    from business_day as s
    where s.billable > 0
      and {{ filters('s') }}
    group by s.user_region
),

ads as (
    select s.user_region as region, sum(s.spend_usd) as ad_revenue_usd, sum(s.events)::bigint as ad_events
    from ad_user_day as s
    where {{ filters('s') }}
    group by s.user_region
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
