-- One row per loaded message with the policy flags of docs/metrics.md computed once. Kept in the
-- warehouse for the next incremental build (pages never read it), which recomputes the messages
-- etl/models/scopes/int_message_facts.sql names.
-- materialized: table
-- incremental: by message_id
-- unique: message_id
-- (one row per message: audits/one_fact_per_message.sql checks it by count, the grain of the source)
-- An outbound message's status is the furthest its webhook statuses reached (sent < delivered <
-- read; failed), when any were loaded: a later archive adds statuses (stg_message_statuses)
-- instead of changing a loaded message; without statuses it is the message's own.
with furthest as (
    select message_id,
           arg_max(status, case status when 'sent' then 1 when 'delivered' then 2
                                       when 'read' then 3 when 'failed' then 4 end) as status
    from stg_message_statuses
    group by message_id
),

source as (
    select m.message_id, m.sent_at, m.business_id, m.user_id, m.direction, m.user_country, m.category,
           m.template,
           case when m.direction = 'outbound' then coalesce(f.status, m.status) else m.status end as status
    from stg_messages as m
    left join furthest as f using (message_id)
),

windows as (
    select
        *,
        -- latest inbound at or before this message (peers at the same instant included)
        max(case when direction = 'inbound' then sent_at end) over upto as last_inbound_at,
        -- latest inbound strictly before this instant ("in the 24 h before it")
        max(case when direction = 'inbound' then sent_at end) over before as prev_inbound_at,
        min(case when direction = 'inbound' then sent_at end) over pair as first_inbound_at,
        -- the business's next outbound to this user at or after this message
        min(case when direction = 'outbound' then sent_at end) over after as next_outbound_at
    from source
    window
        pair as (partition by business_id, user_id),
        upto as (partition by business_id, user_id order by sent_at
                 range between unbounded preceding and current row),
        after as (partition by business_id, user_id order by sent_at
                  range between current row and unbounded following),
        before as (partition by business_id, user_id order by sent_at
                   range between unbounded preceding and interval 1 microsecond preceding)
),

flags as (
    select
        *,
        direction = 'outbound' and last_inbound_at is not null
            and sent_at < last_inbound_at + interval 24 hour as inside_csw,
        direction = 'inbound'
            and (prev_inbound_at is null or prev_inbound_at <= sent_at - interval 24 hour)
            as opens_window
    from windows
),

final as (
    select
        message_id,
        sent_at,
        cast(sent_at as date) as day,
        business_id,
        user_id,
        direction,
        user_country,
        coalesce(m.region, 'Other') as user_region,
        coalesce(m.market, 'Other') as user_market,
        category,
        template,
        status,
        direction = 'outbound' and status <> 'failed' as is_ok,
        inside_csw,
        direction = 'outbound' and template is null and not inside_csw as freeform_outside,
        direction = 'outbound' and category = 'marketing'
            and (first_inbound_at is null or first_inbound_at >= sent_at) as is_cold,
        -- any outbound message to a user who had never written to the business: a risk signal
        -- wider than the spec's cold outreach (which counts marketing only)
        direction = 'outbound'
            and (first_inbound_at is null or first_inbound_at >= sent_at) as is_unsolicited,
        direction = 'outbound'
            and category in ('marketing', 'utility', 'authentication')
            and status in ('delivered', 'read')
            and not (category = 'utility' and inside_csw) as billable,
        opens_window,
        case when opens_window and next_outbound_at is not null
             then epoch(next_outbound_at - sent_at) end as response_s
    from flags
    left join ref_markets as m on m.country = flags.user_country
)

select * from final
