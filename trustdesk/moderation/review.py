"""The review queue as moderators work it: risk flags joined with the moderation store's cases.

`flags` is pure read side on the warehouse (cacheable per warehouse version); `open_queue` syncs
the flags into cases (a case opens for each newly flagged business) and joins each row with its
case. The actions below are one call per button of the moderation pages: each checks the role
itself before touching the store, which checks again. A refusal is a `ModerationError` whose text
is one sentence for the person (`refusal` words it for the page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path

import polars as pl
from filelock import Timeout

from etl.settings import Settings
from trustdesk.accounts.auth import Principal, require, utcnow
from trustdesk.analytics.metrics import Period
from trustdesk.moderation import business, cases, learning, risk, service
from trustdesk.moderation.cases import ACTIONS, ACTIVE, LADDER, ModerationError, Store, holder, next_step
from trustdesk.warehouse import Warehouse

CASE_SCHEMA = {
    "case_id": pl.Int64,
    "business_id": pl.String,
    "queue": pl.String,
    "status": pl.String,
    "overdue": pl.String,
    "claimed_by": pl.String,
    "claimed_at": pl.String,
    "snoozed_until": pl.String,
    "on_hold": pl.String,
    "opened_at": pl.String,
    "flagged_on": pl.String,
    "case_risk_score": pl.Float64,
    "case_reasons": pl.String,
    "case_policy": pl.String,
    "case_market": pl.String,
    "case_category": pl.String,
}


@dataclass(frozen=True)
class QueueFilter:
    """A view of the queue: each field narrows it when set (None: any)."""

    queue: str | None = None
    policy: str | None = None  # the policy the flag most likely breaks (risk.suggested_policy)
    signal: str | None = None  # one of risk.SIGNALS
    market: str | None = None  # the business's country
    category: str | None = None

    @classmethod
    def of(cls, saved: dict) -> QueueFilter:
        return cls(**{k: saved.get(k) or None for k in cls.__dataclass_fields__})

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}

    def words(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.as_dict().items()) or "everything"

    def keep(self, table: pl.DataFrame, flagged: bool) -> pl.DataFrame:
        """The rows of a queue table (flagged, or cases elsewhere) this view shows."""
        cond = pl.lit(True)
        for value, flagged_col, case_col in (
            (self.queue, "queue", "queue"),
            (self.policy, "suggested_policy", "case_policy"),
            (self.market, "country", "case_market"),
            (self.category, "category", "case_category"),
        ):
            if value:
                cond = cond & (pl.col(flagged_col if flagged else case_col) == value)
        if self.signal:
            cond = cond & (pl.col("signals").list.contains(self.signal) if flagged else pl.lit(False))
        return table.filter(cond)


@dataclass
class ReviewQueue:
    as_of: date
    lookback: int
    flag_score: float
    table: pl.DataFrame  # rank, business_id, name, risk_score, rating, reasons, case columns, details
    elsewhere: pl.DataFrame  # active cases whose business is not flagged now (appeals, aged-out flags)
    opened: int  # cases this call opened
    queues: list[dict] = field(default_factory=list)  # the queues the person may work

    @property
    def empty(self) -> bool:
        return self.table.is_empty()

    def filtered(self, view: QueueFilter) -> ReviewQueue:
        """The same queue narrowed to a view (queue, policy, signal, market, category)."""
        return replace(self, table=view.keep(self.table, True), elsewhere=view.keep(self.elsewhere, False))

    def counts(self, me: str) -> dict[str, int]:
        t = self.table
        live = t.filter(pl.col("snoozed_until").is_null() & pl.col("on_hold").is_null())
        return {
            "flagged": t.height,
            "waiting": live.filter(pl.col("claimed_by").is_null() & pl.col("status").is_in(["open", "claimed"])).height,
            "mine": t.filter(pl.col("claimed_by") == me).height,
            "others": live.filter(pl.col("claimed_by").is_not_null() & (pl.col("claimed_by") != me)).height,
            "paused": t.height - live.height,
            "overdue": t.filter(pl.col("overdue").is_not_null()).height
            + self.elsewhere.filter(pl.col("overdue").is_not_null()).height,
        }

    @property
    def overdue_phrases(self) -> list[str]:
        """Every overdue phrase the queue shows, each once (the tables colour them)."""
        both = self.table["overdue"].drop_nulls().to_list() + self.elsewhere["overdue"].drop_nulls().to_list()
        return sorted(set(both))

    def case_ids(self) -> set[int]:
        """Every case this (possibly filtered) queue shows: what Next case picks from."""
        return set(self.table["case_id"].drop_nulls().to_list()) | set(self.elsewhere["case_id"].to_list())

    def workable(self) -> pl.DataFrame:
        """Cases a decision can be taken on now: open or claimed, flagged or not."""
        cols = ["case_id", "business_id", "status", "claimed_by", "snoozed_until"]
        both = pl.concat(
            [
                self.table.select(*cols, "name", "risk_score"),
                self.elsewhere.select(
                    *cols, pl.lit(None, pl.String).alias("name"), pl.col("case_risk_score").alias("risk_score")
                ),
            ]
        )
        return both.filter(pl.col("case_id").is_not_null() & pl.col("status").is_in(["open", "claimed"]))


def flags(
    wh: Warehouse,
    settled: tuple[tuple[str, date], ...] = (),
    settings: Settings | None = None,
    model: str | None = None,
):
    """The risk queue for the data's last day; `settled` (business, data date of its latest
    decision) is a tuple so that the call can be cached; `model`, the fingerprint of the ranker
    learned from decisions (`learning.current`), re-ranks it with the saved ranker."""
    settings = settings or Settings.load(wh.root)
    ranker = learning.saved(wh.root) if model else None
    return risk.queue(wh, wh.date_range()[1], None, settings, dict(settled), ranker=ranker)


def _ranker_key(wh: Warehouse, store: Store, settings: Settings) -> str | None:
    """The fingerprint of the ranker in force (trained now if the decisions changed), or None
    while the rules rank."""
    try:
        ranker = learning.current(wh.root, wh, store, settings)
    except Timeout:  # another session is training it: this visit ranks with the saved one
        ranker = learning.saved(wh.root)
    return ranker.meta.get("fingerprint") if ranker is not None else None


def _cases_frame(cases: list[dict], now: datetime, settings: Settings) -> pl.DataFrame:
    rows = []
    for c in cases:
        claimed_by = holder(c, now, settings.claim_minutes)
        until = c["snoozed_until"]
        snoozed = until if until and datetime.fromisoformat(until) > now else None
        rows.append(
            {
                "case_id": c["id"],
                "business_id": c["business_id"],
                "queue": c["queue"],
                "status": c["status"],
                "overdue": service.overdue(c, settings, now),
                "claimed_by": claimed_by,
                "claimed_at": c["claimed_at"],
                "snoozed_until": snoozed,
                "on_hold": f"{c['hold_reason']} ({c['held_by']})" if c["held_at"] else None,
                "opened_at": c["opened_at"],
                "flagged_on": c["flagged_on"],
                "case_risk_score": c["risk_score"],
                "case_reasons": c["reasons"],
                "case_policy": c["suggested_policy"],
                "case_market": c["market"],
                "case_category": c["category"],
            }
        )
    return pl.DataFrame(rows, schema=CASE_SCHEMA)


def open_queue(wh: Warehouse, who: Principal, flagged: Callable = flags, clock=utcnow) -> ReviewQueue:
    """The review queue with each business's case: syncs new flags into cases first.

    `flagged(wh, settled, settings)` computes the flags; pages pass a cached `flags`.
    """
    who = require(who, "moderator", "work the review queue")
    settings = Settings.load(wh.root)
    with Store(wh.root, clock) as store:
        settled = tuple(sorted(store.decided_as_of().items()))
        model = _ranker_key(wh, store, settings)
    result = flagged(wh, settled, settings, model)  # the slow part, with the store closed
    table = _with_platform_said(wh, result)
    with Store(wh.root, clock) as store:
        opened = store.sync(who, table, result.as_of, settings.escalate_risk_score) if table.height else 0
        # Only the cases of the queues this person may work: the rest are not theirs to see.
        cases = _cases_frame(store.cases(ACTIVE, who=who), clock(), settings)
        queues = store.queues_for(who)
    table = table.join(
        cases.drop("case_risk_score", "case_reasons", "case_policy", "case_market", "case_category"),
        on="business_id",
        how="inner",
    )
    first = [
        "rank",
        "business_id",
        "name",
        "risk_score",
        "rating",
        "overdue",
        "reasons",
        "case_id",
        "queue",
        "status",
        "claimed_by",
        "snoozed_until",
        "on_hold",
    ]
    table = table.select(first + [c for c in table.columns if c not in first]).sort("rank")
    elsewhere = cases.filter(~pl.col("business_id").is_in(result.table["business_id"].implode())).sort(
        ["status", "case_risk_score"], descending=[False, True], nulls_last=True
    )
    return ReviewQueue(result.as_of, result.lookback, settings.risk_flag_score, table, elsewhere, opened, queues)


def _with_platform_said(wh: Warehouse, result) -> pl.DataFrame:
    """Each flagged business's reasons end with what the platform itself said about it lately
    (quality downgrades, violations, restrictions), where webhook data loaded any."""
    said = business.platform_signals(wh, result.as_of).select(
        "business_id", pl.col("reason").alias("platform_said"), pl.col("violation").alias("platform_violation")
    )
    if said.is_empty() or result.table.is_empty():
        return result.table.with_columns(
            pl.lit(None, pl.String).alias("platform_said"), pl.lit(None, pl.Boolean).alias("platform_violation")
        )
    return result.table.join(said, on="business_id", how="left").with_columns(
        pl.when(pl.col("platform_said").is_not_null())
        .then(pl.concat_str([pl.col("reasons"), pl.lit("; "), pl.col("platform_said")]))
        .otherwise(pl.col("reasons"))
        .alias("reasons")
    )


def queue_businesses(wh: Warehouse, who: Principal, flagged: Callable = flags) -> pl.DataFrame:
    """business_id, name, risk_score and the flag's window (window_from, window_to: the trailing
    days its riskiest flagged day was judged on) of the flagged businesses and of businesses with
    an active case, for choosing one without opening cases. A case whose business is no longer
    flagged gets the window of the day it was first flagged."""
    require(who, "moderator", "see the review queue")
    settings = Settings.load(wh.root)
    with Store(wh.root) as store:
        settled = tuple(sorted(store.decided_as_of().items()))
        model = _ranker_key(wh, store, settings)
        every = store.cases(ACTIVE)
        readable = store.readable_queues(who)
    active = [c for c in every if c["queue"] in readable]
    hidden = {c["business_id"] for c in every} - {c["business_id"] for c in active}
    # Flagged businesses whose case is in a queue the person may not work are not theirs to open.
    table = flagged(wh, settled, settings, model).table.filter(~pl.col("business_id").is_in(sorted(hidden)))
    schema = {
        "business_id": pl.String,
        "name": pl.String,
        "risk_score": pl.Float64,
        "window_from": pl.Date,
        "window_to": pl.Date,
    }
    table = (
        table.select(list(schema))
        if "window_from" in table.columns
        else table.select("business_id", "name", "risk_score").with_columns(
            pl.lit(None, pl.Date).alias("window_from"), pl.lit(None, pl.Date).alias("window_to")
        )
    )
    rows = []
    for c in active:
        start = end = None
        if c["flagged_on"]:
            start, end = risk.evidence_window(date.fromisoformat(str(c["flagged_on"])[:10]), settings)
        rows.append(
            {
                "business_id": c["business_id"],
                "name": None,
                "risk_score": c["risk_score"],
                "window_from": start,
                "window_to": end,
            }
        )
    extra = pl.DataFrame(rows, schema=schema).filter(~pl.col("business_id").is_in(table["business_id"].implode()))
    return pl.concat([table.cast(schema), extra]).unique("business_id", keep="first", maintain_order=True)


def flag_period(businesses: pl.DataFrame, business_id: str) -> Period | None:
    """The days the business's flag was based on (from `queue_businesses`), or None."""
    rows = businesses.filter(pl.col("business_id") == business_id)
    if rows.is_empty() or rows["window_from"][0] is None:
        return None
    return Period(rows["window_from"][0], rows["window_to"][0])


# --------------------------------------------------------------------------- one business's cases


@dataclass
class CaseFile:
    cases: list[dict]  # every case of the business in the queues the person may read, oldest first
    decisions: pl.DataFrame  # decisions and appeal decisions, oldest first
    notes: pl.DataFrame  # notes of all its cases, oldest first
    claim_minutes: int
    now: datetime
    hidden: int = 0  # its cases in queues the person may not read
    strikes: list[dict] = field(default_factory=list)  # live strikes, oldest first
    proposed: str = LADDER[0]  # the ladder's next step
    workers: list[str] = field(default_factory=list)  # whom its active case may be reassigned to
    queues: list[dict] = field(default_factory=list)  # every queue: a case may be escalated to any other
    next_after_decision: bool = True  # the person's choice: open the next case after deciding

    @property
    def active(self) -> dict | None:
        """Its open, claimed or appealed case, if any (there is at most one)."""
        live = [c for c in self.cases if c["status"] in ACTIVE]
        return live[-1] if live else None

    @property
    def latest_decided(self) -> dict | None:
        """Its latest case with a decision (whose appeal may be decided too)."""
        done = [c for c in self.cases if c["status"] in ("decided", "appeal_decided")]
        return done[-1] if done else None

    def claimed_by(self, case: dict) -> str | None:
        """Who holds the case now (a lapsed claim holds nothing)."""
        return holder(case, self.now, self.claim_minutes)

    def first_decision(self, case_id: int) -> dict | None:
        return self._decision(case_id, "decision")

    def appeal_decision(self, case_id: int) -> dict | None:
        return self._decision(case_id, "appeal")

    def _decision(self, case_id: int, kind: str) -> dict | None:
        rows = self.decisions.filter((pl.col("case_id") == case_id) & (pl.col("kind") == kind))
        return rows.row(0, named=True) if rows.height else None

    def earlier_decisions(self, case_id: int) -> pl.DataFrame:
        """The business's decisions before this case's, newest first: its history where an appeal is judged."""
        return self.decisions.filter(pl.col("case_id") != case_id).reverse()


DECISION_SCHEMA = {
    "case_id": pl.Int64,
    "kind": pl.String,
    "action": pl.String,
    "policy": pl.String,
    "rationale": pl.String,
    "decided_by": pl.String,
    "decided_at": pl.String,
    "overturned": pl.Int64,
    "override_reason": pl.String,
    "strike_expires_at": pl.String,
    "flagged_on": pl.String,
}
NOTE_SCHEMA = {"case_id": pl.Int64, "author": pl.String, "at": pl.String, "text": pl.String}


def case_file(root: Path, who: Principal, business_id: str, clock=utcnow) -> CaseFile:
    who = require(who, "moderator", "read a business's cases")
    with Store(root, clock) as store:
        every = store.cases(business_id=business_id)
        readable = store.readable_queues(who)
        cases = [c for c in every if c["queue"] in readable]
        shown = {c["id"] for c in cases}
        history = [h for h in store.history(business_id) if h["case_id"] in shown]
        notes = [n for c in cases for n in store.notes(c["id"])]
        strikes = store.strikes(business_id)
        live = [c for c in cases if c["status"] in ACTIVE]
        queues = store.queues()
        workers = store.workers(live[-1]["queue"]) if live else []
        after = store.next_after_decision(who)
    return CaseFile(
        cases=cases,
        decisions=pl.DataFrame([{k: h.get(k) for k in DECISION_SCHEMA} for h in history], schema=DECISION_SCHEMA),
        notes=pl.DataFrame([{k: n.get(k) for k in NOTE_SCHEMA} for n in notes], schema=NOTE_SCHEMA),
        claim_minutes=Settings.load(root).claim_minutes,
        now=clock(),
        hidden=len(every) - len(cases),
        # The ladder counts every strike; the person sees those of the cases they may read.
        strikes=[x for x in strikes if x["case_id"] in shown],
        proposed=next_step(strikes),
        workers=workers,
        queues=queues,
        next_after_decision=after,
    )


# --------------------------------------------------------------------------- actions


def plain(text: str) -> str:
    """Text that Markdown (st.info, st.warning, ...) shows as its characters: ids and names may
    contain any character."""
    return "".join("\\" + c if c in "\\`*_{}[]<>#|~$&" else c for c in str(text))


def refusal(exc: Exception) -> str:
    """A store's refusal as the page shows it: one sentence, capitalised, ending with a full stop."""
    text = str(exc).strip()
    text = text[:1].upper() + text[1:]
    return plain(text) + ("" if text.endswith((".", "!", "?")) else ".")


def _chosen(action: str | None) -> None:
    if not action:
        raise ModerationError(f"choose a decision: {', '.join(ACTIONS)}")


def _claim_minutes(root: Path) -> int:
    return Settings.load(root).claim_minutes


def next_case(root: Path, who: Principal, only: set[int] | None = None) -> dict | None:
    """Claim the highest-risk, then oldest, case nobody works on, among `only` (the cases of a
    filtered view) when given; None when there is none."""
    require(who, "moderator", "claim cases")
    with Store(root) as store:
        return store.next_case(who, _claim_minutes(root), only)


def claim(root: Path, who: Principal, case_id: int) -> dict:
    require(who, "moderator", "claim cases")
    with Store(root) as store:
        return store.claim(who, case_id, _claim_minutes(root))


def release(root: Path, who: Principal, case_id: int) -> None:
    require(who, "moderator", "release cases")
    with Store(root) as store:
        store.release(who, case_id)


def snooze(root: Path, who: Principal, case_id: int, until: date) -> datetime:
    """Snooze until the start (00:00 UTC) of `until`, which must be a later day."""
    require(who, "moderator", "snooze cases")
    moment = datetime.combine(until, time(0, 0), tzinfo=UTC)
    with Store(root) as store:
        if moment <= store.clock():
            raise ModerationError("a case can only be snoozed until a later day")
        store.snooze(who, case_id, moment, _claim_minutes(root))
    return moment


def hold(root: Path, who: Principal, case_id: int, reason: str) -> None:
    require(who, "moderator", "put cases on hold")
    with Store(root) as store:
        store.hold(who, case_id, reason or "", _claim_minutes(root))


def resume(root: Path, who: Principal, case_id: int) -> None:
    require(who, "moderator", "resume cases")
    with Store(root) as store:
        store.resume(who, case_id)


def escalate(root: Path, who: Principal, case_id: int, note: str, queue: str = cases.SENIOR) -> None:
    require(who, "moderator", "escalate cases")
    with Store(root) as store:
        store.escalate(who, case_id, note or "", queue, _claim_minutes(root))


def reassign(root: Path, who: Principal, case_id: int, to: str | None) -> None:
    require(who, "moderator", "reassign cases")
    if not to:
        raise ModerationError("choose the moderator to give the case to")
    with Store(root) as store:
        store.reassign(who, case_id, to, _claim_minutes(root))


def decide(
    root: Path,
    who: Principal,
    case_id: int,
    action: str,
    policy: str | None,
    rationale: str,
    as_of: date,
    override_reason: str = "",
) -> int:
    require(who, "moderator", "take decisions")
    _chosen(action)
    settings = Settings.load(root)
    with Store(root) as store:
        return store.decide(
            who,
            case_id,
            action,
            policy,
            rationale or "",
            as_of,
            settings.claim_minutes,
            override_reason or "",
            settings.strike_days,
        )


def decide_many(
    root: Path,
    who: Principal,
    case_ids: list[int],
    action: str,
    policy: str | None,
    rationale: str,
    as_of: date,
    override_reason: str = "",
) -> dict[int, str]:
    """Each case gets its own decision and audit line; case -> 'decided' or the refusal."""
    require(who, "moderator", "take decisions")
    if not case_ids:
        raise ModerationError("choose at least one case")
    _chosen(action)
    settings = Settings.load(root)
    with Store(root) as store:
        return store.decide_many(
            who,
            list(case_ids),
            action,
            policy,
            rationale or "",
            as_of,
            override_reason or "",
            settings.strike_days,
            settings.claim_minutes,
        )


def add_note(root: Path, who: Principal, case_id: int, text: str) -> None:
    require(who, "moderator", "write notes")
    with Store(root) as store:
        store.add_note(who, case_id, text or "")


def appeal(root: Path, who: Principal, case_id: int, text: str) -> None:
    require(who, "moderator", "record appeals")
    with Store(root) as store:
        store.appeal(who, case_id, text or "")


def decide_appeal(root: Path, who: Principal, case_id: int, overturn: bool, rationale: str) -> None:
    require(who, "moderator", "decide appeals")
    with Store(root) as store:
        store.decide_appeal(who, case_id, overturn, rationale or "")


def next_after_decision(root: Path, who: Principal) -> bool:
    require(who, "moderator", "read case preferences")
    with Store(root) as store:
        return store.next_after_decision(who)


def set_next_after_decision(root: Path, who: Principal, on: bool) -> None:
    require(who, "moderator", "change case preferences")
    with Store(root) as store:
        store.set_next_after_decision(who, on)


def saved_views(root: Path, who: Principal) -> dict[str, QueueFilter]:
    require(who, "moderator", "read saved queue views")
    with Store(root) as store:
        return {name: QueueFilter.of(f) for name, f in store.saved_views(who).items()}


def save_view(root: Path, who: Principal, name: str, view: QueueFilter) -> None:
    require(who, "moderator", "save queue views")
    if not view.as_dict():
        raise ModerationError("choose at least one filter to save as a view")
    with Store(root) as store:
        store.save_view(who, name, view.as_dict())


def delete_view(root: Path, who: Principal, name: str) -> None:
    require(who, "moderator", "delete queue views")
    with Store(root) as store:
        store.delete_view(who, name)


def queues(root: Path, who: Principal) -> list[dict]:
    """Every queue and who may work it (admins only: the page that changes them)."""
    require(who, "admin", "see who may work which queue")
    with Store(root) as store:
        return store.queues()


def save_queue(
    root: Path, who: Principal, name: str, title: str, description: str, roles: list[str], people: list[str]
) -> None:
    require(who, "admin", "change the queues")
    with Store(root) as store:
        store.save_queue(who, name, title, description, roles, people)


@dataclass
class AuditChoices:
    actors: list[str]
    events: list[str]
    businesses: list[str]
    total: int


def audit_choices(root: Path, who: Principal) -> AuditChoices:
    """What the audit log's filters offer: every actor, event and business it names."""
    with Store(root) as store:
        log = store.audit_log(who)

    def values(col: str) -> list[str]:
        return sorted(v for v in log[col].unique().to_list() if v is not None)

    return AuditChoices(values("actor"), values("event"), values("business_id"), log.height)


def audit_log(
    root: Path, who: Principal, actor: str | None = None, event: str | None = None, business_id: str | None = None
) -> pl.DataFrame:
    """The moderation audit log, newest first, filtered by actor, event and business (exact)."""
    with Store(root) as store:
        return store.audit_log(who, actor, event, business_id)
