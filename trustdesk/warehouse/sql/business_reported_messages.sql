-- Grain: report, for one business in [$date_from, $date_to]: the reported message's template and
-- text as the user received it, newest first, at most $limit.
with reports as (
    select
        report_id,
        reported_at,
        reason,
        user_id,
        message_id,
        sent_at,
        category,
        template,
        text
    from reported_messages
    where business_id = $business_id
      and cast(reported_at as date) between $date_from and $date_to
)

select * from reports order by reported_at desc, report_id limit $limit
