-- The transparency report: first decisions by month (UTC, of decided_at), policy and action, and
-- how many of them an appeal overturned. Dates bound: :date_from (inclusive), :date_until (exclusive).
-- Sorted in trustdesk/moderation/transparency.py: the engines order NULL and text differently.
SELECT
    substr(d.decided_at, 1, 7) AS month,
    d.policy,
    p.title AS policy_title,
    d.action,
    count(*) AS decisions,
    sum(d.overturned) AS overturned
FROM decisions d
LEFT JOIN policies p ON p.code = d.policy
WHERE d.kind = 'decision'
    AND (:date_from IS NULL OR d.decided_at >= :date_from)
    AND (:date_until IS NULL OR d.decided_at < :date_until)
GROUP BY 1, 2, 3, 4
