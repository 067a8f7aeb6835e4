-- Blocks in the period by the reason the user gave, with the distinct users behind them.
select
    f.reason,
    count(*) as blocks,
    count(distinct f.user_id) as blocking_users,
    count(distinct f.business_id) as businesses
from feedback_events as f
where f.kind = 'block'
  and {{ filters('f') }}
group by f.reason
order by blocks desc, f.reason
