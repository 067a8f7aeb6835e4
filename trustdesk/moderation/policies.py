"""The policies a decision names: a code, a title and a description that an admin edits, and the
category and ground of the EU Digital Services Act's statement of reasons each one maps to.

Decisions keep the code they were taken under; a policy is never deleted, only retired (`active`
off), so every decision's policy stays in the catalogue and in the transparency export
(docs/transparency.md). Policies are not personal data: anyone signed in may read them, only an
admin may change them.

This module must not import trustdesk.moderation.cases: cases checks a decision's policy here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from trustdesk import appdb
from trustdesk.accounts.auth import Principal, require, utcnow
from trustdesk.moderation import audit
from trustdesk.moderation.errors import ModerationError

CODE = re.compile(r"[a-z0-9_]{1,40}")
GROUNDS = ("illegal", "incompatible")
# The statement-of-reasons field each text ends up in sets its limit (transparency.py): the
# description is the explanation (2,000 characters), the legal ground its own field (500).
TITLE_MAX, DESCRIPTION_MAX, LEGAL_GROUND_MAX = 120, 2000, 500

# The `category` of the DSA Transparency Database's statement of reasons (API v2, from 1 July
# 2025): the value the API takes, and its label.
DSA_CATEGORIES = {
    "STATEMENT_CATEGORY_ANIMAL_WELFARE": "Animal welfare",
    "STATEMENT_CATEGORY_CONSUMER_INFORMATION": "Consumer information infringements",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE": "Cyber violence",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN": "Cyber violence against women",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS": "Data protection and privacy violations",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH": "Illegal or harmful speech",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS": "Intellectual property infringements",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS": "Negative effects on civic discourse or elections",
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE": "Type of alleged illegal content not specified by the notifier",
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC": "Other violation of provider's terms and conditions",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS": "Protection of minors",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY": "Risk for public security",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD": "Scams and/or fraud",
    "STATEMENT_CATEGORY_SELF_HARM": "Self-harm",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS": "Unsafe, non-compliant or prohibited products",
    "STATEMENT_CATEGORY_VIOLENCE": "Violence",
}
GROUND_WORDS = {
    "illegal": "Illegal content (DECISION_GROUND_ILLEGAL_CONTENT)",
    "incompatible": "Incompatible with the terms of service (DECISION_GROUND_INCOMPATIBLE_CONTENT)",
}

appdb.register_schema(
    """
CREATE TABLE IF NOT EXISTS policies (
    code TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    dsa_category TEXT NOT NULL,
    dsa_ground TEXT NOT NULL CHECK (dsa_ground IN ('illegal', 'incompatible')),
    legal_ground TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    position INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT,
    updated_by TEXT
);
-- Decisions taken before policies were editable name these codes.
INSERT INTO policies (code, title, description, dsa_category, dsa_ground, position) VALUES
    ('spam', 'Spam and unsolicited marketing',
     'Messages the recipient did not ask for: marketing templates sent to people who never wrote to the '
     || 'business or did not opt in, bulk sends to bought or scraped lists, and messages that go on after '
     || 'the person opted out or blocked the business. Typical signals: high block and spam-report rates, '
     || 'cold marketing outside the customer service window.',
     'STATEMENT_CATEGORY_OTHER_VIOLATION_TC', 'incompatible', 0),
    ('scam', 'Scams and fraud',
     'Messages that try to get money or personal data by deceit: prizes, loans, jobs or deliveries that '
     || 'ask for an upfront fee or a code, phishing links, and impersonation of banks, couriers, shops or '
     || 'public bodies. Say in the rationale what the deceit was, without quoting personal data.',
     'STATEMENT_CATEGORY_SCAMS_AND_FRAUD', 'incompatible', 1),
    ('election_integrity', 'Election integrity',
     'Political messaging that breaks the election rules of the terms of service: false information '
     || 'about when, where or how to vote, impersonation of candidates, parties or election authorities, '
     || 'and bulk political messages to people who did not opt in to them.',
     'STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS', 'incompatible', 2),
    ('other', 'Other terms of service',
     'A breach of the terms of service that none of the other policies covers. Name the term that was '
     || 'broken in the rationale; if the same kind of case keeps coming back, ask an admin for a policy of its own.',
     'STATEMENT_CATEGORY_OTHER_VIOLATION_TC', 'incompatible', 3)
    ON CONFLICT DO NOTHING;
"""
)


@dataclass(frozen=True)
class Policy:
    code: str
    title: str
    description: str
    dsa_category: str
    dsa_ground: str  # 'illegal' | 'incompatible'
    legal_ground: str
    active: bool

    @property
    def label(self) -> str:
        """How a policy reads where one is chosen: its title, then its code."""
        return f"{self.title} ({self.code})"


def _policy(row) -> Policy:
    return Policy(
        row["code"],
        row["title"],
        row["description"],
        row["dsa_category"],
        row["dsa_ground"],
        row["legal_ground"],
        bool(row["active"]),
    )


def catalogue(con) -> dict[str, Policy]:
    """Every policy by code, active and retired, in display order."""
    rows = con.execute(
        "SELECT code, title, description, dsa_category, dsa_ground, legal_ground, active FROM policies "
        "ORDER BY position, code"
    ).fetchall()
    return {r["code"]: _policy(r) for r in rows}


def active(con) -> dict[str, Policy]:
    """The policies a new decision may name, in display order."""
    return {code: p for code, p in catalogue(con).items() if p.active}


def check(con, code: str) -> Policy:
    """The active policy `code`, or a one-sentence refusal naming the ones to choose from."""
    known = catalogue(con)
    choices = ", ".join(p.code for p in known.values() if p.active)
    policy = known.get(code or "")
    if policy is None:
        if not code:
            raise ModerationError(f"a decision needs a policy; choose one of {choices}")
        raise ModerationError(f"unknown policy '{code}'; choose one of {choices}")
    if not policy.active:
        raise ModerationError(f"the policy '{code}' is retired; choose one of {choices}")
    return policy


def listed(root: Path) -> list[Policy]:
    """Every policy in display order (active and retired), for pages: no role needed."""
    con = appdb.connect(root)
    try:
        return list(catalogue(con).values())
    finally:
        con.close()


def _checked(
    code: str, title: str, description: str, dsa_category: str, dsa_ground: str, legal_ground: str
) -> tuple[str, str, str]:
    if not CODE.fullmatch(code or ""):
        raise ModerationError("a policy code is 1 to 40 lowercase letters, digits or underscores, like spam or scam")
    title, description, legal_ground = (title or "").strip(), (description or "").strip(), (legal_ground or "").strip()
    if not title:
        raise ModerationError("a policy needs a title")
    if len(title) > TITLE_MAX:
        raise ModerationError(f"a policy's title is at most {TITLE_MAX} characters")
    if len(description) > DESCRIPTION_MAX:
        raise ModerationError(f"a policy's description is at most {DESCRIPTION_MAX:,} characters")
    if dsa_category not in DSA_CATEGORIES:
        raise ModerationError(
            f"unknown DSA category '{dsa_category}'; choose one of the statement-of-reasons categories"
        )
    if dsa_ground not in GROUNDS:
        raise ModerationError(f"unknown DSA ground '{dsa_ground}'; choose illegal or incompatible")
    if dsa_ground == "illegal" and not legal_ground:
        raise ModerationError(
            "a policy on illegal content needs the legal ground it relies on (the law and its article)"
        )
    if len(legal_ground) > LEGAL_GROUND_MAX:
        raise ModerationError(f"a policy's legal ground is at most {LEGAL_GROUND_MAX} characters")
    return title, description, legal_ground


def save(
    root: Path,
    who: Principal,
    code: str,
    title: str,
    description: str,
    dsa_category: str,
    dsa_ground: str,
    legal_ground: str = "",
    active: bool = True,
    clock=utcnow,
) -> None:
    """Add the policy `code` or change it (admin only); the change is audited. A policy is retired
    rather than deleted, and at least one stays active, so that a decision can always name one."""
    who = require(who, "admin", "edit policies")
    title, description, legal_ground = _checked(code, title, description, dsa_category, dsa_ground, legal_ground)
    now = clock().isoformat(timespec="seconds")
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            old = catalogue(con).get(code)
            if not active and not any(p.active for c, p in catalogue(con).items() if c != code):
                raise ModerationError("at least one policy must stay active, or no decision could name one")
            if old is None:
                con.execute(
                    "INSERT INTO policies (code, title, description, dsa_category, dsa_ground, legal_ground, active, "
                    "position, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, "
                    "(SELECT coalesce(max(position), -1) + 1 FROM policies), ?, ?)",
                    (code, title, description, dsa_category, dsa_ground, legal_ground, int(active), now, who.name),
                )
            else:
                con.execute(
                    "UPDATE policies SET title = ?, description = ?, dsa_category = ?, dsa_ground = ?, "
                    "legal_ground = ?, active = ?, updated_at = ?, updated_by = ? WHERE code = ?",
                    (title, description, dsa_category, dsa_ground, legal_ground, int(active), now, who.name, code),
                )
            new = Policy(code, title, description, dsa_category, dsa_ground, legal_ground, active)
            audit.record(con, now, who.name, "policy saved", detail=_changes(old, new))
    finally:
        con.close()


def _changes(old: Policy | None, new: Policy) -> str:
    """The audit line's detail: what the save changed, in words."""
    if old is None:
        return f"{new.code} added: {new.title} ({new.dsa_category}, {new.dsa_ground})" + (
            "" if new.active else ", retired"
        )
    changed = [
        name.replace("_", " ")
        for name in ("title", "description", "dsa_category", "dsa_ground", "legal_ground")
        if getattr(old, name) != getattr(new, name)
    ]
    if old.active != new.active:
        changed.append("reactivated" if new.active else "retired")
    return f"{new.code}: " + (", ".join(changed) if changed else "saved unchanged") + f"; title {new.title}"
