-- Bad rows: a rate the pages divide out of a mart outside [0, 1], i.e. a part larger than its
-- whole (the part and the whole are both counted on the same row).
-- incremental: changed rows
select 'business_day' as mart, 'ok / messages' as rate, business_id as id, day
from business_day where ok > messages
union all select 'business_day', 'delivered / messages', business_id, day
from business_day where delivered + failed > messages
union all select 'business_day', 'billable / delivered', business_id, day
from business_day where billable > delivered
union all select 'business_day', 'cold / messages', business_id, day
from business_day where cold > unsolicited or unsolicited > messages
union all select 'business_user_day', 'marketing_ok / outbound_ok', business_id, day
from business_user_day where marketing_ok > outbound_ok
union all select 'business_activity_day', 'outbound_ok / outbound', business_id, day
from business_activity_day where outbound_ok > outbound or cold_marketing > marketing or marketing > outbound
union all select 'business_activity_day', 'reports by reason / reports', business_id, day
from business_activity_day
where reports_spam + reports_scam + reports_political > reports or blocks_unwanted > blocks
union all select 'response_day', 'answered_24h / opened', business_id, day
from response_day where answered_24h > opened
union all select 'quality_day', 'blocking_7d / negative_7d', business_id, day
from quality_day where blocking_7d > negative_7d
union all select 'risk_window_users', 'blocking_users / negative_users', business_id, day
from risk_window_users where blocking_users > negative_users
union all select 'ad_user_day', 'clicks / events', campaign_id, day
from ad_user_day where impressions + clicks + replies > events
