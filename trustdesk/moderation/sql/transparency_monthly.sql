-- The transparency report by month (UTC), with one more row, month 'all', for the whole range:
-- first decisions, those that took an action (not dismissed), those on cases the risk score opened
-- (detected automatically), the median hours from a case's opening to its decision, appeals
-- received (by cases.appealed_at) and appeals decided and overturned (by the appeal's decided_at).
-- Dates bound: :date_from (inclusive), :date_until (exclusive), each applied to the row's own date.
WITH first_once AS (
    SELECT
        substr(d.decided_at, 1, 7) AS month,
        d.action,
        c.detected_by,
        -- whole seconds since the epoch (offsets applied), so that the hours come out exact
        (CAST(strftime('%s', d.decided_at) AS INTEGER) - CAST(strftime('%s', c.opened_at) AS INTEGER)) / 3600.0 AS hours
    FROM decisions d
    JOIN cases c ON c.id = d.case_id
    WHERE d.kind = 'decision'
        AND (:date_from IS NULL OR d.decided_at >= :date_from)
        AND (:date_until IS NULL OR d.decided_at < :date_until)
),
first AS (
    SELECT month, action, detected_by, hours FROM first_once
    UNION ALL
    SELECT 'all', action, detected_by, hours FROM first_once
),
counts AS (
    SELECT
        month,
        count(*) AS decisions,
        sum(action <> 'dismiss') AS actioned,
        sum(detected_by = 'risk score') AS automatic
    FROM first
    GROUP BY month
),
ranked AS (
    SELECT
        month,
        hours,
        row_number() OVER (PARTITION BY month ORDER BY hours) AS i,
        count(*) OVER (PARTITION BY month) AS n
    FROM first
),
medians AS (
    -- the middle value, or the mean of the two middle values
    SELECT month, avg(hours) AS median_hours FROM ranked WHERE i IN ((n + 1) / 2, (n + 2) / 2) GROUP BY month
),
received_once AS (
    SELECT substr(c.appealed_at, 1, 7) AS month
    FROM cases c
    WHERE c.appealed_at IS NOT NULL
        AND (:date_from IS NULL OR c.appealed_at >= :date_from)
        AND (:date_until IS NULL OR c.appealed_at < :date_until)
),
received AS (
    SELECT month, count(*) AS appeals_received FROM received_once GROUP BY month
    UNION ALL
    SELECT 'all', count(*) FROM received_once HAVING count(*) > 0
),
decided_once AS (
    SELECT substr(a.decided_at, 1, 7) AS month, a.overturned
    FROM decisions a
    WHERE a.kind = 'appeal'
        AND (:date_from IS NULL OR a.decided_at >= :date_from)
        AND (:date_until IS NULL OR a.decided_at < :date_until)
),
decided AS (
    SELECT month, count(*) AS appeals_decided, sum(overturned) AS overturned FROM decided_once GROUP BY month
    UNION ALL
    SELECT 'all', count(*), sum(overturned) FROM decided_once HAVING count(*) > 0
),
months AS (
    SELECT month FROM counts UNION SELECT month FROM received UNION SELECT month FROM decided
)
SELECT
    m.month,
    coalesce(counts.decisions, 0) AS decisions,
    coalesce(counts.actioned, 0) AS actioned,
    coalesce(counts.automatic, 0) AS automatic,
    CAST(counts.automatic AS REAL) / counts.decisions AS automatic_share,
    medians.median_hours,
    coalesce(received.appeals_received, 0) AS appeals_received,
    coalesce(decided.appeals_decided, 0) AS appeals_decided,
    coalesce(decided.overturned, 0) AS overturned
FROM months m
LEFT JOIN counts ON counts.month = m.month
LEFT JOIN medians ON medians.month = m.month
LEFT JOIN received ON received.month = m.month
LEFT JOIN decided ON decided.month = m.month
ORDER BY m.month = 'all', m.month
