-- Grain: one business. Its latest file (dim_businesses; known = false when events name it but no
-- file has defined it yet) and the span and size of its activity in the whole data.
with business as (
    select * from dim_businesses where business_id = $business_id
),

activity as (
    select
        min(day) as first_day,
        max(day) as last_day,
        sum(outbound)::bigint as outbound,
        sum(reports)::bigint as reports,
        sum(blocks)::bigint as blocks
    from business_activity_day
    where business_id = $business_id
),

final as (
    select
        b.business_id,
        b.known,
        b.name,
        b.category,
        b.country,
        b.employees,
        b.verified,
        b.created_at,
        a.first_day,
        a.last_day,
        coalesce(a.outbound, 0) as outbound,
        coalesce(a.reports, 0) as reports,
        coalesce(a.blocks, 0) as blocks
    from business as b
    cross join activity as a
)

select * from final
