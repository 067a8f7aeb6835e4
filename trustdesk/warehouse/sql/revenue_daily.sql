-- Revenue per day, region, market and stream: a rate-card category of billable messages, priced
-- as revenue_by_region.sql prices them, or 'ads' (ad spend). The revenue page's trends and
-- breakdowns add these rows up; its table by region comes from the revenue_by_region metric.
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

messaging as (
    select
        b.day,
        b.region,
        b.market,
        b.category as stream,
        b.messages as billable_messages,
        b.messages * coalesce(
            (select arg_max(r.price_usd, r.effective_from)
             from ref_rate_card as r
             where r.market = b.market and r.category = b.category and r.effective_from <= b.day),
            0) as revenue_usd,
        0::bigint as ad_events
    from billable as b
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
    left join dim_campaigns as c using (campaign_id)
    left join businesses as b on b.business_id = c.business_id
    where s.day between $date_from and $date_to
      and ($region::varchar is null or s.user_region = $region)
      and ($market::varchar is null or s.user_market = $market)
      and ($category::varchar is null or coalesce(b.category, 'unknown') = $category)
    group by all
)

select * from messaging
union all
select * from ads
order by day, region, market, stream
