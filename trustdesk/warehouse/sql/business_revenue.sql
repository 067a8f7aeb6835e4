-- Grain: one business. The revenue at stake in [$date_from, $date_to], as docs/metrics.md
-- "Revenue" and revenue_by_region.sql define it: billable messages priced with the rate-card row
-- in force on the message's date for (market of user_country, category), plus its ad spend.
with billable as (
    select day, user_market as market, category, sum(billable)::bigint as messages
    from business_day
    where business_id = $business_id
      and day between $date_from and $date_to
      and billable > 0
    group by all
),

priced as (
    select
        b.messages,
        b.messages * coalesce(
            (select arg_max(r.price_usd, r.effective_from)
             from ref_rate_card as r
             where r.market = b.market and r.category = b.category and r.effective_from <= b.day),
            0) as revenue_usd
    from billable as b
),

messaging as (
    select
        coalesce(sum(messages), 0)::bigint as billable_messages,
        coalesce(sum(revenue_usd), 0) as messaging_revenue_usd
    from priced
),

ads as (
    select coalesce(sum(a.spend_usd), 0) as ad_spend_usd
    from ad_user_day as a
    join dim_campaigns as c using (campaign_id)
    where c.business_id = $business_id
      and a.day between $date_from and $date_to
),

final as (
    select
        m.billable_messages,
        m.messaging_revenue_usd,
        a.ad_spend_usd,
        m.messaging_revenue_usd + a.ad_spend_usd as total_usd
    from messaging as m
    cross join ads as a
)

select * from final
