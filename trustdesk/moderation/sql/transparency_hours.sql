-- The transparency report's time to a decision: each first decision's month (UTC, of decided_at)
-- with its case's opening and its decision, as the ISO 8601 texts the store holds; the hours
-- between them and their medians are worked out in trustdesk/moderation/transparency.py.
-- Dates bound: :date_from (inclusive), :date_until (exclusive).
SELECT substr(d.decided_at, 1, 7) AS month, c.opened_at, d.decided_at
FROM decisions d
JOIN cases c ON c.id = d.case_id
WHERE d.kind = 'decision'
    AND (:date_from IS NULL OR d.decided_at >= :date_from)
    AND (:date_until IS NULL OR d.decided_at < :date_until)
