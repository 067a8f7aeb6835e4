-- Grain: day x business x user_country x direction x category x (template or free-form).
-- revenue_usd prices the billable messages once, here: billable x the rate-card price in force on
-- the day for (market of user_country, category), 0 without one (docs/metrics.md "Revenue"). It is
-- money, DECIMAL(38, 9) (etl/contract.py MONEY_TYPE), so sums over any rows stay exact.
-- unique: day, business_id, user_country, direction, category, is_template
-- incremental: same day
with grouped as (
    select
        f.day,
        f.business_id,
        f.user_country,
        f.user_region,
        f.user_market,
        f.direction,
        f.category,
        f.template is not null as is_template,
        count(*) as messages,
        count(*) filter (where f.is_ok) as ok,
        count(*) filter (where f.status = 'failed') as failed,
        count(*) filter (where f.status in ('delivered', 'read')) as delivered,
        count(*) filter (where f.billable) as billable,
        count(*) filter (where f.is_cold) as cold,
        count(*) filter (where f.freeform_outside) as freeform_outside,
        count(*) filter (where f.is_unsolicited) as unsolicited,
        count(*) filter (where f.inside_csw) as inside_csw
    from int_message_facts as f
    group by all
),

final as (
    select
        g.*,
        cast(g.billable * coalesce(
            (select arg_max(r.price_usd, r.effective_from)
             from ref_rate_card as r
             where r.market = g.user_market and r.category = g.category and r.effective_from <= g.day),
            0) as decimal(38, 9)) as revenue_usd,
        coalesce(b.category, 'unknown') as business_category
    from grouped as g
    left join dim_businesses as b using (business_id)
)

select * from final
