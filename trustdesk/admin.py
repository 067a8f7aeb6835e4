"""What only admins may do: accounts, settings, the reference data. Every function checks the role."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, fields
from datetime import date
from pathlib import Path

from trustdesk import auth
from trustdesk.config import Settings, reference_file


def accounts(root: Path, viewer: auth.Principal) -> list[dict]:
    auth.require(viewer, "admin", "manage accounts")
    return auth.list_accounts(root)


def save_account(root: Path, viewer: auth.Principal, name: str, role: str, password: str | None,
                 email: str | None) -> str:
    auth.require(viewer, "admin", "manage accounts")
    return auth.upsert_account(root, name, role, password or None, email=email or None,
                               actor=viewer.name)


def delete_account(root: Path, viewer: auth.Principal, name: str) -> bool:
    auth.require(viewer, "admin", "manage accounts")
    if name == viewer.name:
        raise auth.AuthError("you cannot remove the account you are signed in with")
    return auth.remove_account(root, name, actor=viewer.name)


def settings(root: Path, viewer: auth.Principal) -> dict:
    auth.require(viewer, "admin", "change settings")
    return asdict(Settings.load(root))


def save_settings(root: Path, viewer: auth.Principal, values: dict) -> Settings:
    auth.require(viewer, "admin", "change settings")
    current = asdict(Settings.load(root))
    known = {f.name for f in fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    current.update(values)
    new = Settings(**current)
    if not 0 < new.quality_medium_from < new.quality_low_from < 1:
        raise ValueError("the thresholds must satisfy 0 < MEDIUM from < LOW from < 1")
    if new.quality_min_reached < 1 or new.upload_max_mb < 1 or new.load_max_mb < 1:
        raise ValueError("counts and sizes must be at least 1")
    new.save(root)
    _record(root, viewer, "settings changed", ", ".join(f"{k}={v}" for k, v in values.items()))
    return new


def rate_card_text(root: Path, viewer: auth.Principal) -> str:
    auth.require(viewer, "analyst", "read the rate card")
    return reference_file(root, "rate_card.csv").read_text(encoding="utf-8")


def check_rate_card(data: bytes) -> list[dict]:
    """Parse a replacement rate card; raise ValueError naming the line and the problem."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError("the rate card is not UTF-8 text") from exc
    reader = csv.DictReader(io.StringIO(text))
    need = ["market", "category", "price_usd", "effective_from"]
    if [c.strip().lower() for c in (reader.fieldnames or [])][:4] != need:
        raise ValueError(f"the header must be {','.join(need)}")
    rows = []
    for n, row in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if row["category"] not in ("marketing", "utility", "authentication"):
            raise ValueError(f"line {n}: category must be marketing, utility or authentication")
        try:
            price = float(row["price_usd"])
            date.fromisoformat(row["effective_from"])
        except ValueError as exc:
            raise ValueError(f"line {n}: price_usd must be a number and effective_from a YYYY-MM-DD date") from exc
        if price < 0 or not row["market"]:
            raise ValueError(f"line {n}: a market and a price >= 0 are required")
        rows.append(row)
    if not rows:
        raise ValueError("the rate card has no rows")
    return rows


def replace_rate_card(root: Path, viewer: auth.Principal, data: bytes) -> int:
    """Install a new rate card in the data directory and rebuild the marts with it."""
    from etl import store
    from etl.build import build_warehouse
    from etl.load import ensure_schema

    auth.require(viewer, "admin", "replace the rate card")
    rows = check_rate_card(data)
    tmp = root / "rate_card.csv.tmp"
    tmp.write_bytes(data)
    tmp.replace(root / "rate_card.csv")
    _record(root, viewer, "rate card replaced", f"{len(rows)} rows")
    with store.load_lock(root):
        con = store.connect_ingest(root)
        try:
            ensure_schema(con)
            build_warehouse(root, con, force=True)
        finally:
            con.close()
    return len(rows)


def _record(root: Path, viewer: auth.Principal, event: str, detail: str) -> None:
    from trustdesk import appdb

    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            auth.audit(con, event, None, viewer.name, detail)
    finally:
        con.close()
