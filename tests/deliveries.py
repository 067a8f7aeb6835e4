"""The data directory's side of the outbox tests: settings, rows put in as cases.py does, rows read
back, and a data directory configured to deliver to a test receiver (tests/receiver.py)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl

from etl.settings import Settings
from trustdesk import appdb
from trustdesk.accounts.auth import Principal, utcnow
from trustdesk.moderation import outbox
from trustdesk.moderation.cases import Store

AS_OF = date(2026, 10, 1)
SETUP = Principal("setup", "admin")


def tune(root: Path, **values) -> None:
    """Change settings of the data directory, as the Settings page does."""
    settings = Settings.load(root)
    for name, value in values.items():
        setattr(settings, name, value)
    settings.save(root)


def configured(root: Path, receiver, secret: str, **settings) -> Path:
    """`root` delivering to `receiver` (its certificate authority trusted) with `secret`."""
    tune(root, outbox_ca_file=str(receiver.ca_file), **settings)
    outbox.configure(root, SETUP, receiver.url, secret)
    Store(root).close()  # the moderation tables (the audit log) exist, as in any data directory with decisions
    return root


def put(root: Path, n: int = 1, at: datetime | None = None, first: int = 1) -> list[str]:
    """Enqueue n decisions as cases.py does, in one transaction; their keys."""
    at_text = (at or utcnow()).isoformat(timespec="seconds")
    con = appdb.connect(root)
    keys = []
    try:
        with appdb.transaction(con):
            for i in range(first, first + n):
                key = f"decision-{i}"
                payload = {"event": "decision", "decision_id": i, "case_id": i, "business_id": f"b{i}"}
                payload |= {"action": "warn", "policy": "spam", "rationale": "Ünïcode — kept as is"}
                outbox.enqueue(con, key, "decision", payload | {"decided_at": at_text}, at_text)
                keys.append(key)
    finally:
        con.close()
    return keys


def rows(root: Path) -> dict[str, dict]:
    """Every outbox row by key, in the order written."""
    con = appdb.connect(root)
    try:
        return {r["key"]: dict(r) for r in con.execute("SELECT * FROM outbox ORDER BY id")}
    finally:
        con.close()


def open_cases(store: Store, who: Principal, n: int) -> list[int]:
    """Open n cases (businesses biz000...) in the general queue; their ids."""
    flagged = pl.DataFrame(
        {
            "business_id": [f"biz{i:03d}" for i in range(n)],
            "risk_score": [50.0] * n,
            "reasons": ["block rate"] * n,
            "first_flagged": [AS_OF] * n,
        }
    )
    store.sync(who, flagged, AS_OF)
    return [c["id"] for c in store.cases(("open",))]
