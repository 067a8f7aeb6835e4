-- For the risk score: per business and day D of [$as_of - $lookback + 1, $as_of], how many times
-- in the trailing $window days the platform itself found fault: a violation, a restriction or a
-- disabled account, or the account's quality rating going down to RED / FLAGGED / LOW. A template
-- paused or rejected is not counted: legitimate businesses get those for wording and format.
with days as (
    select cast(unnest(range($as_of::date - ($lookback - 1), $as_of::date + 1, interval 1 day)) as date) as d
),

bad as (
    select business_id, day, event, new_value
    from platform_events
    where event in ('account_violation', 'account_restriction', 'disabled_update')
       or (upper(coalesce(new_value, '')) in ('RED', 'FLAGGED', 'LOW') and event not ilike '%template%')
)

select b.business_id, days.d as day, count(*)::bigint as platform_faults,
       string_agg(distinct b.event || coalesce(' (' || b.new_value || ')', ''), ', ') as platform_said
from bad as b
join days on b.day between days.d - ($window - 1) and days.d
group by all
