-- Businesses and campaigns that loaded events name but no loaded file defines yet
-- (dim_businesses.known / dim_campaigns.known = false), with the rows naming each, by kind.
with business_rows as (
    select business_id as id, 'messages' as kind, cast(sum(messages) as bigint) as n, min(day) as first_day,
           max(day) as last_day
    from business_day
    group by business_id
    union all
    select business_id, kind || 's', count(*), min(day), max(day)
    from feedback_events
    group by business_id, kind
    union all
    select business_id, 'ad_campaigns', count(*), min(starts_on), max(ends_on)
    from dim_campaigns
    where known
    group by business_id
),

campaign_rows as (
    select campaign_id as id, 'ad_events' as kind, cast(sum(events) as bigint) as n, min(day) as first_day,
           max(day) as last_day
    from ad_user_day
    group by campaign_id
),

named as (
    select 'business' as entity, r.*
    from business_rows as r
    join dim_businesses as b on b.business_id = r.id
    where not b.known
    union all
    select 'campaign', r.*
    from campaign_rows as r
    join dim_campaigns as c on c.campaign_id = r.id
    where not c.known
),

final as (
    select
        entity,
        id,
        cast(sum(n) as bigint) as rows,
        cast(coalesce(sum(n) filter (where kind = 'messages'), 0) as bigint) as messages,
        cast(coalesce(sum(n) filter (where kind = 'reports'), 0) as bigint) as reports,
        cast(coalesce(sum(n) filter (where kind = 'blocks'), 0) as bigint) as blocks,
        cast(coalesce(sum(n) filter (where kind = 'opt_outs'), 0) as bigint) as opt_outs,
        cast(coalesce(sum(n) filter (where kind = 'ad_campaigns'), 0) as bigint) as ad_campaigns,
        cast(coalesce(sum(n) filter (where kind = 'ad_events'), 0) as bigint) as ad_events,
        min(first_day) as first_day,
        max(last_day) as last_day
    from named
    group by entity, id
)

select * from final order by entity, rows desc, id
