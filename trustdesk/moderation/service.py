"""Service times: how long cases wait for their first claim, for their decision and for their appeal's
decision, against the targets of the settings (`claim_target_hours`, `decision_target_hours`,
`appeal_target_hours`), and which waiting cases are overdue. Read from the moderation store only.

The rules, once:

- Time to first claim runs from a case's opening to its first claim (`first_claimed_at`, never
  overwritten; a decision taken without a claim is the first claim). Time to decision runs from
  the opening to the decision; appeal turnaround from the appeal's arrival (`appealed_at`) to its
  decision (`appeal_decided_at`).
- Medians and 90th percentiles (linear between ranks) are over the cases whose time has ended;
  a case still waiting is counted as overdue or not instead, so that a slow week is not hidden.
- A case is overdue when it has waited longer than the target; exactly the target is on time. An
  open case never claimed is overdue for its claim; once past the decision target it is overdue for
  its decision instead (the later promise, broken as well): each overdue case is counted once, under
  one kind. An appealed case is overdue for its appeal after `appeal_target_hours` since it arrived.
- A case on hold is not overdue while it is held: a hold is a recorded decision to wait for
  something outside the queue (the business's answer, legal advice) and the page lists held cases
  apart. The clock does not stop: once resumed, the case is overdue again if it waited too long
  since it opened, because that is how long the business waited. A snoozed case is not exempt.
- Per moderator, a decision's time counts for who decided it, an appeal's for who decided the
  appeal, a first claim's for who made it (the first "case claimed" line of the audit log, or the
  decider of a case decided without a claim; a case first given by reassignment is counted for nobody).
- Per queue, a decision counts for the queue it was taken in; first claims and waiting cases for the
  queue the case is in now.
- A viewer sees the cases of the queues they may read (an admin every queue), nothing else.
- Cases claimed or appealed before the store kept `first_claimed_at` and `appealed_at` take those
  moments from the audit log's first "case claimed" and "appeal received" lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from etl.settings import Settings
from trustdesk import appdb
from trustdesk.accounts.auth import Principal, require, utcnow
from trustdesk.moderation.cases import ACTIVE, Store, holder

KINDS = ("claim", "decision", "appeal")
MEASURES = {"claim": "Time to first claim", "decision": "Time to decision", "appeal": "Appeal turnaround"}
HOURS = {"claim": "time_to_first_claim_h", "decision": "time_to_decision_h", "appeal": "appeal_turnaround_h"}
STATES = ("overdue", "on hold", "on time")

# The audit log's words for the events whose first occurrence a service time may start or end at.
CLAIMED, APPEALED = "case claimed", "appeal received"

UTC_MOMENT = pl.Datetime("us", "UTC")
CASE_SCHEMA = {
    "case_id": pl.Int64,
    "overdue": pl.String,
    "business_id": pl.String,
    "queue": pl.String,
    "status": pl.String,
    "opened_at": UTC_MOMENT,
    "first_claimed_by": pl.String,
    "time_to_first_claim_h": pl.Float64,
    "decided_by": pl.String,
    "decision_queue": pl.String,
    "time_to_decision_h": pl.Float64,
    "overturned": pl.Boolean,
    "appeal_decided_by": pl.String,
    "appeal_queue": pl.String,
    "appeal_turnaround_h": pl.Float64,
    "held": pl.Boolean,
    "overdue_kind": pl.String,
}
WAITING_SCHEMA = {
    "case_id": pl.Int64,
    "overdue": pl.String,
    "business_id": pl.String,
    "queue": pl.String,
    "status": pl.String,
    "claimed_by": pl.String,
    "held_by": pl.String,
    "hold_reason": pl.String,
    "waiting_since": UTC_MOMENT,
    "waiting_h": pl.Float64,
    "state": pl.String,
}
# The per-moderator and per-queue tables' columns, in the order shown.
BY_MODERATOR = (
    "moderator",
    "decisions",
    "overturned",
    "median_decision_h",
    "p90_decision_h",
    "first_claims",
    "median_claim_h",
    "appeals_decided",
    "median_appeal_h",
)
BY_QUEUE = (
    "queue",
    "waiting",
    "overdue",
    *(f"{k}_overdue" for k in KINDS),
    "on_hold",
    "first_claims",
    "median_claim_h",
    "decisions",
    "median_decision_h",
    "p90_decision_h",
    "appeals_decided",
    "median_appeal_h",
)


def _hours(start: str | None, end: str | None) -> float | None:
    a, b = appdb.moment(start), appdb.moment(end)
    return None if a is None or b is None else (b - a).total_seconds() / 3600


def _same_moment(a: str | None, b: str | None) -> bool:
    """Two moments of one write: the store reads its clock for each column and for the audit line,
    so they may fall either side of a second's boundary."""
    hours = _hours(a, b)
    return hours is not None and abs(hours) * 3600 <= 2


def targets(settings: Settings) -> dict[str, float]:
    """Kind -> its target in hours, from the settings."""
    return {
        "claim": settings.claim_target_hours,
        "decision": settings.decision_target_hours,
        "appeal": settings.appeal_target_hours,
    }


def _late(case: dict, settings: Settings, now: datetime) -> tuple[str, timedelta] | None:
    """(kind, how far past its target) of an overdue case, else None. See the module's rules."""
    if case.get("held_at"):
        return None
    goal = targets(settings)
    now = now if now.tzinfo else now.replace(tzinfo=UTC)  # the store's moments are UTC
    status = case.get("status")
    if status == "appealed":
        since, kind = appdb.moment(case.get("appealed_at")), "appeal"
        if since is None:
            return None  # an appeal whose arrival the store never recorded: nothing to measure
        late = now - since - timedelta(hours=goal["appeal"])
        return (kind, late) if late > timedelta(0) else None
    if status not in ("open", "claimed"):
        return None
    opened = appdb.moment(case.get("opened_at"))
    if opened is None:
        return None
    waited = now - opened
    late = waited - timedelta(hours=goal["decision"])
    if late > timedelta(0):
        return "decision", late
    late = waited - timedelta(hours=goal["claim"])
    if status == "open" and not case.get("first_claimed_at") and late > timedelta(0):
        return "claim", late
    return None


def lateness(late: timedelta) -> str:
    """How far past a target, short: '25 min', '3.5 h', '2 h', '1.5 d' (never a comma: the phrase
    is a label of its own in the tables)."""
    seconds = late.total_seconds()
    if seconds < 3600:
        return f"{max(1, math.ceil(seconds / 60))} min"
    hours = seconds / 3600
    return f"{_short(hours)} h" if hours < 24 else f"{_short(hours / 24)} d"


def _short(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def overdue(case: dict, settings: Settings, now: datetime) -> str | None:
    """For one cases row (a dict of the cases table's columns): None when on time (or on hold), else
    one short phrase: 'claim overdue by 3.5 h', 'decision overdue by 2 h', 'appeal overdue by 1 d'."""
    return _phrase(_late(case, settings, now))


def _phrase(late: tuple[str, timedelta] | None) -> str | None:
    return None if late is None else f"{late[0]} overdue by {lateness(late[1])}"


# --------------------------------------------------------------------------- the metrics page


@dataclass
class ServiceMetrics:
    now: datetime
    targets: dict[str, float]  # kind (claim, decision, appeal) -> hours
    cases: pl.DataFrame  # one row per case (CASE_SCHEMA), by id
    waiting: pl.DataFrame  # active cases (WAITING_SCHEMA): overdue first, then the longest waiting
    times: pl.DataFrame  # one row per kind: measure, target_h, cases, median_h, p90_h, over_target, overdue
    by_moderator: pl.DataFrame  # moderator, decisions, overturned, times per moderator
    by_queue: pl.DataFrame  # queue, waiting, overdue by kind, on hold, times per queue

    @property
    def decisions(self) -> int:
        return self.cases["decided_by"].drop_nulls().len()

    @property
    def appeals(self) -> int:
        """Appeals decided."""
        return self.cases["appeal_decided_by"].drop_nulls().len()

    @property
    def overturned(self) -> int:
        """Appeals decided that overturned the first decision."""
        return self.cases.filter(pl.col("appeal_decided_by").is_not_null() & pl.col("overturned")).height

    @property
    def overdue(self) -> int:
        return self.waiting.filter(pl.col("state") == "overdue").height

    @property
    def on_hold(self) -> int:
        return self.waiting.filter(pl.col("state") == "on hold").height

    def overdue_by_kind(self) -> dict[str, int]:
        counts = dict(self.cases["overdue_kind"].drop_nulls().value_counts().iter_rows())
        return {k: counts.get(k, 0) for k in KINDS}

    def median(self, kind: str) -> float | None:
        return self.times.filter(pl.col("kind") == kind)["median_h"][0]

    def on_target(self, kind: str) -> bool | None:
        """Whether the median meets its target; None when nothing was measured yet."""
        median = self.median(kind)
        return None if median is None else median <= self.targets[kind]

    @property
    def overdue_phrases(self) -> list[str]:
        """Every overdue phrase shown, each once (the tables colour them)."""
        return sorted(set(self.waiting["overdue"].drop_nulls().to_list()))


def _first_events(store: Store) -> dict[tuple[int, str], dict]:
    """(case, event) -> the audit log's first line of that event for the case (actor, at)."""
    rows = store.con.execute(
        "SELECT a.case_id, a.event, a.actor, a.at FROM moderation_audit a JOIN ("
        "SELECT min(id) AS id FROM moderation_audit WHERE event IN (?, ?) AND case_id IS NOT NULL "
        "GROUP BY case_id, event) f ON f.id = a.id",
        (CLAIMED, APPEALED),
    ).fetchall()
    return {(r["case_id"], r["event"]): dict(r) for r in rows}


def _decisions(store: Store) -> dict[tuple[int, str], dict]:
    """(case, kind) -> its decision (kind 'decision') or appeal decision ('appeal')."""
    rows = store.con.execute(
        "SELECT case_id, kind, decided_by, decided_at, overturned, queue FROM decisions ORDER BY id"
    ).fetchall()
    return {(r["case_id"], r["kind"]): dict(r) for r in rows}


def _case_row(case: dict, decisions: dict, events: dict, settings: Settings, now: datetime) -> tuple[dict, dict]:
    """The case's service times (CASE_SCHEMA), and the case with the moments a store kept before
    those columns existed filled from the audit log (for `overdue`)."""
    decision = decisions.get((case["id"], "decision"))
    appeal = decisions.get((case["id"], "appeal"))
    claimed = events.get((case["id"], CLAIMED))
    decided_at = decision["decided_at"] if decision else case.get("decided_at")
    first_claim = case.get("first_claimed_at") or (claimed and claimed["at"]) or decided_at
    if claimed and _same_moment(claimed["at"], first_claim):
        first_by = claimed["actor"]
    elif decision and _same_moment(decided_at, first_claim):
        first_by = decision["decided_by"]
    else:
        first_by = None
    arrived = events.get((case["id"], APPEALED))
    appealed_at = case.get("appealed_at") or (arrived and arrived["at"])
    appeal_done = case.get("appeal_decided_at") or (appeal and appeal["decided_at"])
    filled = {**case, "first_claimed_at": first_claim, "appealed_at": appealed_at}
    late = _late(filled, settings, now)
    row = {
        "case_id": case["id"],
        "business_id": case["business_id"],
        "queue": case["queue"],
        "status": case["status"],
        "opened_at": appdb.moment(case["opened_at"]),
        "first_claimed_by": first_by,
        "time_to_first_claim_h": _hours(case["opened_at"], first_claim),
        "decided_by": decision["decided_by"] if decision else None,
        "decision_queue": (decision["queue"] or case["queue"]) if decision else None,
        "time_to_decision_h": _hours(case["opened_at"], decided_at) if decision else None,
        "overturned": bool(decision["overturned"]) if decision else False,
        "appeal_decided_by": appeal["decided_by"] if appeal else None,
        "appeal_queue": (appeal["queue"] or case["queue"]) if appeal else None,
        "appeal_turnaround_h": _hours(appealed_at, appeal_done) if appeal else None,
        "held": bool(case.get("held_at")),
        "overdue": _phrase(late),
        "overdue_kind": None if late is None else late[0],
    }
    return row, filled


def _waiting_row(case: dict, row: dict, now: datetime, claim_minutes: int) -> dict:
    since = appdb.moment(
        case["appealed_at"] if case["status"] == "appealed" and case["appealed_at"] else case["opened_at"]
    )
    return {
        "case_id": case["id"],
        "business_id": case["business_id"],
        "queue": case["queue"],
        "status": case["status"],
        "claimed_by": holder(case, now, claim_minutes),
        "held_by": case.get("held_by"),
        "hold_reason": case.get("hold_reason"),
        "waiting_since": since,
        "waiting_h": (now - since).total_seconds() / 3600,
        "overdue": row["overdue"],
        "state": "overdue" if row["overdue"] else "on hold" if row["held"] else "on time",
    }


def _summary(cases: pl.DataFrame, key: str, kind: str, count: str, p90: bool = False) -> pl.DataFrame:
    """Per `key`: how many times of `kind` ended, their median (and 90th percentile)."""
    hours = pl.col(HOURS[kind])
    aggs = [pl.len().cast(pl.Int64).alias(count), hours.median().alias(f"median_{kind}_h")]
    if p90:
        aggs.append(hours.quantile(0.9, "linear").alias(f"p90_{kind}_h"))
    ended = cases.filter(pl.col(key).is_not_null() & hours.is_not_null())
    return ended.group_by(pl.col(key).alias("key")).agg(aggs)


def _joined(keys: list[str], name: str, parts: list[pl.DataFrame]) -> pl.DataFrame:
    out = pl.DataFrame({"key": sorted(set(keys))}, schema={"key": pl.String})
    for part in parts:
        out = out.join(part, on="key", how="left")
    counts = [c for c, t in out.schema.items() if t == pl.Int64]
    return out.with_columns(pl.col(counts).fill_null(0)).rename({"key": name})


def _by_moderator(cases: pl.DataFrame) -> pl.DataFrame:
    overturned = (
        cases.filter(pl.col("decided_by").is_not_null())
        .group_by(pl.col("decided_by").alias("key"))
        .agg(pl.col("overturned").sum().cast(pl.Int64).alias("overturned"))
    )
    keys = [
        *cases["decided_by"].drop_nulls(),
        *cases["first_claimed_by"].drop_nulls(),
        *cases["appeal_decided_by"].drop_nulls(),
    ]
    out = _joined(
        keys,
        "moderator",
        [
            _summary(cases, "decided_by", "decision", "decisions", p90=True),
            overturned,
            _summary(cases, "first_claimed_by", "claim", "first_claims"),
            _summary(cases, "appeal_decided_by", "appeal", "appeals_decided"),
        ],
    )
    return out.select(BY_MODERATOR).sort(["decisions", "moderator"], descending=[True, False])


def _by_queue(cases: pl.DataFrame, waiting: pl.DataFrame) -> pl.DataFrame:
    counts = waiting.join(cases.select("case_id", "overdue_kind"), on="case_id", how="left")
    states = counts.group_by(pl.col("queue").alias("key")).agg(
        pl.len().cast(pl.Int64).alias("waiting"),
        (pl.col("state") == "overdue").sum().cast(pl.Int64).alias("overdue"),
        *((pl.col("overdue_kind") == k).sum().cast(pl.Int64).alias(f"{k}_overdue") for k in KINDS),
        (pl.col("state") == "on hold").sum().cast(pl.Int64).alias("on_hold"),
    )
    keys = [*cases["queue"].drop_nulls(), *cases["decision_queue"].drop_nulls(), *cases["appeal_queue"].drop_nulls()]
    out = _joined(
        keys,
        "queue",
        [
            states,
            _summary(cases, "queue", "claim", "first_claims"),
            _summary(cases, "decision_queue", "decision", "decisions", p90=True),
            _summary(cases, "appeal_queue", "appeal", "appeals_decided"),
        ],
    )
    return out.select(BY_QUEUE).sort(["overdue", "waiting", "queue"], descending=[True, True, False])


def _times(cases: pl.DataFrame, goal: dict[str, float]) -> pl.DataFrame:
    rows = []
    for kind in KINDS:
        hours = cases[HOURS[kind]].drop_nulls()
        rows.append(
            {
                "kind": kind,
                "measure": MEASURES[kind],
                "target_h": goal[kind],
                "cases": hours.len(),
                "median_h": hours.median() if hours.len() else None,
                "p90_h": hours.quantile(0.9, "linear") if hours.len() else None,
                "over_target": int((hours > goal[kind]).sum()),
                "overdue": int((cases["overdue_kind"] == kind).sum()),
            }
        )
    schema = {
        "kind": pl.String,
        "measure": pl.String,
        "target_h": pl.Float64,
        "cases": pl.Int64,
        "median_h": pl.Float64,
        "p90_h": pl.Float64,
        "over_target": pl.Int64,
        "overdue": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


def metrics(root: Path, who: Principal, clock=utcnow) -> ServiceMetrics:
    """Every service time of the cases in the queues `who` may read, at `clock()`."""
    who = require(who, "moderator", "see service times")
    settings = Settings.load(root)
    with Store(root, clock) as store:
        now = store.clock()
        cases = store.cases(who=who)
        decisions = _decisions(store)
        events = _first_events(store)
    rows, waiting = [], []
    for case in cases:
        row, filled = _case_row(case, decisions, events, settings, now)
        rows.append(row)
        if case["status"] in ACTIVE:
            waiting.append(_waiting_row(filled, row, now, settings.claim_minutes))
    per_case = pl.DataFrame(rows, schema=CASE_SCHEMA)
    waiting_frame = pl.DataFrame(waiting, schema=WAITING_SCHEMA).sort(
        [pl.col("overdue").is_null(), "waiting_h", "case_id"], descending=[False, True, False]
    )
    goal = targets(settings)
    return ServiceMetrics(
        now=now,
        targets=goal,
        cases=per_case,
        waiting=waiting_frame,
        times=_times(per_case, goal),
        by_moderator=_by_moderator(per_case),
        by_queue=_by_queue(per_case, waiting_frame),
    )
