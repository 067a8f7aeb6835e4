-- User countries in loaded messages and ad events that ref_markets (markets.csv) does not list:
-- their rows have no pricing market and count in region Other.
with seen as (
    select user_country as country, cast(sum(messages) as bigint) as messages, 0 as ad_events
    from business_day
    group by user_country
    union all
    select user_country, 0, cast(sum(events) as bigint)
    from ad_user_day
    group by user_country
),

totals as (
    select country, cast(sum(messages) as bigint) as messages, cast(sum(ad_events) as bigint) as ad_events
    from seen
    group by country
),

final as (
    select t.country, t.messages, t.ad_events
    from totals as t
    left join ref_markets as m using (country)
    where m.country is null
)

select * from final order by messages + ad_events desc, country
