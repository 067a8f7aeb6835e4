"""Small hand-written worlds, as code: write log-format CSVs and load them into a data directory."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from etl.contract import KINDS
from etl.ingest.load import load_files
from etl.synth import generate_world
from trustdesk.warehouse import open_current

MARKETS = """country,market,region
IN,India,Asia Pacific
BR,Brazil,Latin America
US,North America,North America
"""

RATE_CARD = """market,category,price_usd,effective_from
India,marketing,0.01,2026-01-01
India,marketing,0.02,2026-03-02
India,utility,0.001,2026-01-01
India,authentication,0.002,2026-01-01
Brazil,marketing,0.06,2026-01-01
Brazil,utility,0.008,2026-01-01
"""


class Clock:
    """A clock for code that takes `clock=`: starts at a fixed instant and moves only when told."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


def write_kind(path: Path, kind: str, rows: list[dict], columns: list[str] | None = None) -> Path:
    columns = columns or list(KINDS[kind].names)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def build(tmp: Path, reference: bool = True, **kinds: list[dict]):
    """Write each kind's rows to `<tmp>/in/<kind>.csv`, load them all into `<tmp>/data`."""
    root = tmp / "data"
    root.mkdir(parents=True, exist_ok=True)
    if reference:
        (root / "markets.csv").write_text(MARKETS)
        (root / "rate_card.csv").write_text(RATE_CARD)
    src = tmp / "in"
    src.mkdir(exist_ok=True)
    files = [write_kind(src / f"{kind}.csv", kind, rows) for kind, rows in kinds.items()]
    results = load_files(root, files, user="test")
    return root, results


def warehouse(root: Path):
    return open_current(root)


def msg(mid, at, biz, user, direction, country, category="", template="", status="", text=""):
    return dict(
        message_id=mid,
        sent_at=at,
        business_id=biz,
        user_id=user,
        direction=direction,
        user_country=country,
        category=category,
        template=template,
        status=status,
        text=text,
    )


def sign_in_apptest(at, root: Path, who):
    """Put a signed-in person into an AppTest's session, as the sign-in form would.

    The account is created in `root` (with a random password) when missing, because the session
    is checked against the account store on every run."""
    from trustdesk.accounts import auth
    from trustdesk.web import session

    if not any(a["name"] == who.name and a["role"] == who.role for a in auth.list_accounts(root)):
        auth.upsert_account(root, who.name, who.role, auth.random_password(), actor="test")
    bound, _ticket = auth.open_session(root, who)
    at.session_state[session.SESSION_KEY] = bound
    return bound


# The golden world: a few hand-written rows per kind whose metrics are worked out by hand in
# tests/analytics/test_metrics.py.
MESSAGES = [
    msg("m1", "2026-03-01T10:00:00Z", "b1", "u1", "inbound", "IN"),
    # 1 s before the window closes: inside the CSW, so this utility template is free
    msg("m2", "2026-03-02T09:59:59Z", "b1", "u1", "outbound", "IN", "utility", "tpl_a", "delivered"),
    # exactly 24 h after the user's message: outside the CSW, billable
    msg("m3", "2026-03-02T10:00:00Z", "b1", "u1", "outbound", "IN", "utility", "tpl_a", "read"),
    # free-form exactly at 24 h: outside the CSW (a policy signal), service: never billed
    msg("m4", "2026-03-02 15:30:00+05:30", "b1", "u1", "outbound", "IN", "service", "", "delivered"),
    # u2 never wrote to b1: cold marketing; the India marketing price changes on 2026-03-02
    msg("m5", "2026-03-01T12:00:00Z", "b1", "u2", "outbound", "IN", "marketing", "promo", "delivered"),
    msg("m6", "2026-03-02T12:00:00Z", "b1", "u2", "outbound", "in", "marketing", "promo", "read"),
    msg("m7", "2026-03-02T13:00:00Z", "b1", "u3", "outbound", "IN", "marketing", "promo", "failed"),
    # u5 changes country: IN on 03-01, BR (latest) on 03-03
    msg("m8", "1772352000", "b2", "u5", "outbound", "IN", "marketing", "promo2", "delivered"),
    msg("m9", "2026-03-03T08:00:00Z", "b2", "u5", "outbound", "BR", "marketing", "promo2", "delivered"),
    msg("m10", "2026-03-03T09:00:00Z", "b2", "u6", "outbound", "BR", "authentication", "otp", "delivered"),
    msg("m11", "2026-03-01T09:00:00Z", "b1", "u4", "inbound", "US"),
]
BLOCKS = [
    dict(block_id="k1", blocked_at="2026-03-02T15:00:00Z", user_id="u5", business_id="b2", reason="spam"),
    dict(block_id="k2", blocked_at="2026-03-02T16:00:00Z", user_id="u2", business_id="b1", reason="didnt_sign_up"),
]
REPORTS = [
    dict(
        report_id="r1",
        reported_at="2026-03-02T12:30:00Z",
        user_id="u2",
        business_id="b1",
        reason="spam",
        message_id="m6",
    ),
    dict(
        report_id="r2",
        reported_at="2026-03-03T10:00:00Z",
        user_id="u5",
        business_id="b2",
        reason="scam",
        message_id="m9",
    ),
    dict(report_id="r3", reported_at="2026-03-03T11:00:00Z", user_id="u9", business_id="b1", reason="spam"),
]
BUSINESSES = [
    dict(business_id="b1", name="Chai & Co", category="retail", country="IN"),
    dict(business_id="b2", name="QuickLoan", category="finance", country="BR"),
]
CAMPAIGNS = [dict(campaign_id="c1", business_id="b1", name="Spring", starts_on="2026-03-01", ends_on="2026-03-03")]


def ad(eid, at, user, country, event, cost=""):
    return dict(
        event_id=eid, occurred_at=at, campaign_id="c1", user_id=user, user_country=country, event=event, cost_usd=cost
    )


AD_EVENTS = [
    ad("a1", "2026-03-01T10:00:00Z", "u1", "IN", "impression", "0.001"),
    ad("a2", "2026-03-01T11:00:00Z", "u1", "IN", "impression", "0.001"),
    ad("a3", "2026-03-02T10:00:00Z", "u1", "IN", "impression", "0.001"),
    ad("a4", "2026-03-02T10:05:00Z", "u1", "IN", "click", "0"),
    ad("a5", "2026-03-02T12:00:00Z", "u7", "BR", "impression", "0.002"),
    ad("a6", "2026-03-02T12:01:00Z", "u7", "BR", "reply", ""),
]


def log_files(logs: Path) -> list[Path]:
    """The log files of a generated world: every CSV but truth.csv, its answer key."""
    return sorted(p for p in logs.glob("*.csv") if p.name != "truth.csv")


def synthetic(base: Path, *, user: str = "test", **world) -> Path:
    """Generate a world (`etl.synth.generate_world(**world)`) into `<base>/w`, logs and truth.csv, and
    load it into the data directory `<base>/data`; `base`. A generated world loads whole: anything
    else is a broken fixture, not a result."""
    generate_world(base / "w", **world)
    results = load_files(base / "data", log_files(base / "w"), user=user)
    assert all(r.status == "loaded" for r in results), results
    return base
