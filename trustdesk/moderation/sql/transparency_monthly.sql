-- The transparency report by month (UTC), with one more row, month 'all', for the whole range:
-- first decisions, those that took an action (not dismissed), those on cases the risk score opened
-- (detected automatically), appeals received (by cases.appealed_at) and appeals decided and
-- overturned (by the appeal's decided_at). The median hours to a decision come from
-- transparency_hours.sql (the hours between two ISO texts have no SQL both engines share).
-- Written in SQL that SQLite and PostgreSQL both run: counts of a condition are sums of CASE.
-- Dates bound: :date_from (inclusive), :date_until (exclusive), each applied to the row's own date.
WITH first_once AS (
    SELECT substr(d.decided_at, 1, 7) AS month, d.action, c.detected_by
    FROM decisions d
    JOIN cases c ON c.id = d.case_id
    WHERE d.kind = 'decision'
        AND (:date_from IS NULL OR d.decided_at >= :date_from)
        AND (:date_until IS NULL OR d.decided_at < :date_until)
),
firsts AS (
    SELECT month, action, detected_by FROM first_once
    UNION ALL
    SELECT 'all', action, detected_by FROM first_once
),
counts AS (
    SELECT
        month,
        count(*) AS decisions,
        sum(CASE WHEN action <> 'dismiss' THEN 1 ELSE 0 END) AS actioned,
        sum(CASE WHEN detected_by = 'risk score' THEN 1 ELSE 0 END) AS automatic
    FROM firsts
    GROUP BY month
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
    -- DOUBLE PRECISION: 8 bytes in both engines (PostgreSQL's REAL has 4)
    CAST(counts.automatic AS DOUBLE PRECISION) / counts.decisions AS automatic_share,
    coalesce(received.appeals_received, 0) AS appeals_received,
    coalesce(decided.appeals_decided, 0) AS appeals_decided,
    coalesce(decided.overturned, 0) AS overturned
FROM months m
LEFT JOIN counts ON counts.month = m.month
LEFT JOIN received ON received.month = m.month
LEFT JOIN decided ON decided.month = m.month
