-- Blocks in the period by the reason the user gave, with the distinct users behind them.
select
    f.reason,
    count(*) as blocks,
    count(distinct f.user_id) as blocking_users,
    count(distinct f.business_id) as businesses
from feedback_events as f
left join dim_businesses as b using (business_id)
where f.kind = 'block'
  and f.day between $date_from and $date_to
  and ($region::varchar is null or f.user_region = $region)
  and ($market::varchar is null or f.user_market = $market)
  and ($category::varchar is null or b.category = $category)
group by f.reason
order by blocks desc, f.reason
