-- The labels moderators' decisions give (trustdesk/moderation/learning.py): one row per case with a
-- first decision and a data date, oldest data date first. `against` is 1 for a decision against the
-- business (any action but dismiss) that was not overturned on appeal, 0 for a dismissal or an
-- overturned decision. `flagged_on` is the day the case's flag was first seen (its date part).
-- Bound: :until (a data date, inclusive; NULL: every decision).
SELECT
    c.id AS case_id,
    c.business_id,
    c.decided_as_of,
    substr(c.flagged_on, 1, 10) AS flagged_on,
    d.action,
    d.overturned,
    CASE WHEN d.action <> 'dismiss' AND d.overturned = 0 THEN 1 ELSE 0 END AS against
FROM decisions AS d
JOIN cases AS c ON c.id = d.case_id
WHERE d.kind = 'decision'
    AND c.decided_as_of IS NOT NULL
    AND (:until IS NULL OR c.decided_as_of <= :until)
ORDER BY c.decided_as_of, c.id
