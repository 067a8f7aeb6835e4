-- The last day of message and feedback activity: the trailing windows (templates/trailing_users.sql)
-- run up to it. Its own model, so that an incremental build that recomputes some businesses' windows
-- still runs them to the last day of all businesses.
-- materialized: temp table
select greatest(
    (select max(day) from business_user_day),
    (select max(day) from feedback_events)
) as d
