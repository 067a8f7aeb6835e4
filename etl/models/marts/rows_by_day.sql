-- Grain: kind x day. Loaded rows per day, for gaps and spikes on the data quality page.
-- unique: kind, day
select 'messages' as kind, cast(sent_at as date) as day, count(*) as rows from stg_messages group by all
union all select 'reports', cast(reported_at as date), count(*) from stg_reports group by all
union all select 'blocks', cast(blocked_at as date), count(*) from stg_blocks group by all
union all select 'opt_outs', cast(changed_at as date), count(*) from stg_opt_outs group by all
union all select 'ad_events', cast(occurred_at as date), count(*) from stg_ad_events group by all
