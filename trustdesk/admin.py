"""What only admins may do: accounts, settings, the reference data. Every function checks the role.

The pages show what these return as people read it: "Password: yes", "Locked until 14:05 UTC",
timestamps as datetimes (the page gives them one format), thresholds in percent, the rate card as a
table; each setting with its documentation from docs/SETTINGS.md.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, fields
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import polars as pl

from etl.contract import exact_money
from etl.settings import Settings, reference_file
from trustdesk import appdb
from trustdesk.accounts import auth
from trustdesk.data.maintenance import rebuild_marts
from trustdesk.site import site_root

# DuckDB's memory_limit: a number and a unit (it also takes KiB, MiB, GiB, TiB).
MEMORY_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)
MEMORY_UNITS = {
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}
MIN_MEMORY_BYTES = 16 * 10**6  # below this DuckDB cannot hold a loader's buffers


def accounts(root: Path, viewer: auth.Principal) -> list[dict]:
    auth.require(viewer, "admin", "manage accounts")
    return auth.list_accounts(root)


ACCOUNT_SCHEMA = {
    "name": pl.String,
    "role": pl.String,
    "email": pl.String,
    "password": pl.String,
    "locked": pl.String,
    "failed_sign_ins": pl.Int64,
    "created_at": pl.Datetime("us", "UTC"),
    "updated_at": pl.Datetime("us", "UTC"),
}


def _moment(value) -> datetime | None:
    """A stored ISO timestamp as an aware UTC datetime (None when empty or unreadable)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def locked_words(locked_until, now: datetime) -> str:
    """ "Locked until 14:05 UTC" (with the day when it is not today), or "" when not locked."""
    until = _moment(locked_until)
    if until is None or until <= now:
        return ""
    if until.year >= 9999:  # locked with no end
        return "Locked until an admin unlocks it"
    when = f"{until:%H:%M}" if until.date() == now.date() else f"{until:%d %b %Y %H:%M}"
    return f"Locked until {when} UTC"


def accounts_table(root: Path, viewer: auth.Principal, now: datetime | None = None) -> pl.DataFrame:
    """One row per account, as the Accounts page shows it: password yes/no, the lock in words,
    timestamps as datetimes."""
    now = now or auth.utcnow()
    rows = [
        {
            "name": a["name"],
            "role": a["role"],
            "email": a.get("email"),
            "password": "yes" if a.get("has_password") else "no",
            "locked": locked_words(a.get("locked_until"), now),
            "failed_sign_ins": int(a.get("failed_count") or 0),
            "created_at": _moment(a.get("created_at")),
            "updated_at": _moment(a.get("updated_at")),
        }
        for a in accounts(root, viewer)
    ]
    return pl.DataFrame(rows, schema=ACCOUNT_SCHEMA)


def sign_in_log(root: Path, viewer: auth.Principal, limit: int = 500) -> pl.DataFrame:
    """The sign-in audit log, newest first, with its times as datetimes."""
    rows = auth.audit_log(root, viewer, limit=limit)
    schema = {
        "id": pl.Int64,
        "at": pl.Datetime("us", "UTC"),
        "actor": pl.String,
        "account": pl.String,
        "event": pl.String,
        "detail": pl.String,
    }
    return pl.DataFrame([{**{k: r.get(k) for k in schema}, "at": _moment(r.get("at"))} for r in rows], schema=schema)


def save_account(
    root: Path, viewer: auth.Principal, name: str, role: str, password: str | None, email: str | None
) -> str:
    auth.require(viewer, "admin", "manage accounts")
    return auth.upsert_account(root, name, role, password or None, email=email or None, actor=viewer.name)


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
    if new.webhook_fold_seconds < 0:
        raise ValueError("the webhook fold interval is a number of seconds, 0 or more")
    if new.quality_min_reached < 1 or new.upload_max_mb < 1 or new.load_max_mb < 1:
        raise ValueError("counts and sizes must be at least 1")
    if min(new.claim_target_hours, new.decision_target_hours, new.appeal_target_hours) <= 0:
        raise ValueError("the service targets must be more than 0 hours")
    if new.strike_days < 1 or new.outbox_max_attempts < 1 or new.outbox_backoff_seconds <= 0:
        raise ValueError("strike days and delivery attempts must be at least 1, the retry wait more than 0")
    new.duckdb_memory_limit = memory_limit(new.duckdb_memory_limit)
    new.save(root)
    _record(root, viewer, "settings changed", ", ".join(f"{k}={v}" for k, v in values.items()))
    return new


def memory_limit(value: str) -> str:
    """A DuckDB memory limit as typed ("4GB", "512 MiB"), checked and written without spaces;
    ValueError with the sentence otherwise."""
    match = MEMORY_LIMIT.match(value or "")
    if not match:
        raise ValueError("the DuckDB memory limit must be a number and a unit, such as 4GB, 512MB or 2GiB")
    number, unit = match.groups()
    if float(number) * MEMORY_UNITS[unit.upper()] < MIN_MEMORY_BYTES:
        raise ValueError("the DuckDB memory limit must be at least 16MB")
    canonical = {"KIB": "KiB", "MIB": "MiB", "GIB": "GiB", "TIB": "TiB"}.get(unit.upper(), unit.upper())
    return f"{number}{canonical}"


SETTINGS_DOC = site_root() / "docs" / "SETTINGS.md"


@cache
def setting_help() -> dict[str, str]:
    """Each setting's meaning and default, from the table in docs/SETTINGS.md (one text for the
    documentation and the Settings page); empty where the file is not shipped."""
    try:
        text = SETTINGS_DOC.read_text(encoding="utf-8")
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"`[a-z_]+`", cells[0]):
            name, default, meaning = cells[0].strip("`"), cells[1], " | ".join(cells[2:])
            if name in PERCENT_SETTINGS:
                default = f"{float(default):.1%}"
            out[name] = f"{meaning[:1].upper()}{meaning[1:].rstrip('.')}. Default {default}; setting `{name}`."
    return out


# Fractions the pages show in percent, as every other page shows rates.
PERCENT_SETTINGS = ("quality_medium_from", "quality_low_from")


def rate_card(root: Path, viewer: auth.Principal) -> pl.DataFrame:
    """The rate card in force (the data directory's, else the shipped one): market, category,
    price_usd, effective_from, and `current` (the latest price of its market and category)."""
    auth.require(viewer, "analyst", "read the rate card")
    rows = check_rate_card(reference_file(root, "rate_card.csv").read_bytes())
    table = pl.DataFrame(
        [
            {
                "market": r["market"],
                "category": r["category"],
                "price_usd": float(r["price_usd"]),
                "effective_from": date.fromisoformat(r["effective_from"]),
            }
            for r in rows
        ],
        schema={"market": pl.String, "category": pl.String, "price_usd": pl.Float64, "effective_from": pl.Date},
    )
    latest = pl.col("effective_from") == pl.col("effective_from").max().over("market", "category")
    return table.with_columns(latest.alias("current")).sort("market", "category", "effective_from")


def filter_rate_card(
    card: pl.DataFrame, market: str | None = None, category: str | None = None, history: bool = False
) -> pl.DataFrame:
    """The rate card's rows for one market and category (None: all), only the latest price of
    each unless `history`."""
    rows = card if history else card.filter(pl.col("current"))
    if market is not None:
        rows = rows.filter(pl.col("market") == market)
    if category is not None:
        rows = rows.filter(pl.col("category") == category)
    return rows


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
            price = exact_money(row["price_usd"])
        except ValueError as exc:
            raise ValueError(f"line {n}: price_usd {exc}") from None
        try:
            date.fromisoformat(row["effective_from"])
        except ValueError as exc:
            raise ValueError(f"line {n}: effective_from must be a YYYY-MM-DD date") from exc
        if price < 0 or not row["market"]:
            raise ValueError(f"line {n}: a market and a price >= 0 are required")
        rows.append(row)
    if not rows:
        raise ValueError("the rate card has no rows")
    return rows


def replace_rate_card(root: Path, viewer: auth.Principal, data: bytes) -> int:
    """Install a new rate card in the data directory and rebuild the marts with it."""
    auth.require(viewer, "admin", "replace the rate card")
    rows = check_rate_card(data)
    tmp = root / "rate_card.csv.tmp"
    tmp.write_bytes(data)
    tmp.replace(root / "rate_card.csv")
    _record(root, viewer, "rate card replaced", f"{len(rows)} rows")
    rebuild_marts(root)
    return len(rows)


def _record(root: Path, viewer: auth.Principal, event: str, detail: str) -> None:
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            auth.audit(con, event, None, viewer.name, detail)
    finally:
        con.close()
