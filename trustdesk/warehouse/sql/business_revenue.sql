-- Grain: one business. The revenue at stake in [$date_from, $date_to], as docs/metrics.md
-- "Revenue" and revenue_by_region.sql define it: billable messages priced with the rate-card row
-- in force on the message's date for (market of user_country, category), priced at build
-- (business_day.revenue_usd), plus its ad spend.
with messaging as (
    select
        coalesce(sum(billable), 0)::bigint as billable_messages,
        coalesce(sum(revenue_usd), 0) as messaging_revenue_usd
    from business_day
    where business_id = $business_id
      and day between $date_from and $date_to
      and billable > 0
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
