-- The transparency export: every first decision (kind 'decision'), with its case, its policy and
-- the outcome of its appeal, if any, in decision order. Read in chunks from one cursor
-- (trustdesk/moderation/transparency.py): ORDER BY the rowid needs no sort, so the first rows come
-- before the last are read. Dates bound: :date_from (inclusive) and :date_until (exclusive), ISO.
SELECT
    d.id AS decision_id,
    d.case_id,
    d.business_id,
    d.decided_at,
    d.action,
    d.policy,
    d.rationale,
    d.overturned,
    c.opened_at,
    c.flagged_on,
    c.market,
    c.detected_by,
    c.appealed_at,
    coalesce(c.appeal_decided_at, a.decided_at) AS appeal_decided_at,
    a.action AS appeal_action,
    p.title AS policy_title,
    p.description AS policy_description,
    p.dsa_category,
    p.dsa_ground,
    p.legal_ground
FROM decisions d
JOIN cases c ON c.id = d.case_id
LEFT JOIN decisions a ON a.case_id = d.case_id AND a.kind = 'appeal'
LEFT JOIN policies p ON p.code = d.policy
WHERE d.kind = 'decision'
    AND (:date_from IS NULL OR d.decided_at >= :date_from)
    AND (:date_until IS NULL OR d.decided_at < :date_until)
ORDER BY d.id
