"""Coordinated campaigns as moderators work them: the campaigns among the review queue's
businesses, one campaign's accounts with their evidence and cases, and one decision for all of them.

`board` opens the review queue once, exactly as the Review queue page does (`review.open_queue`:
the settled flags, a case for each newly flagged business, the cases of the queues the person
works), and takes the campaigns the risk score found on the way (`QueueResult.campaigns`, over
`risk.campaign_period`). The warehouse reads go through `read`, which pages pass their cache
(`trustdesk.web.cache.cached`), so a page's run computes the queue once.

`decide_campaign` is one decision applied to each account of a campaign: each gets its own
decision, audit line and outbox message (`Store.decide_many`), its rationale naming the campaign,
and each refusal is reported for its account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from etl.settings import Settings
from trustdesk.accounts.auth import Principal, require, utcnow
from trustdesk.moderation import policies, review, risk, views
from trustdesk.moderation.campaigns import Campaign
from trustdesk.moderation.cases import ACTION_WORDS, ACTIONS, ACTIVE, ModerationError, Store, holder
from trustdesk.warehouse import Warehouse, run

LIST_SCHEMA = {
    "campaign_id": pl.String,
    "accounts": pl.Int64,
    "flagged": pl.Int64,  # its accounts in the review queue now (any queue)
    "template": pl.String,
    "recipients": pl.Int64,
    "shared_share": pl.Float64,  # of its recipients, those two or more of its accounts reached
    "campaign_surprise": pl.Float64,  # z of its pooled feedback against its accounts' peers
    "report_rate": pl.Float64,  # pooled reports per 1,000 messages over the period
    "block_rate": pl.Float64,  # pooled blocks per reached user over the period
    "created_from": pl.Date,
    "created_to": pl.Date,
    "created_days": pl.Int64,  # days between the oldest and the newest account
    "categories": pl.String,
    "max_risk_score": pl.Float64,
    "sentence": pl.String,
}

ACCOUNT_SCHEMA = {
    "business_id": pl.String,
    "name": pl.String,
    "category": pl.String,
    "country": pl.String,
    "created_on": pl.Date,
    "flagged": pl.Boolean,  # in the review queue now
    "risk_score": pl.Float64,  # the queue's evidence, at its riskiest flagged day (None: not flagged)
    "reasons": pl.String,
    "report_rate": pl.Float64,
    "block_rate": pl.Float64,
    "reached_users": pl.Int64,
    "window_from": pl.Date,
    "window_to": pl.Date,
    "messages": pl.Int64,  # over the campaign's period, flagged or not
    "reports": pl.Int64,
    "blocks": pl.Int64,
    "case_id": pl.Int64,
    "case_status": pl.String,
    "queue": pl.String,
    "claimed_by": pl.String,
    "decision": pl.String,
}
HIDDEN = "in a queue you do not work"


def account_profiles(wh: Warehouse, accounts: tuple[str, ...], date_from: date, date_to: date) -> pl.DataFrame:
    """Each account's file and its traffic and feedback over the period (campaign_accounts.sql)."""
    return run(wh, "campaign_accounts", business=list(accounts), date_from=date_from, date_to=date_to)


def unknown(campaign_id: str, date_from: date, date_to: date) -> str:
    return (
        f"there is no campaign '{campaign_id}' in the data of {risk.span(date_from, date_to)}: a campaign's "
        "id changes when its accounts do, so choose it again from the list"
    )


@dataclass
class CampaignFile:
    campaign_id: str
    sentence: str  # "part of campaign C... (6 accounts, shared template 'X', 41% shared recipients)"
    template: str
    text: str  # one of the shared template's texts, as written
    templates: list[str]
    recipients: int
    shared_recipients: int
    date_from: date
    date_to: date
    as_of: date  # the data date decisions are taken as of
    accounts: pl.DataFrame  # ACCOUNT_SCHEMA, one row per account

    @property
    def size(self) -> int:
        return self.accounts.height

    @property
    def open_cases(self) -> int:
        """Accounts with an open or claimed case the person may decide."""
        return self.accounts.filter(pl.col("case_status").is_in(["open", "claimed"])).height


@dataclass
class Board:
    root: Path
    who: Principal
    as_of: date
    lookback: int
    date_from: date
    date_to: date
    found: dict[str, Campaign]  # every campaign of the period, by id
    table: pl.DataFrame  # LIST_SCHEMA: the campaigns among the person's review queue's businesses
    flagged: pl.DataFrame  # the queue's row of every flagged business, in any queue
    profiles: pl.DataFrame  # campaign_accounts.sql rows of every found campaign's accounts
    claim_minutes: int = 30
    clock: Callable = field(default=utcnow, repr=False)

    @property
    def empty(self) -> bool:
        return self.table.is_empty()

    def campaign(self, campaign_id: str | None) -> CampaignFile | None:
        """The campaign's file, its accounts' cases read from the store now; None if unknown."""
        c = self.found.get(campaign_id or "")
        if c is None:
            return None
        evidence = self.flagged.filter(pl.col("business_id").is_in(c.accounts))
        rows = []
        with Store(self.root, self.clock) as store:
            readable = store.readable_queues(self.who)
            for account in c.accounts:
                rows.append(self._account(store, readable, account, evidence))
        return CampaignFile(
            campaign_id=c.campaign_id,
            sentence=c.describe(),
            template=c.template,
            text=c.text,
            templates=list(c.templates),
            recipients=c.recipients,
            shared_recipients=c.shared_recipients,
            date_from=c.date_from or self.date_from,
            date_to=c.date_to or self.date_to,
            as_of=self.as_of,
            accounts=pl.DataFrame(rows, schema=ACCOUNT_SCHEMA),
        )

    def _account(self, store: Store, readable: tuple[str, ...], account: str, evidence: pl.DataFrame) -> dict:
        row = {k: None for k in ACCOUNT_SCHEMA} | {"business_id": account, "flagged": False}
        profile = self.profiles.filter(pl.col("business_id") == account)
        if profile.height:
            p = profile.row(0, named=True)
            row |= {k: p[k] for k in ("name", "category", "country", "created_on", "messages", "reports", "blocks")}
        flag = evidence.filter(pl.col("business_id") == account)
        if flag.height:
            f = flag.row(0, named=True)
            row |= {k: f.get(k) for k in ("risk_score", "reasons", "report_rate", "block_rate", "window_from")}
            row |= {"reached_users": f.get("reached_users"), "window_to": f.get("window_to"), "flagged": True}
            row["name"] = row["name"] or f.get("name")
        cases = store.cases(business_id=account)
        if not cases:
            row["case_status"] = "no case" if not row["flagged"] else "no case yet"
            return row
        case = cases[-1]
        if case["queue"] not in readable:
            row["case_status"] = HIDDEN
            return row
        row |= {"case_id": case["id"], "case_status": case["status"], "queue": case["queue"]}
        row["claimed_by"] = holder(case, self.clock(), self.claim_minutes)
        first = next(
            (d for d in store.history(account) if d["case_id"] == case["id"] and d["kind"] == "decision"), None
        )
        if first is not None:
            row["decision"] = f"{ACTION_WORDS[first['action']]} by {first['decided_by']}"
        return row


def board(wh: Warehouse, who: Principal, read: Callable = views.call, clock=utcnow) -> Board:
    """The review queue opened once (syncing new flags into cases) and the campaigns among its
    businesses; `read(fn, wh, *args)` runs the warehouse reads (pages pass their cache)."""
    who = require(who, "moderator", "work coordinated campaigns")
    seen: dict = {}

    def flagged(*args):
        seen["result"] = read(review.flags, *args)
        return seen["result"]

    q = review.open_queue(wh, who, flagged, clock)
    result = seen["result"]
    settings = Settings.load(wh.root)
    date_from, date_to = risk.campaign_period(q.as_of, q.lookback, settings)
    found = {c.campaign_id: c for c in result.campaigns}
    everyone = tuple(sorted({a for c in found.values() for a in c.accounts}))
    profiles = (
        read(account_profiles, wh, everyone, date_from, date_to)
        if everyone
        else pl.DataFrame(schema={"business_id": pl.String})
    )
    flags = result.table
    if "campaign_id" not in flags.columns:  # an empty queue
        flags = flags.with_columns(pl.lit(None, pl.String).alias("campaign_id"))
    mine = q.table if "campaign_id" in q.table.columns else flags.clear()
    listed = [found[i] for i in mine["campaign_id"].drop_nulls().unique().to_list() if i in found]
    table = pl.DataFrame([_listed(c, flags, profiles) for c in listed], schema=LIST_SCHEMA).sort(
        ["max_risk_score", "accounts", "campaign_id"], descending=[True, True, False], nulls_last=True
    )
    return Board(
        root=wh.root,
        who=who,
        as_of=q.as_of,
        lookback=q.lookback,
        date_from=date_from,
        date_to=date_to,
        found=found,
        table=table,
        flagged=flags,
        profiles=profiles,
        claim_minutes=settings.claim_minutes,
        clock=clock,
    )


def _listed(c: Campaign, flags: pl.DataFrame, profiles: pl.DataFrame) -> dict:
    rows = flags.filter(pl.col("business_id").is_in(c.accounts))
    mine = profiles.filter(pl.col("business_id").is_in(c.accounts))
    created = mine["created_on"].drop_nulls() if "created_on" in mine.columns else pl.Series([], dtype=pl.Date)

    def total(col: str) -> int:
        return int(mine[col].sum()) if col in mine.columns else 0

    ok, reached = total("messages_ok"), total("recipients")
    first, last = (created.min(), created.max()) if created.len() else (None, None)
    return {
        "campaign_id": c.campaign_id,
        "accounts": len(c.accounts),
        "flagged": rows.height,
        "template": c.template,
        "recipients": c.recipients,
        "shared_share": c.shared_share,
        "campaign_surprise": rows["campaign_surprise"].max() if "campaign_surprise" in rows.columns else None,
        "report_rate": total("reports") / ok * 1000 if ok else None,
        "block_rate": total("blocks") / reached if reached else None,
        "created_from": first,
        "created_to": last,
        "created_days": (last - first).days if first else None,
        "categories": ", ".join(sorted(set(mine["category"].drop_nulls()))) if "category" in mine.columns else "",
        "max_risk_score": rows["risk_score"].max() if rows.height else None,
        "sentence": c.describe(),
    }


def campaigns(wh: Warehouse, who: Principal, read: Callable = views.call) -> pl.DataFrame:
    """The campaigns among the current review queue's businesses, one row each (LIST_SCHEMA)."""
    return board(wh, who, read).table


def campaign(wh: Warehouse, who: Principal, campaign_id: str, read: Callable = views.call) -> CampaignFile:
    """One campaign's sentence, text and accounts with their evidence and cases."""
    b = board(wh, who, read)
    file = b.campaign(campaign_id)
    if file is None:
        raise ModerationError(unknown(campaign_id, b.date_from, b.date_to))
    return file


def decide_campaign(
    wh: Warehouse,
    who: Principal,
    campaign_id: str,
    action: str | None,
    policy: str | None,
    rationale: str,
    override_reason: str = "",
    confirmed: bool = True,
    read: Callable = views.call,
    clock=utcnow,
) -> dict[str, str]:
    """One decision for each account of the campaign: business -> 'decided' or why not.

    A flagged account without an active case gets one first (the system's act, as the queue's
    sync); then every account's open or claimed case is decided (`Store.decide_many`: its own
    decision, audit line and outbox message, the rationale naming the campaign). An account
    without a case to decide, or whose case is refused, says why."""
    who = require(who, "moderator", "decide coordinated campaigns")
    if action not in ACTIONS:
        raise ModerationError(f"choose a decision: {', '.join(ACTIONS)}")
    if action != "dismiss" and not (rationale or "").strip():
        raise ModerationError(f"a '{action}' decision needs a written rationale")
    b = board(wh, who, read, clock)
    c = b.found.get(campaign_id or "")
    if c is None:
        raise ModerationError(unknown(campaign_id, b.date_from, b.date_to))
    if not confirmed:
        raise ModerationError(f"confirm that the decision applies to all {len(c.accounts)} accounts of the campaign")
    settings = Settings.load(wh.root)
    flagged = b.flagged.filter(pl.col("business_id").is_in(c.accounts))
    text = f"{(rationale or '').strip()} (campaign {c.campaign_id})".strip()
    out: dict[str, str] = {}
    cases: dict[int, str] = {}
    with Store(wh.root, clock) as store:
        if action != "dismiss":
            policies.check(store.con, policy or "")  # refused once, before anything is written
        if flagged.height:
            store.sync(who, flagged, b.as_of, settings.escalate_risk_score)
        for account in c.accounts:
            active = store.cases(ACTIVE, business_id=account)
            if not active:
                latest = store.cases(business_id=account)
                out[account] = (
                    f"it has no open case (case {latest[-1]['id']} is {latest[-1]['status']})"
                    if latest
                    else "it has no case: it is not flagged in the current review queue"
                )
            elif active[-1]["status"] == "appealed":
                out[account] = f"its case {active[-1]['id']} is under appeal: decide the appeal on the business page"
            else:
                cases[active[-1]["id"]] = account
        if cases:
            decided = store.decide_many(
                who,
                list(cases),
                action,
                policy,
                text,
                b.as_of,
                override_reason or "",
                settings.strike_days,
                settings.claim_minutes,
            )
            out |= {cases[case_id]: outcome for case_id, outcome in decided.items()}
    return {account: out[account] for account in c.accounts}


def outcome_words(action: str, outcome: dict[str, str]) -> tuple[str, str]:
    """What a campaign decision did, for the page's message: (kind, text)."""
    done = [b for b, result in outcome.items() if result == "decided"]
    refused = {b: result for b, result in outcome.items() if result != "decided"}
    accounts = "account" if len(outcome) == 1 else "accounts"
    text = f"{ACTION_WORDS.get(action, action)}: {len(done):,} of {len(outcome):,} {accounts} decided"
    text += f" ({review.plain(', '.join(done))})." if done else "."
    if refused:
        return "warning", text + " Not decided: " + " ".join(
            f"{review.plain(b)}: {review.refusal(why)}" for b, why in refused.items()
        )
    return "success", text


def outcome_table(outcome: dict[str, str]) -> pl.DataFrame:
    """business_id, outcome: each account's result, refusals in full."""
    return pl.DataFrame(
        [(b, r if r == "decided" else review.refusal(r)) for b, r in outcome.items()],
        schema={"business_id": pl.String, "outcome": pl.String},
        orient="row",
    )
