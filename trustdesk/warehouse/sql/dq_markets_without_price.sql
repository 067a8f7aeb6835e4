-- Pricing markets (ref_markets) with no price for a billable category ($categories) in
-- ref_rate_card, or priced only from a day after the data's first day ($first_day): outbound
-- messages of that category in that market earn nothing before the first price.
with markets as (
    select market, count(*) as countries
    from ref_markets
    group by market
),

categories as (
    select unnest($categories::varchar[]) as category
),

first_price as (
    select market, category, min(effective_from) as priced_from
    from ref_rate_card
    group by market, category
),

sent as (
    select user_market as market, category, day, cast(sum(messages) as bigint) as messages
    from business_day
    where direction = 'outbound'
    group by all
),

checked as (
    select
        m.market,
        c.category,
        m.countries,
        p.priced_from,
        case
            when p.priced_from is null then 'no price'
            when p.priced_from > $first_day then 'no price before ' || strftime(p.priced_from, '%Y-%m-%d')
        end as problem
    from markets as m
    cross join categories as c
    left join first_price as p using (market, category)
),

final as (
    select
        k.market,
        k.category,
        k.problem,
        k.countries,
        k.priced_from,
        cast(coalesce(sum(s.messages) filter (where k.priced_from is null or s.day < k.priced_from), 0) as bigint)
            as unpriced_messages
    from checked as k
    left join sent as s using (market, category)
    where k.problem is not null
    group by all
)

select * from final order by unpriced_messages desc, market, category
