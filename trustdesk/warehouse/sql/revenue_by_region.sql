-- docs/metrics.md "Revenue": billable messages priced by (market of user_country, category) with
-- the rate-card row in force on the message's date, plus ad spend, per region of the user_country.
-- $market and $category (of the business that sent the message or runs the campaign) are the
-- pages' extra filters, NULL for the spec's table. Prices and spend are exact money (DECIMAL): count x
-- price and every sum stay exact, whatever order the rows are added in.
with businesses as (
    select business_id, category from dim_businesses
),

billable as (
    select s.day, s.user_region as region, s.user_market as market, s.category, sum(s.billable)::bigint as messages
    from business_day as s
    left join businesses as b using (business_id)
    where s.day between $date_from and $date_to
      and s.billable > 0
      and ($region::varchar is null or s.user_region = $region)
      and ($market::varchar is null or s.user_market = $market)
      and ($category::varchar is null or b.category = $category)
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
    select s.user_region as region, sum(s.spend_usd) as ad_revenue_usd, sum(s.events)::bigint as ad_events
    from ad_user_day as s
    left join dim_campaigns as c using (campaign_id)
    left join businesses as b on b.business_id = c.business_id
    where s.day between $date_from and $date_to
      and ($region::varchar is null or s.user_region = $region)
      and ($market::varchar is null or s.user_market = $market)
      and ($category::varchar is null or coalesce(b.category, 'unknown') = $category)
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
