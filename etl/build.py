"""Build the marts (`etl/models/*.sql`) into a fresh warehouse file and publish it.

Runs inside a loader that holds the load lock and the ingest connection. Readers keep using the
previous warehouse until the pointer switches, so a build killed half-way changes nothing they see;
the next load (or `trustdesk rebuild`) builds again from the committed raw events.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Callable

import duckdb

from etl import store
from etl.contract import KIND_NAMES, MONEY_TYPE
from etl.contract import exact_money
from etl.settings import Settings, reference_file

# The marts' layout: a warehouse built with another one is rebuilt, never copied forward (2: money
# as DECIMAL instead of DOUBLE).
MARTS_VERSION = 3  # 3: platform events, Meta's billed pricing, statuses from webhooks

# (table, model file, parameters from the settings). Order matters: later models read earlier
# ones. Tables in TEMP exist only during the build.
MODELS = (
    ("message_facts", "int_message_facts", None),
    ("dim_users", "dim_users", None),
    ("dim_businesses", "dim_businesses", None),
    ("dim_campaigns", "dim_campaigns", None),
    ("business_user_day", "business_user_day", None),
    ("business_day", "business_day", None),
    ("response_day", "response_day", None),
    ("feedback_events", "feedback_events", None),
    ("trailing_users_7", "trailing_users", lambda s: {"window": 7}),
    ("quality_day", "quality_day", None),
    ("risk_window_users", "trailing_users", lambda s: {"window": s.risk_window_days}),
    ("business_activity_day", "business_activity_day", None),
    ("political_reports_day", "political_reports_day", None),
    ("ad_user_day", "ad_user_day", None),
    ("reported_messages", "reported_messages", None),
    ("rows_by_day", "rows_by_day", None),
    ("platform_events", "platform_events", None),
    ("billed_pricing", "billed_pricing", None),
)
TEMP = {"message_facts", "trailing_users_7"}
COPIED = ("loads", "quarantine")


class ReferenceError_(ValueError):
    pass


def model_sql(name: str) -> str:
    return resources.files("etl").joinpath("models").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def reference_hash(root: Path) -> str:
    h = hashlib.sha256()
    for name in ("markets.csv", "rate_card.csv"):
        h.update(reference_file(root, name).read_bytes())
    return h.hexdigest()[:16]


def _load_reference(con, root: Path) -> None:
    markets = reference_file(root, "markets.csv")
    rates = reference_file(root, "rate_card.csv")
    _check_prices(rates)
    try:
        con.execute(
            """
            CREATE TABLE wh.ref_markets AS
            SELECT upper(trim(country)) AS country, trim(market) AS market, trim(region) AS region
            FROM read_csv($path, header = true, auto_detect = false,
                          columns = {'country': 'VARCHAR', 'market': 'VARCHAR', 'region': 'VARCHAR'})
            """,
            {"path": str(markets)},
        )
        con.execute(
            f"""
            CREATE TABLE wh.ref_rate_card AS
            SELECT trim(market) AS market, lower(trim(category)) AS category,
                   CAST(trim(price_usd) AS {MONEY_TYPE}) AS price_usd,
                   CAST(effective_from AS DATE) AS effective_from
            FROM read_csv($path, header = true, auto_detect = false,
                          columns = {{'market': 'VARCHAR', 'category': 'VARCHAR',
                                     'price_usd': 'VARCHAR', 'effective_from': 'VARCHAR'}})
            """,
            {"path": str(rates)},
        )
    except duckdb.Error as exc:
        raise ReferenceError_(
            f"the reference files {markets.name} / {rates.name} could not be read: {exc}"
        ) from exc
    dup = next(iter(con.execute(
        "SELECT country FROM wh.ref_markets GROUP BY 1 HAVING count(*) > 1 LIMIT 1"
    ).fetchall()), None)
    if dup:
        raise ReferenceError_(f"{markets}: country {dup[0]} is listed twice")


def _check_prices(rates: Path) -> None:
    """A price is money: one the DECIMAL cast would round is refused, naming its line."""
    with open(rates, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        try:
            next(reader, None)  # the header
            for row in reader:
                if len(row) > 2 and row[2].strip():
                    try:
                        exact_money(row[2])
                    except ValueError as exc:
                        raise ReferenceError_(f"{rates.name} line {reader.line_num}: price_usd {exc}") from None
        except csv.Error:
            return  # not CSV: reading it below says so


def _copy_ops(con) -> None:
    for t in COPIED:
        con.execute(f"DROP TABLE IF EXISTS wh.{t}")
        con.execute(f"CREATE TABLE wh.{t} AS SELECT * FROM ingest.main.{t}")


def _meta(con, root: Path, version: int, ref: str) -> dict:
    rows = {
        kind: con.execute(f"SELECT count(*) FROM ingest.main.raw_{kind}").fetchall()[0][0]
        for kind in KIND_NAMES
    }
    rng = con.execute("SELECT min(day), max(day) FROM wh.rows_by_day").fetchall()[0]
    meta = {
        "version": version,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "reference": ref,
        "rows": rows,
        "loads": con.execute("SELECT count(*) FROM wh.loads").fetchall()[0][0],
        "quarantined": con.execute("SELECT count(*) FROM wh.quarantine").fetchall()[0][0],
        "first_day": rng[0].isoformat() if rng[0] else None,
        "last_day": rng[1].isoformat() if rng[1] else None,
    }
    con.execute("DROP TABLE IF EXISTS wh.meta")
    con.execute("CREATE TABLE wh.meta (key VARCHAR, value VARCHAR)")
    for k, v in meta.items():
        con.execute("INSERT INTO wh.meta VALUES (?, ?)", [k, str(v)])
    return meta


def build_warehouse(root: Path, con: duckdb.DuckDBPyConnection, settings: Settings | None = None,
                    force: bool = False, progress: Callable[[str, float], None] | None = None) -> dict:
    """Caller holds the load lock and `con` is the ingest connection."""


    report = progress or (lambda s, x: None)
    version = store.store_version(con)
    ref = reference_hash(root)
    previous = store.read_pointer(root)
    target = store.new_warehouse_path(root)
    reuse = (
        not force
        and previous is not None
        and previous.get("store_version") == version
        and previous.get("reference") == ref
        and previous.get("marts") == MARTS_VERSION
        and (root / previous["file"]).exists()
    )
    if reuse:
        # The events did not change (a re-load of known rows, a rejected file): only the load
        # history and quarantine are new, so copy the last warehouse instead of rebuilding it.
        shutil.copyfile(root / previous["file"], target)
    con.execute("ATTACH ? AS wh", [str(target)])
    try:
        if not reuse:
            _load_reference(con, root)
            con.execute("SET search_path = 'wh.main,ingest.main'")
            settings = settings or Settings.load(root)
            for i, (table, model, params) in enumerate(MODELS):
                report(f"building {table}", i / len(MODELS))
                args = params(settings) if params else {}
                into = f"TEMP TABLE {table}" if table in TEMP else f"TABLE wh.main.{table}"
                sql = model_sql(model)
                if model == "trailing_users" and args["window"] == 7 and table != "trailing_users_7":
                    sql, args = "SELECT * FROM trailing_users_7", {}  # the same window: built already
                con.execute(f"CREATE OR REPLACE {into} AS {sql}", args)
            con.execute("SET search_path = 'ingest.main'")
            for t in TEMP:
                con.execute(f"DROP TABLE IF EXISTS temp.main.{t}")
        _copy_ops(con)
        meta = _meta(con, root, (previous or {}).get("version", 0) + 1, ref)
        meta["store_version"] = version
        meta["marts"] = MARTS_VERSION
        con.execute("CHECKPOINT wh")
    finally:
        con.execute("USE ingest")
        con.execute("SET search_path = 'ingest.main'")
        con.execute("DETACH wh")
    report("publishing", 1.0)
    store.publish_warehouse(root, target, meta)
    return meta
