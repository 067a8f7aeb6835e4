"""Small hand-written worlds, as code: write log-format CSVs and load them into a data directory."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path

from etl.contract import KINDS
from etl.load import load_files
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
        self.now = start or datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)

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
    return dict(message_id=mid, sent_at=at, business_id=biz, user_id=user, direction=direction,
                user_country=country, category=category, template=template, status=status, text=text)


def sign_in_apptest(at, root: Path, who):
    """Put a signed-in person into an AppTest's session, as the sign-in form would.

    The account is created in `root` (with a random password) when missing, because the session
    is checked against the account store on every run."""
    from trustdesk import auth, session

    if not any(a["name"] == who.name and a["role"] == who.role for a in auth.list_accounts(root)):
        auth.upsert_account(root, who.name, who.role, auth.random_password(), actor="test")
    bound, _ticket = auth.open_session(root, who)
    at.session_state[session.SESSION_KEY] = bound
    return bound
