-- Grain: business. The latest loaded version of each business, plus businesses that events name
-- but no file has defined yet (known = false, shown as unknown).
-- unique: business_id
with versions as (
    select * from stg_businesses
),

latest as (
    select *
    from versions
    qualify row_number() over (partition by business_id order by load_id desc, line desc) = 1
),

named as (
    select business_id from stg_messages
    union select business_id from stg_reports
    union select business_id from stg_blocks
    union select business_id from stg_opt_outs
    union select business_id from stg_ad_campaigns
),

final as (
    select
        coalesce(l.business_id, n.business_id) as business_id,
        l.business_id is not null as known,
        l.name,
        coalesce(l.category, 'unknown') as category,
        l.country,
        l.employees,
        l.verified,
        l.created_at
    from latest as l
    full outer join named as n on n.business_id = l.business_id
)

select * from final
