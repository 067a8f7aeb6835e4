"""Cases, claims, decisions, appeals and their audit trail, in the transactional store.

Every write is one `BEGIN IMMEDIATE` transaction in SQLite (WAL, synchronous=FULL), committed before
the caller confirms anything, so a confirmed decision survives the server being killed, and two
moderators deciding one case at the same moment get exactly one decision recorded. Loading logs
never touches this file. Every function checks the caller's role itself.
"""

from __future__ import annotations

import sqlite3
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from trustdesk import appdb
from trustdesk.accounts.auth import Principal, require, utcnow

ACTIONS = ("dismiss", "warn", "restrict", "pause_templates", "suspend", "ban")
ACTION_WORDS = {
    "dismiss": "Dismiss (no violation)",
    "warn": "Warn",
    "restrict": "Restrict the messaging limit",
    "pause_templates": "Pause templates",
    "suspend": "Suspend",
    "ban": "Ban",
}
POLICIES = ("spam", "scam", "election_integrity", "other")
ACTIVE = ("open", "claimed", "appealed")

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
CREATE TABLE IF NOT EXISTS moderation_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    case_id INTEGER,
    business_id TEXT,
    event TEXT NOT NULL,
    detail TEXT
);
""",
    append_only=("moderation_audit",),
)


class ModerationError(Exception):
    """A refusal a moderator reads: one sentence."""


class Conflict(ModerationError):
    """Someone else got there first."""


def _now(clock=utcnow) -> str:
    return clock().isoformat(timespec="seconds")


def _audit(con, who: Principal, event: str, case_id=None, business_id=None, detail="", clock=utcnow):
    con.execute(
        "INSERT INTO moderation_audit (at, actor, case_id, business_id, event, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (_now(clock), who.name, case_id, business_id, event, detail),
    )


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

    # ------------------------------------------------------------------ reading

    def case(self, case_id: int) -> dict:
        row = self.con.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is None:
            raise ModerationError(f"there is no case {case_id}")
        return dict(row)

    def cases(self, status: tuple[str, ...] | None = None, business_id: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM cases WHERE 1 = 1", []
        if status:
            sql += f" AND status IN ({', '.join('?' for _ in status)})"
            args += list(status)
        if business_id:
            sql += " AND business_id = ?"
            args.append(business_id)
        return [dict(r) for r in self.con.execute(sql + " ORDER BY id", args)]

    def decided_as_of(self) -> dict[str, date]:
        """Business -> the data date of its latest decision: flags up to then are settled."""
        rows = self.con.execute(
            "SELECT business_id, max(decided_as_of) FROM cases WHERE decided_as_of IS NOT NULL GROUP BY 1"
        ).fetchall()
        return {b: date.fromisoformat(d) for b, d in rows}

    def history(self, business_id: str) -> list[dict]:
        rows = self.con.execute(
            "SELECT d.*, c.opened_at, c.flagged_on FROM decisions d JOIN cases c ON c.id = d.case_id "
            "WHERE d.business_id = ? ORDER BY d.id",
            (business_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def notes(self, case_id: int) -> list[dict]:
        return [dict(r) for r in self.con.execute("SELECT * FROM notes WHERE case_id = ? ORDER BY id", (case_id,))]

    def audit_log(
        self, viewer: Principal, actor: str | None = None, event: str | None = None, business_id: str | None = None
    ) -> pl.DataFrame:
        require(viewer, "moderator", "read the moderation audit log")
        sql = "SELECT id, at, actor, case_id, business_id, event, detail FROM moderation_audit WHERE 1 = 1"
        args: list = []
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

    def sync(self, who: Principal, queue: pl.DataFrame, as_of: date) -> int:
        """Open a case for every flagged business without an active one. Returns how many opened."""
        require(who, "moderator", "open cases")
        opened = 0
        with appdb.transaction(self.con):
            active = {
                r[0]
                for r in self.con.execute(
                    f"SELECT business_id FROM cases WHERE status IN ({', '.join('?' for _ in ACTIVE)})", ACTIVE
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
                latest_flag = row.get("peak_day") or row.get("first_flagged") or as_of
                if row["business_id"] in settled and str(latest_flag) <= settled[row["business_id"]]:
                    continue
                if row["business_id"] in active:
                    self.con.execute(
                        "UPDATE cases SET risk_score = ?, reasons = ? WHERE business_id = ? AND status IN ('open', 'claimed')",
                        (row["risk_score"], row["reasons"], row["business_id"]),
                    )
                    continue
                cur = self.con.execute(
                    "INSERT INTO cases (business_id, status, risk_score, reasons, flagged_on, opened_at) "
                    "VALUES (?, 'open', ?, ?, ?, ?)",
                    (
                        row["business_id"],
                        row["risk_score"],
                        row["reasons"],
                        str(row.get("first_flagged") or as_of),
                        _now(self.clock),
                    ),
                )
                _audit(
                    self.con,
                    who,
                    "case opened",
                    cur.lastrowid,
                    row["business_id"],
                    f"risk {row['risk_score']}: {row['reasons']}",
                    self.clock,
                )
                opened += 1
        return opened

    def _claim_expired(self, case: dict, minutes: int) -> bool:
        if not case["claimed_at"]:
            return True
        return datetime.fromisoformat(case["claimed_at"]) + timedelta(minutes=minutes) <= self.clock()

    def claim(self, who: Principal, case_id: int, claim_minutes: int = 30) -> dict:
        require(who, "moderator", "claim cases")
        with appdb.transaction(self.con):
            case = self.case(case_id)
            if case["status"] not in ("open", "claimed", "appealed"):
                raise Conflict(f"case {case_id} is already {case['status']}")
            if case["claimed_by"] and case["claimed_by"] != who.name and not self._claim_expired(case, claim_minutes):
                raise Conflict(f"case {case_id} is being worked on by {case['claimed_by']}")
            status = "appealed" if case["status"] == "appealed" else "claimed"
            self.con.execute(
                "UPDATE cases SET status = ?, claimed_by = ?, claimed_at = ? WHERE id = ?",
                (status, who.name, _now(self.clock), case_id),
            )
            _audit(self.con, who, "case claimed", case_id, case["business_id"], "", self.clock)
        return self.case(case_id)

    def next_case(self, who: Principal, claim_minutes: int = 30) -> dict | None:
        """Claim the highest-risk, then oldest, case nobody is working on (nor snoozed)."""
        require(who, "moderator", "claim cases")
        now = self.clock()
        for case in self.con.execute(
            "SELECT * FROM cases WHERE status IN ('open', 'claimed') ORDER BY risk_score DESC, opened_at, id"
        ).fetchall():
            case = dict(case)
            if case["snoozed_until"] and datetime.fromisoformat(case["snoozed_until"]) > now:
                continue
            if case["claimed_by"] and case["claimed_by"] != who.name and not self._claim_expired(case, claim_minutes):
                continue
            try:
                return self.claim(who, case["id"], claim_minutes)
            except Conflict:
                continue  # taken between our look and our claim
        return None

    def release(self, who: Principal, case_id: int) -> None:
        require(who, "moderator", "release cases")
        with appdb.transaction(self.con):
            case = self.case(case_id)
            if case["claimed_by"] != who.name:
                raise Conflict(f"case {case_id} is not claimed by you")
            self.con.execute(
                "UPDATE cases SET status = CASE status WHEN 'claimed' THEN 'open' ELSE status END, "
                "claimed_by = NULL, claimed_at = NULL WHERE id = ?",
                (case_id,),
            )
            _audit(self.con, who, "case released", case_id, case["business_id"], "", self.clock)

    def snooze(self, who: Principal, case_id: int, until: datetime) -> None:
        require(who, "moderator", "snooze cases")
        with appdb.transaction(self.con):
            case = self.case(case_id)
            if case["status"] not in ACTIVE:
                raise Conflict(f"case {case_id} is already {case['status']}")
            self.con.execute(
                "UPDATE cases SET snoozed_until = ?, claimed_by = NULL, claimed_at = NULL, "
                "status = CASE status WHEN 'claimed' THEN 'open' ELSE status END WHERE id = ?",
                (until.isoformat(timespec="seconds"), case_id),
            )
            _audit(
                self.con, who, "case snoozed", case_id, case["business_id"], f"until {until:%Y-%m-%d %H:%M}", self.clock
            )

    def add_note(self, who: Principal, case_id: int, text: str) -> None:
        require(who, "moderator", "write notes")
        note = _written(text, "a note cannot be empty")
        with appdb.transaction(self.con):
            case = self.case(case_id)
            self.con.execute(
                "INSERT INTO notes (case_id, author, at, text) VALUES (?, ?, ?, ?)",
                (case_id, who.name, _now(self.clock), note),
            )
            _audit(self.con, who, "note added", case_id, case["business_id"], note[:200], self.clock)

    def decide(
        self,
        who: Principal,
        case_id: int,
        action: str,
        policy: str | None,
        rationale: str,
        as_of: date,
        claim_minutes: int = 30,
    ) -> int:
        """Record a decision. Exactly one decision per case: a second one is refused (Conflict)."""
        require(who, "moderator", "take decisions")
        _check_decision(action, policy, rationale)
        try:
            with appdb.transaction(self.con):
                case = self.case(case_id)
                if case["status"] not in ("open", "claimed"):
                    by = self.con.execute(
                        "SELECT decided_by FROM decisions WHERE case_id = ? AND kind = 'decision'", (case_id,)
                    ).fetchone()
                    raise Conflict(f"case {case_id} was already decided" + (f" by {by[0]}" if by else ""))
                if (
                    case["claimed_by"]
                    and case["claimed_by"] != who.name
                    and not self._claim_expired(case, claim_minutes)
                ):
                    raise Conflict(f"case {case_id} is being worked on by {case['claimed_by']}")
                cur = self.con.execute(
                    "INSERT INTO decisions (case_id, business_id, kind, action, policy, rationale, decided_by, decided_at) "
                    "VALUES (?, ?, 'decision', ?, ?, ?, ?, ?)",
                    (case_id, case["business_id"], action, policy, rationale.strip(), who.name, _now(self.clock)),
                )
                self.con.execute(
                    "UPDATE cases SET status = 'decided', decided_at = ?, decided_as_of = ?, claimed_by = ?, "
                    "claimed_at = coalesce(claimed_at, ?) WHERE id = ?",
                    (_now(self.clock), as_of.isoformat(), who.name, _now(self.clock), case_id),
                )
                _audit(
                    self.con,
                    who,
                    f"decision: {action}",
                    case_id,
                    case["business_id"],
                    f"policy {policy or '-'}: {rationale.strip()}",
                    self.clock,
                )
                return cur.lastrowid
        except sqlite3.IntegrityError as exc:  # the unique index caught a simultaneous decision
            raise Conflict(f"case {case_id} was just decided by someone else") from exc

    def decide_many(
        self, who: Principal, case_ids: list[int], action: str, policy: str | None, rationale: str, as_of: date
    ) -> dict[int, str]:
        """Bulk decision: each case gets its own decision and audit line; failures are reported."""
        _check_decision(action, policy, rationale)
        out = {}
        for case_id in case_ids:
            try:
                self.decide(who, case_id, action, policy, rationale, as_of)
                out[case_id] = "decided"
            except ModerationError as exc:
                out[case_id] = str(exc)
        return out

    def appeal(self, who: Principal, case_id: int, text: str) -> None:
        require(who, "moderator", "record appeals")
        grounds = _written(text, "say what the business appeals against")
        with appdb.transaction(self.con):
            case = self.case(case_id)
            if case["status"] != "decided":
                raise Conflict(f"only a decided case can be appealed; case {case_id} is {case['status']}")
            self.con.execute(
                "UPDATE cases SET status = 'appealed', claimed_by = NULL, claimed_at = NULL WHERE id = ?", (case_id,)
            )
            _audit(self.con, who, "appeal received", case_id, case["business_id"], grounds, self.clock)

    def decide_appeal(self, who: Principal, case_id: int, overturn: bool, rationale: str) -> None:
        require(who, "moderator", "decide appeals")
        if not rationale.strip():
            raise ModerationError("an appeal decision needs a written rationale")
        try:
            with appdb.transaction(self.con):
                case = self.case(case_id)
                if case["status"] != "appealed":
                    raise Conflict(f"case {case_id} has no open appeal")
                first = self.con.execute(
                    "SELECT decided_by, action FROM decisions WHERE case_id = ? AND kind = 'decision'", (case_id,)
                ).fetchone()
                if first and first["decided_by"] == who.name:
                    raise ModerationError("an appeal is decided by another moderator than the first decision's")
                self.con.execute(
                    "INSERT INTO decisions (case_id, business_id, kind, action, policy, rationale, decided_by, decided_at, overturned) "
                    "VALUES (?, ?, 'appeal', ?, NULL, ?, ?, ?, ?)",
                    (
                        case_id,
                        case["business_id"],
                        "overturn" if overturn else "uphold",
                        rationale.strip(),
                        who.name,
                        _now(self.clock),
                        int(overturn),
                    ),
                )
                if overturn:
                    self.con.execute(
                        "UPDATE decisions SET overturned = 1 WHERE case_id = ? AND kind = 'decision'", (case_id,)
                    )
                self.con.execute("UPDATE cases SET status = 'appeal_decided' WHERE id = ?", (case_id,))
                _audit(
                    self.con,
                    who,
                    "appeal " + ("overturned" if overturn else "upheld"),
                    case_id,
                    case["business_id"],
                    rationale.strip(),
                    self.clock,
                )
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"the appeal of case {case_id} was just decided by someone else") from exc


def _written(text: str, refusal: str) -> str:
    """The text a moderator wrote, trimmed; blank is refused with `refusal`."""
    if not text.strip():
        raise ModerationError(refusal)
    return text.strip()


def _check_decision(action: str, policy: str | None, rationale: str) -> None:
    if action not in ACTIONS:
        raise ModerationError(f"unknown decision '{action}'; choose one of {', '.join(ACTIONS)}")
    if action != "dismiss":
        if policy not in POLICIES:
            raise ModerationError(f"a '{action}' decision needs a policy: {', '.join(POLICIES)}")
        if not (rationale or "").strip():
            raise ModerationError(f"a '{action}' decision needs a written rationale")


# --------------------------------------------------------------------------- moderator metrics


@dataclass
class ModeratorMetrics:
    decisions_by_moderator: pl.DataFrame
    median_hours_to_decision: float | None
    waiting: pl.DataFrame
    overturned: int
    appeals: int


def moderator_metrics(store: Store, viewer: Principal) -> ModeratorMetrics:
    require(viewer, "moderator", "see moderator metrics")
    rows = store.con.execute(
        "SELECT d.decided_by, d.action, d.kind, d.overturned, d.decided_at, c.opened_at "
        "FROM decisions d JOIN cases c ON c.id = d.case_id"
    ).fetchall()
    decisions = [dict(r) for r in rows if r["kind"] == "decision"]
    by_mod = (
        pl.DataFrame(
            decisions,
            schema={
                "decided_by": pl.String,
                "action": pl.String,
                "kind": pl.String,
                "overturned": pl.Int64,
                "decided_at": pl.String,
                "opened_at": pl.String,
            },
        )
        .group_by("decided_by")
        .agg(pl.len().alias("decisions"), pl.col("overturned").sum().alias("overturned"))
        .sort("decisions", descending=True)
    )
    hours = [
        (datetime.fromisoformat(d["decided_at"]) - datetime.fromisoformat(d["opened_at"])).total_seconds() / 3600
        for d in decisions
    ]
    now = store.clock()
    waiting = [
        {
            "case_id": c["id"],
            "business_id": c["business_id"],
            "status": c["status"],
            "risk_score": c["risk_score"],
            "claimed_by": c["claimed_by"],
            "age_hours": round((now - datetime.fromisoformat(c["opened_at"])).total_seconds() / 3600, 1),
        }
        for c in store.cases(ACTIVE)
    ]
    appeals = [dict(r) for r in rows if r["kind"] == "appeal"]
    return ModeratorMetrics(
        decisions_by_moderator=by_mod,
        median_hours_to_decision=statistics.median(hours) if hours else None,
        waiting=pl.DataFrame(
            waiting,
            schema={
                "case_id": pl.Int64,
                "business_id": pl.String,
                "status": pl.String,
                "risk_score": pl.Float64,
                "claimed_by": pl.String,
                "age_hours": pl.Float64,
            },
        ),
        overturned=sum(a["overturned"] for a in appeals),
        appeals=len(appeals),
    )
