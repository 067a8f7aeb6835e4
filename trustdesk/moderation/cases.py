"""Cases, claims, decisions, appeals and their audit trail, in the transactional store.

Every write is one `appdb.transaction` (BEGIN IMMEDIATE in SQLite, WAL, synchronous=FULL; the
store's advisory write lock in PostgreSQL), committed before the caller confirms anything, so a
confirmed decision survives the server being killed, and two moderators deciding one case at the
same moment get exactly one decision recorded. Loading logs
never touches this file. Every function checks the caller's role itself.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from trustdesk import appdb
from trustdesk.accounts.auth import ROLES, PermissionDenied, Principal, require, utcnow
from trustdesk.moderation import audit, outbox, policies
from trustdesk.moderation.errors import Conflict, ModerationError

ACTIONS = ("dismiss", "warn", "restrict", "pause_templates", "suspend", "ban")
ACTION_WORDS = {
    "dismiss": "Dismiss (no violation)",
    "warn": "Warn",
    "restrict": "Restrict the messaging limit",
    "pause_templates": "Pause templates",
    "suspend": "Suspend",
    "ban": "Ban",
}
# The strikes ladder: each live strike moves a business one step along it.
LADDER = ("warn", "restrict", "pause_templates", "suspend", "ban")
ACTIVE = ("open", "claimed", "appealed")
GENERAL, SENIOR = "general", "senior"
QUEUE_NAME = re.compile(r"[a-z0-9_]{1,40}")

appdb.register_schema(
    """
CREATE TABLE IF NOT EXISTS cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    business_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'decided', 'appealed', 'appeal_decided')),
    risk_score REAL,
    reasons TEXT,
    flagged_on TEXT,
    opened_at TEXT NOT NULL,
    claimed_by TEXT,
    claimed_at TEXT,
    snoozed_until TEXT,
    decided_at TEXT,
    decided_as_of TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS one_active_case ON cases (business_id)
    WHERE status IN ('open', 'claimed', 'appealed');
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    business_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('decision', 'appeal')),
    action TEXT NOT NULL,
    policy TEXT,
    rationale TEXT,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    overturned INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS one_decision_per_case ON decisions (case_id, kind);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    author TEXT NOT NULL,
    at TEXT NOT NULL,
    text TEXT NOT NULL
);
-- Queues a case can sit in, and who may read and work them: a person whose role is listed in
-- `roles`, or whose name is listed in `people` (comma-separated); admins always.
CREATE TABLE IF NOT EXISTS queues (
    name TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    roles TEXT NOT NULL DEFAULT '',
    people TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0
);
INSERT INTO queues (name, title, description, roles, people, position) VALUES
    ('general', 'General', 'Every newly flagged business starts here.', 'moderator,admin', '', 0),
    ('senior', 'Senior', 'Escalated cases: high risk, platform violations, or sent up by a moderator.', 'admin', '', 1)
    ON CONFLICT DO NOTHING;
-- A moderator's named filters of the review queue (policy, reason, market, category, queue).
CREATE TABLE IF NOT EXISTS queue_views (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    filters TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (owner, name)
);
CREATE TABLE IF NOT EXISTS moderator_prefs (
    name TEXT PRIMARY KEY,
    next_after_decision INTEGER NOT NULL DEFAULT 1
);
""",
    # Added in issue 14 (escalation, holds, service times, strikes, appeals shown where decided).
    columns=(
        ("cases", "queue", "TEXT NOT NULL DEFAULT 'general'"),
        ("cases", "first_claimed_at", "TEXT"),
        ("cases", "held_by", "TEXT"),
        ("cases", "held_at", "TEXT"),
        ("cases", "hold_reason", "TEXT"),
        ("cases", "escalated_at", "TEXT"),
        ("cases", "appeal_text", "TEXT"),
        ("cases", "appealed_at", "TEXT"),
        ("cases", "appeal_decided_at", "TEXT"),
        ("cases", "market", "TEXT"),
        ("cases", "category", "TEXT"),
        ("cases", "suggested_policy", "TEXT"),
        ("cases", "detected_by", "TEXT NOT NULL DEFAULT 'risk score'"),
        ("decisions", "queue", "TEXT"),
        ("decisions", "proposed_action", "TEXT"),
        ("decisions", "override_reason", "TEXT"),
        ("decisions", "strike_expires_at", "TEXT"),
    ),
)

# Who automatic events are attributed to in the audit log.
SYSTEM = "system"


def _now(clock=utcnow) -> str:
    return clock().isoformat(timespec="seconds")


def _audit(con, actor: str, event: str, case_id=None, business_id=None, detail="", clock=utcnow):
    """One line of the moderation audit log; `actor` is a person's name or SYSTEM."""
    audit.record(con, _now(clock), actor, event, case_id, business_id, detail)


def _names(text: str) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def _admits(queue: dict, name: str, role: str) -> bool:
    """Whether a person may read and work a queue: admins every one; others by role or by name."""
    return role == "admin" or role in queue["roles"] or name in queue["people"]


class Store:
    """One moderation store per data directory; open it per request, it is cheap."""

    def __init__(self, root: Path, clock=utcnow):
        self.root = root
        self.clock = clock
        self.con = appdb.connect(root)

    def close(self) -> None:
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ queues and who may work them

    def queues(self) -> list[dict]:
        """Every queue, in display order, with `roles` and `people` as lists."""
        rows = self.con.execute("SELECT * FROM queues ORDER BY position, name").fetchall()
        return [{**dict(r), "roles": _names(r["roles"]), "people": _names(r["people"])} for r in rows]

    def queues_for(self, who: Principal) -> list[dict]:
        """The queues `who` may read and work, in display order: admins all; others by role or by name."""
        return [q for q in self.queues() if _admits(q, who.name, who.role)]

    def readable_queues(self, who: Principal) -> tuple[str, ...]:
        return tuple(q["name"] for q in self.queues_for(who))

    def _may_work(self, who: Principal, case: dict) -> None:
        if case["queue"] not in self.readable_queues(who):
            raise PermissionDenied(f"case {case['id']} is in the {case['queue']} queue, which you may not work")

    def save_queue(
        self, who: Principal, name: str, title: str, description: str, roles: list[str], people: list[str]
    ) -> None:
        """Add a queue or change who may work it (admins only)."""
        who = require(who, "admin", "change the queues")
        if not QUEUE_NAME.fullmatch(name or ""):
            raise ModerationError("a queue's name is 1 to 40 lowercase letters, digits or underscores")
        if not (title or "").strip():
            raise ModerationError("a queue needs a title")
        unknown = sorted(set(roles) - set(ROLES))
        if unknown:
            raise ModerationError(f"unknown role {', '.join(unknown)}; choose among {', '.join(ROLES)}")
        people = sorted({p.strip() for p in people if p.strip()})
        with appdb.transaction(self.con):
            known = {r[0] for r in self.con.execute("SELECT name FROM accounts")}
            missing = [p for p in people if p not in known]
            if missing:
                raise ModerationError(f"there is no account named {', '.join(missing)}")
            position = self.con.execute("SELECT coalesce(max(position), 0) + 1 FROM queues").fetchone()[0]
            self.con.execute(
                "INSERT INTO queues (name, title, description, roles, people, position) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET title = excluded.title, description = excluded.description, "
                "roles = excluded.roles, people = excluded.people",
                (name, title.strip(), (description or "").strip(), ",".join(roles), ",".join(people), position),
            )
            _audit(
                self.con,
                who.name,
                "queue saved",
                detail=f"{name}: roles {', '.join(roles) or '-'}; people {', '.join(people) or '-'}",
                clock=self.clock,
            )

    def workers(self, queue: str) -> list[str]:
        """The moderators and admins who may work `queue`: whom a case in it can be reassigned to."""
        spec = next((q for q in self.queues() if q["name"] == queue), None)
        if spec is None:
            return []
        rows = self.con.execute("SELECT name, role FROM accounts WHERE role IN ('moderator', 'admin') ORDER BY name")
        return [r["name"] for r in rows if _admits(spec, r["name"], r["role"])]

    # ------------------------------------------------------------------ reading

    def case(self, case_id: int, who: Principal | None = None) -> dict:
        row = self.con.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is None:
            raise ModerationError(f"there is no case {case_id}")
        case = dict(row)
        if who is not None:
            self._may_work(who, case)
        return case

    def cases(
        self, status: tuple[str, ...] | None = None, business_id: str | None = None, who: Principal | None = None
    ) -> list[dict]:
        """Cases by status and business; with `who`, only those in the queues they may read."""
        sql, args = "SELECT * FROM cases WHERE 1 = 1", []
        if status:
            sql += f" AND status IN ({', '.join('?' for _ in status)})"
            args += list(status)
        if business_id:
            sql += " AND business_id = ?"
            args.append(business_id)
        if who is not None:
            readable = self.readable_queues(who)
            sql += f" AND queue IN ({', '.join('?' for _ in readable) or 'NULL'})"
            args += list(readable)
        return [dict(r) for r in self.con.execute(sql + " ORDER BY id", args)]

    def decided_as_of(self) -> dict[str, date]:
        """Business -> the data date of its latest decision: flags up to then are settled."""
        rows = self.con.execute(
            "SELECT business_id, max(decided_as_of) FROM cases WHERE decided_as_of IS NOT NULL GROUP BY 1"
        ).fetchall()
        return {b: date.fromisoformat(d) for b, d in rows}

    def history(self, business_id: str) -> list[dict]:
        """Every decision on the business, any queue: the store's own record, for callers that
        checked the person first (review.case_file keeps only the queues they may read)."""
        rows = self.con.execute(
            "SELECT d.*, c.opened_at, c.flagged_on, c.appeal_text, c.appealed_at FROM decisions d "
            "JOIN cases c ON c.id = d.case_id WHERE d.business_id = ? ORDER BY d.id",
            (business_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def notes(self, case_id: int) -> list[dict]:
        return [dict(r) for r in self.con.execute("SELECT * FROM notes WHERE case_id = ? ORDER BY id", (case_id,))]

    def strikes(self, business_id: str) -> list[dict]:
        """The business's live strikes, oldest first: decisions against it (not dismissals) that were
        not overturned on appeal and have not expired."""
        rows = self.con.execute(
            "SELECT id AS decision_id, case_id, action, policy, decided_at, strike_expires_at FROM decisions "
            "WHERE business_id = ? AND kind = 'decision' AND action != 'dismiss' AND overturned = 0 "
            "AND strike_expires_at > ? ORDER BY id",
            (business_id, _now(self.clock)),
        ).fetchall()
        return [dict(r) for r in rows]

    def proposed_action(self, business_id: str) -> str:
        """The next step of the ladder for the business: one past its strikes' count, and past the
        most severe action it has live."""
        return next_step(self.strikes(business_id))

    def next_after_decision(self, who: Principal) -> bool:
        row = self.con.execute("SELECT next_after_decision FROM moderator_prefs WHERE name = ?", (who.name,)).fetchone()
        return True if row is None else bool(row[0])

    def set_next_after_decision(self, who: Principal, on: bool) -> None:
        who = require(who, "moderator", "change how cases follow each other")
        with appdb.transaction(self.con):
            self.con.execute(
                "INSERT INTO moderator_prefs (name, next_after_decision) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET next_after_decision = excluded.next_after_decision",
                (who.name, int(on)),
            )

    def saved_views(self, who: Principal) -> dict[str, dict]:
        """The person's named queue filters: name -> filters."""
        who = require(who, "moderator", "read saved queue views")
        rows = self.con.execute("SELECT name, filters FROM queue_views WHERE owner = ? ORDER BY name", (who.name,))
        return {r["name"]: json.loads(r["filters"]) for r in rows}

    def save_view(self, who: Principal, name: str, filters: dict) -> None:
        who = require(who, "moderator", "save queue views")
        name = _written(name or "", "give the view a name")[:60]
        with appdb.transaction(self.con):
            self.con.execute(
                "INSERT INTO queue_views (owner, name, filters, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (owner, name) DO UPDATE SET filters = excluded.filters",
                (who.name, name, json.dumps(filters, sort_keys=True, default=str), _now(self.clock)),
            )

    def delete_view(self, who: Principal, name: str) -> None:
        who = require(who, "moderator", "delete queue views")
        with appdb.transaction(self.con):
            self.con.execute("DELETE FROM queue_views WHERE owner = ? AND name = ?", (who.name, name))

    def audit_log(
        self, viewer: Principal, actor: str | None = None, event: str | None = None, business_id: str | None = None
    ) -> pl.DataFrame:
        viewer = require(viewer, "moderator", "read the moderation audit log")
        readable = self.readable_queues(viewer)
        # Lines about a case show only to those who may read its queue; the rest (policies,
        # queues, deliveries, exports) to every moderator.
        sql = (
            "SELECT id, at, actor, case_id, business_id, event, detail FROM moderation_audit WHERE (case_id IS NULL "
            "OR case_id NOT IN (SELECT id FROM cases WHERE "
            + (f"queue NOT IN ({', '.join('?' for _ in readable)})))" if readable else "1 = 1))")
        )
        args: list = list(readable)
        for col, val in (("actor", actor), ("event", event), ("business_id", business_id)):
            if val:
                sql += f" AND {col} = ?"
                args.append(val)
        rows = [dict(r) for r in self.con.execute(sql + " ORDER BY id DESC", args)]
        schema = {
            "id": pl.Int64,
            "at": pl.String,
            "actor": pl.String,
            "case_id": pl.Int64,
            "business_id": pl.String,
            "event": pl.String,
            "detail": pl.String,
        }
        return pl.DataFrame(rows, schema=schema)

    # ------------------------------------------------------------------ writing

    def sync(self, who: Principal, queue: pl.DataFrame, as_of: date, escalate_score: float | None = None) -> int:
        """Open a case for every flagged business without an active one; escalate to the senior
        queue the cases at or above `escalate_score` or that the platform reported. These are the
        system's acts, logged as such, whoever's visit ran them. Returns how many opened."""
        require(who, "moderator", "open cases")
        opened = 0
        with appdb.transaction(self.con):
            active = {
                r["business_id"]: dict(r)
                for r in self.con.execute(
                    f"SELECT * FROM cases WHERE status IN ({', '.join('?' for _ in ACTIVE)})", ACTIVE
                )
            }
            # Read again inside the write lock: a decision taken since the caller computed its
            # queue settles the flags up to its date, so no new case opens for them.
            settled = dict(
                self.con.execute(
                    "SELECT business_id, max(decided_as_of) FROM cases WHERE decided_as_of IS NOT NULL GROUP BY 1"
                ).fetchall()
            )
            for row in queue.iter_rows(named=True):
                business_id = row["business_id"]
                latest_flag = row.get("peak_day") or row.get("first_flagged") or as_of
                if business_id in settled and str(latest_flag) <= settled[business_id]:
                    continue
                case = active.get(business_id)
                if case is not None:
                    if case["status"] in ("open", "claimed"):
                        self.con.execute(
                            "UPDATE cases SET risk_score = ?, reasons = ? WHERE id = ?",
                            (_rules_score(row), row["reasons"], case["id"]),
                        )
                else:
                    cur = self.con.execute(
                        "INSERT INTO cases (business_id, status, risk_score, reasons, flagged_on, opened_at, market, "
                        "category, suggested_policy, detected_by) VALUES (?, 'open', ?, ?, ?, ?, ?, ?, ?, 'risk score') "
                        "RETURNING id",
                        (
                            business_id,
                            _rules_score(row),
                            row["reasons"],
                            str(row.get("first_flagged") or as_of),
                            _now(self.clock),
                            row.get("country"),
                            row.get("category"),
                            row.get("suggested_policy"),
                        ),
                    )
                    case = {"id": cur.fetchone()[0], "queue": GENERAL, "status": "open", "escalated_at": None}
                    _audit(
                        self.con,
                        SYSTEM,
                        "case opened",
                        case["id"],
                        business_id,
                        f"risk {_rules_score(row)}: {row['reasons']}",
                        self.clock,
                    )
                    opened += 1
                why = _escalation(row, escalate_score)
                if (
                    why
                    and case["status"] in ("open", "claimed")
                    and case["queue"] == GENERAL
                    and not case["escalated_at"]
                ):
                    self._move(SYSTEM, case["id"], business_id, SENIOR, f"automatically: {why}")
        return opened

    def _move(self, actor: str, case_id: int, business_id: str, queue: str, why: str) -> None:
        """Escalate inside the caller's transaction: to `queue`, unclaimed, logged."""
        self.con.execute(
            "UPDATE cases SET queue = ?, escalated_at = ?, claimed_by = NULL, claimed_at = NULL, held_by = NULL, "
            "held_at = NULL, hold_reason = NULL, status = CASE status WHEN 'claimed' THEN 'open' ELSE status END "
            "WHERE id = ?",
            (queue, _now(self.clock), case_id),
        )
        _audit(self.con, actor, "case escalated", case_id, business_id, f"to {queue} {why}", self.clock)

    def _held_by_other(self, who: Principal, case: dict, minutes: int) -> bool:
        return holder(case, self.clock(), minutes) not in (None, who.name)

    def claim(self, who: Principal, case_id: int, claim_minutes: int = 30) -> dict:
        """Claim a case. Claiming again what one holds renews the claim quietly: one claim, one line."""
        who = require(who, "moderator", "claim cases")
        with appdb.transaction(self.con):
            case = self._live(who, case_id)
            if self._held_by_other(who, case, claim_minutes):
                raise Conflict(f"case {case_id} is being worked on by {case['claimed_by']}")
            _not_on_hold(case)
            renewing = holder(case, self.clock(), claim_minutes) == who.name
            status = "appealed" if case["status"] == "appealed" else "claimed"
            # Claiming a snoozed case on purpose wakes it up.
            self.con.execute(
                "UPDATE cases SET status = ?, claimed_by = ?, claimed_at = ?, snoozed_until = NULL, "
                "first_claimed_at = coalesce(first_claimed_at, ?) WHERE id = ?",
                (status, who.name, _now(self.clock), _now(self.clock), case_id),
            )
            if not renewing:
                _audit(self.con, who.name, "case claimed", case_id, case["business_id"], "", self.clock)
        return self.case(case_id)

    def next_case(self, who: Principal, claim_minutes: int = 30, only: set[int] | None = None) -> dict | None:
        """Claim the highest-risk, then oldest, case of the person's queues that nobody else is working
        on, not snoozed nor on hold; `only` limits it to those cases (a filtered view of the queue)."""
        who = require(who, "moderator", "claim cases")
        now = self.clock()
        mine = {
            r[0]
            for r in self.con.execute(
                "SELECT case_id FROM decisions WHERE kind = 'decision' AND decided_by = ?", (who.name,)
            )
        }
        candidates = sorted(
            self.cases(ACTIVE, who=who), key=lambda c: (-(c["risk_score"] or 0), c["opened_at"], c["id"])
        )
        for case in candidates:
            if only is not None and case["id"] not in only:
                continue
            if case["status"] == "appealed" and case["id"] in mine:
                continue  # an appeal is decided by another moderator than the first decision's
            if case["snoozed_until"] and datetime.fromisoformat(case["snoozed_until"]) > now:
                continue
            if case["held_at"] or self._held_by_other(who, case, claim_minutes):
                continue
            try:
                return self.claim(who, case["id"], claim_minutes)
            except Conflict:
                continue  # taken between our look and our claim
        return None

    def release(self, who: Principal, case_id: int) -> None:
        who = require(who, "moderator", "release cases")
        with appdb.transaction(self.con):
            case = self.case(case_id, who)
            if case["claimed_by"] != who.name:
                raise Conflict(f"case {case_id} is not claimed by you")
            self.con.execute(
                "UPDATE cases SET status = CASE status WHEN 'claimed' THEN 'open' ELSE status END, "
                "claimed_by = NULL, claimed_at = NULL WHERE id = ?",
                (case_id,),
            )
            _audit(self.con, who.name, "case released", case_id, case["business_id"], "", self.clock)

    def _live(self, who: Principal, case_id: int) -> dict:
        """An active (open, claimed or appealed) case of the queues `who` works."""
        case = self.case(case_id, who)
        if case["status"] not in ACTIVE:
            raise Conflict(f"case {case_id} is already {case['status']}")
        return case

    def _active(self, who: Principal, case_id: int, claim_minutes: int = 30) -> dict:
        """An active case `who` may route (snooze, hold, resume, escalate): in their queues, and
        not someone else's claim, unless they are an admin."""
        case = self._live(who, case_id)
        if who.role != "admin" and self._held_by_other(who, case, claim_minutes):
            raise Conflict(f"case {case_id} is being worked on by {case['claimed_by']}; it is theirs to route")
        return case

    def snooze(self, who: Principal, case_id: int, until: datetime, claim_minutes: int = 30) -> None:
        who = require(who, "moderator", "snooze cases")
        with appdb.transaction(self.con):
            case = self._active(who, case_id, claim_minutes)
            self.con.execute(
                "UPDATE cases SET snoozed_until = ?, claimed_by = NULL, claimed_at = NULL, "
                "status = CASE status WHEN 'claimed' THEN 'open' ELSE status END WHERE id = ?",
                (until.isoformat(timespec="seconds"), case_id),
            )
            _audit(
                self.con,
                who.name,
                "case snoozed",
                case_id,
                case["business_id"],
                f"until {until:%Y-%m-%d %H:%M}",
                self.clock,
            )

    def hold(self, who: Principal, case_id: int, reason: str, claim_minutes: int = 30) -> None:
        """Put a case on hold (waiting for something): Next case skips it until someone resumes it."""
        who = require(who, "moderator", "put cases on hold")
        why = _written(reason or "", "say why the case is on hold")
        with appdb.transaction(self.con):
            case = self._active(who, case_id, claim_minutes)
            if case["held_at"]:
                raise Conflict(f"case {case_id} is already on hold ({case['hold_reason']})")
            self.con.execute(
                "UPDATE cases SET held_by = ?, held_at = ?, hold_reason = ?, claimed_by = NULL, claimed_at = NULL, "
                "status = CASE status WHEN 'claimed' THEN 'open' ELSE status END WHERE id = ?",
                (who.name, _now(self.clock), why, case_id),
            )
            _audit(self.con, who.name, "case put on hold", case_id, case["business_id"], why, self.clock)

    def resume(self, who: Principal, case_id: int) -> None:
        who = require(who, "moderator", "resume cases")
        with appdb.transaction(self.con):
            case = self._active(who, case_id)
            if not case["held_at"]:
                raise Conflict(f"case {case_id} is not on hold")
            self.con.execute(
                "UPDATE cases SET held_by = NULL, held_at = NULL, hold_reason = NULL WHERE id = ?", (case_id,)
            )
            _audit(self.con, who.name, "case resumed", case_id, case["business_id"], "", self.clock)

    def escalate(self, who: Principal, case_id: int, note: str, queue: str = "senior", claim_minutes: int = 30) -> None:
        """Send a case up to another queue (the senior one by default) with a note saying why."""
        who = require(who, "moderator", "escalate cases")
        why = _written(note or "", "say why you escalate the case")
        with appdb.transaction(self.con):
            case = self._active(who, case_id, claim_minutes)
            if queue not in {q["name"] for q in self.queues()}:
                raise ModerationError(f"there is no queue '{queue}'")
            if case["queue"] == queue:
                raise Conflict(f"case {case_id} is already in the {queue} queue")
            self.con.execute(
                "INSERT INTO notes (case_id, author, at, text) VALUES (?, ?, ?, ?)",
                (case_id, who.name, _now(self.clock), f"Escalated to {queue}: {why}"),
            )
            self._move(who.name, case_id, case["business_id"], queue, f"by {who.name}: {why}")

    def reassign(self, who: Principal, case_id: int, to: str, claim_minutes: int = 30) -> None:
        """Give a case to a named moderator who may work its queue; its holder or an admin may."""
        who = require(who, "moderator", "reassign cases")
        with appdb.transaction(self.con):
            case = self._live(who, case_id)
            held_by = holder(case, self.clock(), claim_minutes)
            if who.role != "admin" and held_by not in (None, who.name):
                raise PermissionDenied(f"case {case_id} is {held_by}'s: only they or an admin may reassign it")
            _not_on_hold(case)
            if to not in self.workers(case["queue"]):
                raise ModerationError(f"{to} is not a moderator who may work the {case['queue']} queue")
            if to == held_by:
                raise Conflict(f"case {case_id} is already {to}'s")
            self.con.execute(
                "UPDATE cases SET claimed_by = ?, claimed_at = ?, first_claimed_at = coalesce(first_claimed_at, ?), "
                "status = CASE status WHEN 'open' THEN 'claimed' ELSE status END WHERE id = ?",
                (to, _now(self.clock), _now(self.clock), case_id),
            )
            _audit(
                self.con,
                who.name,
                "case reassigned",
                case_id,
                case["business_id"],
                f"from {held_by or 'nobody'} to {to}",
                self.clock,
            )

    def add_note(self, who: Principal, case_id: int, text: str) -> None:
        who = require(who, "moderator", "write notes")
        note = _written(text, "a note cannot be empty")
        with appdb.transaction(self.con):
            case = self.case(case_id, who)
            self.con.execute(
                "INSERT INTO notes (case_id, author, at, text) VALUES (?, ?, ?, ?)",
                (case_id, who.name, _now(self.clock), note),
            )
            _audit(self.con, who.name, "note added", case_id, case["business_id"], note[:200], self.clock)

    def decide(
        self,
        who: Principal,
        case_id: int,
        action: str,
        policy: str | None,
        rationale: str,
        as_of: date,
        claim_minutes: int = 30,
        override_reason: str = "",
        strike_days: int = 90,
    ) -> int:
        """Record a decision. Exactly one decision per case: a second one is refused (Conflict). An
        action other than the ladder's next step (or dismiss) needs `override_reason`. The decision
        and its outbox message are one transaction: both or neither."""
        who = require(who, "moderator", "take decisions")
        _check_decision(action, rationale)
        try:
            with appdb.transaction(self.con):
                if action != "dismiss":
                    policies.check(self.con, policy or "")
                else:
                    policy = policy or None
                case = self.case(case_id, who)
                if case["status"] not in ("open", "claimed"):
                    by = self.con.execute(
                        "SELECT decided_by FROM decisions WHERE case_id = ? AND kind = 'decision'", (case_id,)
                    ).fetchone()
                    raise Conflict(f"case {case_id} was already decided" + (f" by {by[0]}" if by else ""))
                if self._held_by_other(who, case, claim_minutes):
                    raise Conflict(f"case {case_id} is being worked on by {case['claimed_by']}")
                strikes = self.strikes(case["business_id"])
                proposed = next_step(strikes)
                override = (override_reason or "").strip()
                if action not in ("dismiss", proposed) and not override:
                    raise ModerationError(
                        f"the ladder's next step for this business is {ACTION_WORDS[proposed]} "
                        f"({len(strikes)} live {'strike' if len(strikes) == 1 else 'strikes'}); "
                        f"say why you choose {ACTION_WORDS[action]} instead"
                    )
                now = self.clock()
                stamp = now.isoformat(timespec="seconds")  # one moment for the decision and its case
                expires = None if action == "dismiss" else (now + timedelta(days=strike_days)).isoformat("T", "seconds")
                cur = self.con.execute(
                    "INSERT INTO decisions (case_id, business_id, kind, action, policy, rationale, decided_by, "
                    "decided_at, queue, proposed_action, override_reason, strike_expires_at) "
                    "VALUES (?, ?, 'decision', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        case_id,
                        case["business_id"],
                        action,
                        policy,
                        rationale.strip(),
                        who.name,
                        stamp,
                        case["queue"],
                        proposed,
                        override or None,
                        expires,
                    ),
                )
                self.con.execute(
                    "UPDATE cases SET status = 'decided', decided_at = ?, decided_as_of = ?, claimed_by = ?, "
                    "claimed_at = coalesce(claimed_at, ?), first_claimed_at = coalesce(first_claimed_at, ?), "
                    "held_by = NULL, held_at = NULL, hold_reason = NULL WHERE id = ?",
                    (stamp, as_of.isoformat(), who.name, stamp, stamp, case_id),
                )
                detail = f"policy {policy or '-'}: {rationale.strip()}"
                if override:
                    detail += f" (ladder proposed {proposed}; overridden: {override})"
                _audit(self.con, who.name, f"decision: {action}", case_id, case["business_id"], detail, self.clock)
                decision_id = cur.fetchone()[0]
                self._send(decision_id, "decision")
                return decision_id
        except appdb.IntegrityError as exc:
            if not _one_decision_index(exc):
                raise
            raise Conflict(f"case {case_id} was just decided by someone else") from exc

    def _send(self, decision_id: int, event: str) -> None:
        """Queue the decision for the platform, inside the caller's transaction."""
        row = self.con.execute(
            "SELECT id AS decision_id, case_id, business_id, kind, action, policy, rationale, decided_by, decided_at, "
            "overturned, strike_expires_at FROM decisions WHERE id = ?",
            (decision_id,),
        ).fetchone()
        payload = {"event": event, **dict(row)}
        outbox.enqueue(self.con, f"{event}-{decision_id}", event, payload, payload["decided_at"])

    def decide_many(
        self,
        who: Principal,
        case_ids: list[int],
        action: str,
        policy: str | None,
        rationale: str,
        as_of: date,
        override_reason: str = "",
        strike_days: int = 90,
        claim_minutes: int = 30,
    ) -> dict[int, str]:
        """Bulk decision: each case gets its own decision, audit line and outbox message; each
        refusal is reported for its case."""
        who = require(who, "moderator", "take decisions")
        _check_decision(action, rationale)
        if action != "dismiss":
            policies.check(self.con, policy or "")  # refused once for all the cases
        out = {}
        for case_id in case_ids:
            try:
                self.decide(
                    who,
                    case_id,
                    action,
                    policy,
                    rationale,
                    as_of,
                    claim_minutes,
                    override_reason=override_reason,
                    strike_days=strike_days,
                )
                out[case_id] = "decided"
            except (ModerationError, PermissionDenied) as exc:
                out[case_id] = str(exc)
        return out

    def appeal(self, who: Principal, case_id: int, text: str) -> None:
        who = require(who, "moderator", "record appeals")
        grounds = _written(text, "say what the business appeals against")
        with appdb.transaction(self.con):
            case = self.case(case_id, who)
            if case["status"] != "decided":
                raise Conflict(f"only a decided case can be appealed; case {case_id} is {case['status']}")
            self.con.execute(
                "UPDATE cases SET status = 'appealed', claimed_by = NULL, claimed_at = NULL, appeal_text = ?, "
                "appealed_at = ? WHERE id = ?",
                (grounds, _now(self.clock), case_id),
            )
            _audit(self.con, who.name, "appeal received", case_id, case["business_id"], grounds, self.clock)

    def decide_appeal(self, who: Principal, case_id: int, overturn: bool, rationale: str) -> None:
        who = require(who, "moderator", "decide appeals")
        if not rationale.strip():
            raise ModerationError("an appeal decision needs a written rationale")
        try:
            with appdb.transaction(self.con):
                case = self.case(case_id, who)
                if case["status"] != "appealed":
                    raise Conflict(f"case {case_id} has no open appeal")
                first = self.con.execute(
                    "SELECT decided_by, action, policy FROM decisions WHERE case_id = ? AND kind = 'decision'",
                    (case_id,),
                ).fetchone()
                if first and first["decided_by"] == who.name:
                    raise ModerationError("an appeal is decided by another moderator than the first decision's")
                cur = self.con.execute(
                    "INSERT INTO decisions (case_id, business_id, kind, action, policy, rationale, decided_by, "
                    "decided_at, overturned, queue) VALUES (?, ?, 'appeal', ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        case_id,
                        case["business_id"],
                        "overturn" if overturn else "uphold",
                        first["policy"] if first else None,
                        rationale.strip(),
                        who.name,
                        _now(self.clock),
                        int(overturn),
                        case["queue"],
                    ),
                )
                if overturn:
                    self.con.execute(
                        "UPDATE decisions SET overturned = 1 WHERE case_id = ? AND kind = 'decision'", (case_id,)
                    )
                self.con.execute(
                    "UPDATE cases SET status = 'appeal_decided', appeal_decided_at = ? WHERE id = ?",
                    (_now(self.clock), case_id),
                )
                _audit(
                    self.con,
                    who.name,
                    "appeal " + ("overturned" if overturn else "upheld"),
                    case_id,
                    case["business_id"],
                    rationale.strip(),
                    self.clock,
                )
                self._send(cur.fetchone()[0], "appeal")
        except appdb.IntegrityError as exc:
            if not _one_decision_index(exc):
                raise
            raise Conflict(f"the appeal of case {case_id} was just decided by someone else") from exc


def holder(case: dict, now: datetime, claim_minutes: int) -> str | None:
    """Who holds the case at `now`: whoever claimed it, while the claim is younger than
    `claim_minutes` (a claim nobody renewed lapses, and anyone may take the case)."""
    if not case.get("claimed_by") or not case.get("claimed_at"):
        return None
    return case["claimed_by"] if now - appdb.moment(case["claimed_at"]) < timedelta(minutes=claim_minutes) else None


def _one_decision_index(exc: Exception) -> bool:
    """The unique index on (case, kind) caught a simultaneous decision (and nothing else did)."""
    return appdb.unique_violation(exc, "decisions", ("case_id", "kind"))


def next_step(strikes: list[dict]) -> str:
    """The ladder's next action for a business with these live strikes: warn first, then one step
    per strike, and never below one step past the most severe action already live."""
    severest = max((LADDER.index(s["action"]) for s in strikes if s["action"] in LADDER), default=-1)
    return LADDER[min(max(len(strikes), severest + 1), len(LADDER) - 1)]


def _not_on_hold(case: dict) -> None:
    if case["held_at"]:
        raise Conflict(f"case {case['id']} is on hold ({case['hold_reason']}); resume it first")


def _rules_score(row: dict) -> float | None:
    """The rules' risk score of a queue row: a ranker learned from decisions turns `risk_score` into
    a probability and keeps the rules' as `rule_score`; cases and escalation keep the rules' scale."""
    return row.get("rule_score") if row.get("rule_score") is not None else row.get("risk_score")


def _escalation(row: dict, escalate_score: float | None) -> str | None:
    """Why a flagged business goes straight to the senior queue, or None."""
    if row.get("platform_violation"):
        return f"the platform reported it ({row.get('platform_said') or 'a violation'})"
    score = _rules_score(row)
    if escalate_score is not None and (score or 0) >= escalate_score:
        return f"risk score {score:.1f} is at or above {escalate_score:.1f}"
    return None


def _written(text: str, refusal: str) -> str:
    """The text a moderator wrote, trimmed; blank is refused with `refusal`."""
    if not text.strip():
        raise ModerationError(refusal)
    return text.strip()


def _check_decision(action: str, rationale: str) -> None:
    if action not in ACTIONS:
        raise ModerationError(f"unknown decision '{action}'; choose one of {', '.join(ACTIONS)}")
    if action != "dismiss" and not (rationale or "").strip():
        raise ModerationError(f"a '{action}' decision needs a written rationale")
