-- Bad rows: a count, a user number or an amount of money below zero in a mart (a negative price in
-- the rate card shows here as negative revenue).
-- incremental: changed rows
select 'business_day' as mart, business_id as id, day
from business_day
where least(messages, ok, failed, delivered, billable, cold, freeform_outside, unsolicited, inside_csw) < 0
   or revenue_usd < 0
union all
select 'business_user_day', business_id, day
from business_user_day
where least(outbound_ok, marketing_ok, inbound) < 0
union all
select 'business_activity_day', business_id, day
from business_activity_day
where least(outbound, outbound_ok, marketing, cold_marketing, unsolicited, freeform_outside, inbound,
            reports, reports_spam, reports_scam, reports_political, blocks, blocks_unwanted, opt_outs) < 0
union all
select 'response_day', business_id, day
from response_day
where least(opened, answered_24h) < 0 or total_response_s < 0
union all
select 'quality_day', business_id, day
from quality_day
where least(reached_7d, negative_7d, blocking_7d) < 0
union all
select 'risk_window_users', business_id, day
from risk_window_users
where least(reached_users, negative_users, blocking_users) < 0
union all
select 'political_reports_day', business_id, day
from political_reports_day
where reports < 0
union all
select 'ad_user_day', campaign_id, day
from ad_user_day
where least(impressions, clicks, replies, events) < 0 or spend_usd < 0
union all
select 'rows_by_day', kind, day
from rows_by_day
where rows < 0
