-- Grain: day x business x user_country x response bucket, over inbound messages that open a new
-- customer-service window.
-- unique: day, business_id, user_country, bucket
-- incremental: same day
with opened as (
    select day, business_id, user_country, user_region, response_s
    from int_message_facts
    where opens_window
),

final as (
    select
        day,
        business_id,
        user_country,
        user_region,
        case
            when response_s is null then 'no answer'
            when response_s < 300 then '< 5 min'
            when response_s < 3600 then '5-60 min'
            when response_s < 4 * 3600 then '1-4 h'
            when response_s < 24 * 3600 then '4-24 h'
            else '>= 24 h'
        end as bucket,
        count(*) as opened,
        count(*) filter (where response_s < 86400) as answered_24h,
        sum(response_s) as total_response_s,
        coalesce(b.category, 'unknown') as business_category
    from opened
    left join dim_businesses as b using (business_id)
    group by all
)

select * from final
