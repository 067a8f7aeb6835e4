"""Small hand-written worlds, as code: write log-format CSVs and load them into a data directory."""

from __future__ import annotations

import csv
import subprocess
import sys
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


def build(tmp: Path, markets: str = MARKETS, rate_card: str = RATE_CARD, **kinds: list[dict]):
    """Write the reference data and each kind's rows to `<tmp>/in/<kind>.csv`, load them all into
    `<tmp>/data`."""
    root = tmp / "data"
    root.mkdir(parents=True, exist_ok=True)
    (root / "markets.csv").write_text(markets)
    (root / "rate_card.csv").write_text(rate_card)
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


def td(root: Path, *args: str, input: str | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run the `trustdesk` command on the data directory `root`, as a person at a terminal would."""
    return subprocess.run(
        [sys.executable, "-m", "trustdesk.cli", "--data-dir", str(root), *args],
        capture_output=True,
        text=True,
        input=input,
        timeout=timeout,
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


def open_page(page: str, root: Path, monkeypatch, params: dict | None = None, who=("pm", "analyst")):
    """Run a page (by its navigation name) on the data directory `root` as an AppTest, signed in as
    `who` (a name and a role; None: nobody) with `params` in its URL; the run raised nothing."""
    # Imported here, like sign_in_apptest's: every test imports this module (conftest does), and
    # only the page tests should pay for loading Streamlit and the web layer.
    from streamlit.testing.v1 import AppTest

    from trustdesk.accounts.auth import Principal
    from trustdesk.web.navigation import page_path

    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(page_path(page)), default_timeout=60)
    if who:
        sign_in_apptest(at, root, Principal(*who))
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def block(bid, at, user, biz, reason):
    return dict(block_id=bid, blocked_at=at, user_id=user, business_id=biz, reason=reason)


def report(rid, at, user, biz, reason, message_id=""):
    return dict(report_id=rid, reported_at=at, user_id=user, business_id=biz, reason=reason, message_id=message_id)


def ad(eid, at, user, country, event, cost="", campaign="c1"):
    return dict(
        event_id=eid,
        occurred_at=at,
        campaign_id=campaign,
        user_id=user,
        user_country=country,
        event=event,
        cost_usd=cost,
    )


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
    block("k1", "2026-03-02T15:00:00Z", "u5", "b2", "spam"),
    block("k2", "2026-03-02T16:00:00Z", "u2", "b1", "didnt_sign_up"),
]
REPORTS = [
    report("r1", "2026-03-02T12:30:00Z", "u2", "b1", "spam", "m6"),
    report("r2", "2026-03-03T10:00:00Z", "u5", "b2", "scam", "m9"),
    report("r3", "2026-03-03T11:00:00Z", "u9", "b1", "spam"),
]
BUSINESSES = [
    dict(business_id="b1", name="Chai & Co", category="retail", country="IN"),
    dict(business_id="b2", name="QuickLoan", category="finance", country="BR"),
]
CAMPAIGNS = [dict(campaign_id="c1", business_id="b1", name="Spring", starts_on="2026-03-01", ends_on="2026-03-03")]


AD_EVENTS = [
    ad("a1", "2026-03-01T10:00:00Z", "u1", "IN", "impression", "0.001"),
    ad("a2", "2026-03-01T11:00:00Z", "u1", "IN", "impression", "0.001"),
    ad("a3", "2026-03-02T10:00:00Z", "u1", "IN", "impression", "0.001"),
    ad("a4", "2026-03-02T10:05:00Z", "u1", "IN", "click", "0"),
    ad("a5", "2026-03-02T12:00:00Z", "u7", "BR", "impression", "0.002"),
    ad("a6", "2026-03-02T12:01:00Z", "u7", "BR", "reply", ""),
]
GOLDEN = {
    "businesses": BUSINESSES,
    "messages": MESSAGES,
    "blocks": BLOCKS,
    "reports": REPORTS,
    "ad_campaigns": CAMPAIGNS,
    "ad_events": AD_EVENTS,
}


def golden_world(tmp: Path, rate_card: str = RATE_CARD, **kinds: list[dict]) -> Path:
    """Load the golden world into `<tmp>/data`, its data directory, with `kinds` in place of the
    golden rows of those kinds. It loads whole: anything else is a broken fixture, not a result."""
    root, results = build(tmp, rate_card=rate_card, **(GOLDEN | kinds))
    assert all(r.status == "loaded" for r in results), results
    return root


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
