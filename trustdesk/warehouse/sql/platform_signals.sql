-- For the review queue: per business, what the platform said in the $days days up to $as_of, as a
-- reason ("platform: phone_number_flagged (TIER_2K), template_quality_changed (YELLOW)").
with recent as (
    select business_id, occurred_at, event, new_value
    from platform_events
    where day between $as_of::date - ($days - 1) and $as_of::date
)
select business_id,
       count(*)::bigint as platform_events,
       max(occurred_at) as last_event_at,
       arg_max(event, occurred_at) as last_event,
       -- The platform itself found a violation, restricted or disabled the account: auto-escalated.
       bool_or(event in ('account_violation', 'account_restriction', 'disabled_update')) as violation,
       'platform: ' || string_agg(event || coalesce(' (' || new_value || ')', ''), ', '
                                   order by occurred_at desc) as reason
from recent
group by business_id
order by last_event_at desc, business_id
