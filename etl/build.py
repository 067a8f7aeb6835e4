"""Build the models (`etl/models`) into a fresh warehouse file, audit it, and publish it.

Runs inside a loader that holds the load lock and the ingest connection. Readers keep using the
previous warehouse until the pointer switches, so a build killed half-way, or one an audit refuses,
changes nothing they see; the next load (or `trustdesk rebuild`) builds again from the committed
raw events.

The models say everything the build needs; there is no list here:

- `staging/stg_<kind>.sql` read one raw table each (rename and cast only), `intermediate/int_*.sql`
  hold shared logic, `marts/*.sql` are the tables the read side queries, named by grain. A model's
  table is its file's name.
- The build order comes from the tables each model's SQL reads (parsed with sqlglot): a model runs
  after every model it reads. Raw tables are read by staging models only; `ref_*` (the reference
  files) by any model.
- Header lines in a model's leading comment:
  `-- materialized: table | temp table | temp view` (default by folder: staging temp view,
  intermediate temp table, marts table; temp ones exist only during the build),
  `-- params: name = 7, other = settings.field` (bound as $name),
  `-- template: name` (the SQL is `templates/<name>.sql`, for one query built with different
  parameters into several tables), `-- unique: col, col` (the grain's key, audited).
- `audits/*.sql` return bad rows; any row stops the publish. `macros/*.sql` are created in the
  warehouse, for the read side.
"""

from __future__ import annotations

import csv
import graphlib
import hashlib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from etl import lake, store
from etl.contract import KIND_NAMES, LOAD_KINDS, MONEY_TYPE, exact_money
from etl.settings import Settings, reference_file

# The marts' layout: a warehouse built with another one is rebuilt, never copied forward (2: money
# as DECIMAL instead of DOUBLE; 3: platform events, Meta's billed pricing, statuses from webhooks;
# 4: revenue_usd, business_category, the quality_rating macro).
MARTS_VERSION = 4

MODELS_DIR = Path(__file__).with_name("models")
LAYERS = {"staging": "temp view", "intermediate": "temp table", "marts": "table"}
MATERIALIZED = {"table": "TABLE wh.main.{}", "temp table": "TEMP TABLE {}", "temp view": "TEMP VIEW {}"}
HEADER = re.compile(r"^--\s*(materialized|params|template|unique|incremental):\s*(.*?)\s*$")
# `-- incremental:` says which rows of a model a load can change, so that an incremental build
# recomputes only those (see `_run_incremental`); a model without it is rebuilt whole every time.
INCREMENTAL = re.compile(r"^(by ([a-z_][a-z0-9_]*)|same day|trailing (\d+|\$[a-z_]+) days)$")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
RAW_TABLES = frozenset(f"raw_{kind}" for kind in KIND_NAMES)
SOURCES = RAW_TABLES | {"ref_markets", "ref_rate_card"}
COPIED = ("loads", "quarantine")


class BuildError(ValueError):
    """A model, template or audit the build cannot use, said in one sentence."""


class AuditFailed(BuildError):
    pass


@dataclass(frozen=True)
class Model:
    name: str
    path: str  # relative to etl/models, for messages
    sql: str
    materialized: str
    params: tuple[tuple[str, str], ...]
    unique: tuple[str, ...]
    reads: frozenset[str]
    incremental: str | None = None  # "by", "same day" or "trailing"
    trailing: str | None = None  # the window of "trailing": a number of days or $param
    key: str | None = None  # "by": the column naming the input rows to read (etl/models/scopes/<name>.sql)
    scope: str | None = None  # "by": which keys to read and which rows to replace (`keep`)

    def window(self, settings: Settings) -> int:
        """A trailing model's window in days: a row of day D reads its inputs' days [D - window + 1, D]."""
        spec = self.trailing or "1"
        return int(self.args(settings)[spec[1:]]) if spec.startswith("$") else int(spec)

    def args(self, settings: Settings) -> dict:
        values = {}
        for key, spec in self.params:
            if spec.startswith("settings."):
                field = spec.removeprefix("settings.")
                if not hasattr(settings, field):
                    raise BuildError(f"etl/models/{self.path}: params {key} = {spec} names no setting")
                values[key] = getattr(settings, field)
            else:
                values[key] = int(spec) if spec.lstrip("-").isdigit() else float(spec)
        return values


@dataclass(frozen=True)
class Audit:
    name: str
    path: str
    sql: str
    # `-- incremental: changed rows`: each bad row is one mart row judged alone (or against a
    # dimension), so an incremental build may run it over the rows it changed: the others passed
    # before. Without it, an audit reads whole tables every build.
    rows: bool = False
    keys: tuple[str, ...] = ()  # a unique-key audit of this model's `unique:` columns
    model: str = ""


@dataclass(frozen=True)
class Project:
    order: tuple[Model, ...]  # dependencies first
    audits: tuple[Audit, ...]
    macros: tuple[str, ...]


def _headers(path: str, text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        m = HEADER.match(line)
        if m:
            if m[1] in found:
                raise BuildError(f"etl/models/{path} declares `{m[1]}:` twice")
            found[m[1]] = m[2]
    return found


def _parse(path: str, sql: str) -> exp.Expression:
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise BuildError(f"etl/models/{path} is not DuckDB SQL sqlglot can read: {str(exc).splitlines()[0]}") from None
    if tree is None:
        raise BuildError(f"etl/models/{path} has no query")
    return tree


def tables_read(path: str, sql: str) -> tuple[frozenset[str], frozenset[str]]:
    """The tables a query reads (its own CTEs left out) and the $parameters it uses."""
    tree = _parse(path, sql)
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    tables = {t.name for t in tree.find_all(exp.Table) if isinstance(t.this, exp.Identifier)}
    params = {p.name for p in tree.find_all(exp.Placeholder, exp.Parameter) if p.name}
    return frozenset(tables - ctes), frozenset(params)


def _names(path: str, key: str, text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    bad = next((n for n in names if not IDENTIFIER.match(n)), None)
    if bad or not names:
        raise BuildError(f"etl/models/{path}: `{key}: {text}` must list column names")
    return names


def _params(path: str, text: str) -> tuple[tuple[str, str], ...]:
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = (x.strip() for x in part.partition("="))
        if not IDENTIFIER.match(key) or not re.match(r"^(-?\d+(\.\d+)?|settings\.[a-z_][a-z0-9_]*)$", value):
            raise BuildError(f"etl/models/{path}: params `{part}` must be name = a number or name = settings.field")
        out.append((key, value))
    return tuple(out)


def _model(models_dir: Path, file: Path) -> Model:
    path = file.relative_to(models_dir).as_posix()
    text = file.read_text(encoding="utf-8")
    head = _headers(path, text)
    sql = text
    if "template" in head:
        template = models_dir / "templates" / f"{head['template']}.sql"
        if not template.is_file():
            raise BuildError(f"etl/models/{path} names template {head['template']}, which etl/models/templates lacks")
        sql = template.read_text(encoding="utf-8")
    materialized = head.get("materialized", LAYERS[file.relative_to(models_dir).parts[0]])
    if materialized not in MATERIALIZED:
        raise BuildError(f"etl/models/{path}: materialized must be one of {', '.join(MATERIALIZED)}")
    params = _params(path, head.get("params", ""))
    reads, used = tables_read(path, sql)
    declared = {k for k, _ in params}
    if used != declared:
        raise BuildError(
            f"etl/models/{path} uses ${', $'.join(sorted(used)) or ' nothing'} "
            f"but declares params {', '.join(sorted(declared)) or 'none'}"
        )
    unique = _names(path, "unique", head["unique"]) if "unique" in head else ()
    incremental = trailing = key = scope = None
    if "incremental" in head:
        m = INCREMENTAL.match(head["incremental"])
        if not m:
            raise BuildError(
                f"etl/models/{path}: `incremental: {head['incremental']}` must be `by COLUMN`, "
                "`same day` or `trailing N days` (N a number or a $param)"
            )
        if materialized != "table" or not unique:
            raise BuildError(
                f"etl/models/{path}: an incremental model must be `materialized: table` (kept for the next build) "
                "and name its key in `unique:` (which rows a changed row replaces)"
            )
        incremental = "by" if m[2] else m[1] if m[1] == "same day" else "trailing"
        key, trailing = m[2], m[3]
        if trailing and trailing.startswith("$") and trailing[1:] not in declared:
            raise BuildError(f"etl/models/{path}: `incremental: {head['incremental']}` names no declared param")
        if key:
            scope_file = models_dir / "scopes" / f"{file.stem}.sql"
            if not scope_file.is_file():
                raise BuildError(
                    f"etl/models/{path} is incremental by {key} but etl/models/scopes/{file.stem}.sql, which says "
                    "which rows a load touches, is missing"
                )
            scope = scope_file.read_text(encoding="utf-8")
            if tables_read(f"scopes/{file.stem}.sql", scope)[1] - {"since"}:
                raise BuildError(f"etl/models/scopes/{file.stem}.sql may use only $since (the last load built before)")
    return Model(file.stem, path, sql, materialized, params, unique, reads, incremental, trailing, key, scope)


def _check_reads(path: str, reads: frozenset[str], models: dict[str, Model], staging: bool) -> None:
    for table in sorted(reads):
        if table not in models and table not in SOURCES:
            raise BuildError(f"etl/models/{path} reads {table}, which is neither a model nor a source table")
        if table in RAW_TABLES and not staging:
            raise BuildError(f"etl/models/{path} reads {table}; only a staging model may read a raw table")


def _unique_sql(table: str, keys: tuple[str, ...], where: str = "") -> str:
    """The rows of `table` whose `keys` repeat (a unique-key audit), among those `where` keeps."""
    cols = ", ".join(keys)
    return f"select {cols}, count(*) as copies from {table} as m {where} group by {cols} having count(*) > 1"


def _same_key(keys: tuple[str, ...], a: str, b: str) -> str:
    return " AND ".join(f"{a}.{k} IS NOT DISTINCT FROM {b}.{k}" for k in keys)


def load_project(models_dir: Path = MODELS_DIR) -> Project:
    """Every model, audit and macro under `models_dir`, models in an order that respects their reads."""
    models: dict[str, Model] = {}
    for layer in LAYERS:
        for file in sorted((models_dir / layer).rglob("*.sql")):
            model = _model(models_dir, file)
            if model.name in models or model.name in SOURCES:
                other = models[model.name].path if model.name in models else "a source table"
                raise BuildError(f"etl/models/{model.path} and {other} both build {model.name}")
            models[model.name] = model
    for model in models.values():
        _check_reads(model.path, model.reads, models, model.path.startswith("staging/"))
    graph = graphlib.TopologicalSorter()
    for name in sorted(models):
        graph.add(name, *sorted(models[name].reads & models.keys()))
    try:
        order = tuple(models[n] for n in graph.static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        raise BuildError(f"the models read each other in a cycle: {' -> '.join(cycle)}") from None
    audits = []
    for file in sorted((models_dir / "audits").glob("*.sql")):
        path = file.relative_to(models_dir).as_posix()
        sql = file.read_text(encoding="utf-8")
        _check_reads(path, tables_read(path, sql)[0], models, staging=False)
        head = _headers(path, sql).get("incremental")
        if head not in (None, "changed rows"):
            raise BuildError(f"etl/models/{path}: an audit's `incremental:` can only be `changed rows`")
        audits.append(Audit(file.stem, path, sql, rows=head is not None))
    for model in order:
        if model.unique:
            audits.append(
                Audit(
                    f"unique_{model.name}",
                    model.path,
                    _unique_sql(model.name, model.unique),
                    keys=model.unique,
                    model=model.name,
                )
            )
    macros = tuple(f.read_text(encoding="utf-8") for f in sorted((models_dir / "macros").glob("*.sql")))
    return Project(order, tuple(audits), macros)


class ReferenceError_(ValueError):
    pass


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
            CREATE OR REPLACE TABLE wh.ref_markets AS
            SELECT upper(trim(country)) AS country, trim(market) AS market, trim(region) AS region
            FROM read_csv($path, header = true, auto_detect = false,
                          columns = {'country': 'VARCHAR', 'market': 'VARCHAR', 'region': 'VARCHAR'})
            """,
            {"path": str(markets)},
        )
        con.execute(
            f"""
            CREATE OR REPLACE TABLE wh.ref_rate_card AS
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
        raise ReferenceError_(f"the reference files {markets.name} / {rates.name} could not be read: {exc}") from exc
    dup = next(
        iter(con.execute("SELECT country FROM wh.ref_markets GROUP BY 1 HAVING count(*) > 1 LIMIT 1").fetchall()), None
    )
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
    rows = {kind: con.execute(f"SELECT count(*) FROM ingest.main.raw_{kind}").fetchall()[0][0] for kind in KIND_NAMES}
    rng = con.execute("SELECT min(day), max(day) FROM wh.rows_by_day").fetchall()[0]
    meta = {
        "version": version,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
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


# An engine builds every model of `project` into the attached warehouse `wh` (the marts as tables
# wh.main.<name>); the build then audits, adds the macros and the load history, and publishes, the same
# whatever the engine. DuckDB's is below; etl/spark.py has Apache Spark's.
Engine = Callable[[duckdb.DuckDBPyConnection, Path, Project, Settings, Callable[[str, float], None]], None]


def run_models_duckdb(
    con, root: Path, project: Project, settings: Settings, report: Callable[[str, float], None]
) -> None:
    con.execute("SET search_path = 'wh.main,ingest.main'")
    _run_models(con, project, settings, report)


def _run_models(con, project: Project, settings: Settings, report: Callable[[str, float], None]) -> None:
    built: dict[tuple, str] = {}
    for i, model in enumerate(project.order):
        report(f"building {model.name}", i / len(project.order))
        args = model.args(settings)
        sql = model.sql
        same = built.setdefault((sql, tuple(sorted(args.items()))), model.name)
        if same != model.name:
            sql, args = f"select * from {same}", {}  # one template, the same parameters: built already
        into = MATERIALIZED[model.materialized].format(model.name)
        try:
            con.execute(f"CREATE OR REPLACE {into} AS {sql}", args)
        except duckdb.OutOfMemoryException:
            raise  # the loader says which setting to raise
        except duckdb.Error as exc:
            raise BuildError(f"etl/models/{model.path} failed to build: {str(exc).splitlines()[0]}") from exc


# ---------------------------------------------------------------- incremental builds
#
# An incremental build starts from a copy of the published warehouse and recomputes only the rows
# the new loads (rows with load_id above the warehouse's `through_load`) can change:
#
# - `by COLUMN` (int_message_facts by message_id): etl/models/scopes/<model>.sql lists the input rows
#   (by that column) a recompute must read after the new loads, and which of the model's rows it
#   replaces (`keep`): for a message, its pair's rows from 24 h before its first changed message.
# - `same day`: a row of (day, business) depends only on input rows of the same day and business.
# - `trailing N days`: a row of (day, business) depends on its business's input rows of days
#   [day - N + 1, day]; a changed day changes the N days from it, and new last days add rows.
# - no header: rebuilt whole. When an incremental model reads it, it is compared with its previous
#   rows to learn which (day, business) cells, or which businesses, changed.
#
# What changed is kept in temporary tables: td_cells (day, business_id) and td_businesses (every day
# of these). They start from the new raw rows and grow with each model's actual changes,
# so a model sees the changes of everything it reads (models run after what they read). The inputs
# an incremental model reads are shadowed by temporary views holding only the rows that matter, the
# model runs unchanged over them, and its rows in the changed region are replaced. The equality
# with a full build is tested table for table (tests/etl/test_incremental.py).

CHANGED = "td_changed_{}"  # the rows an incremental model inserted, which its audits read
CELLS = "(day, business_id) IN (SELECT day, business_id FROM td_cells)"
BUSINESSES = "business_id IN (SELECT business_id FROM td_businesses)"


def _columns(con, name: str) -> frozenset[str]:
    return frozenset(d[0] for d in con.execute(f"SELECT * FROM {name} LIMIT 0").description)


def _seed_changes(con, since: int) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE td_cells (day DATE, business_id VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE td_businesses (business_id VARCHAR)")
    for name, kind in LOAD_KINDS.items():
        if kind.time_column and "business_id" in kind.names:
            con.execute(
                f"INSERT INTO td_cells SELECT DISTINCT CAST({kind.time_column} AS DATE), business_id "
                f"FROM ingest.main.raw_{name} WHERE load_id > $since",
                {"since": since},
            )


def _add_changes(con, cols: frozenset[str], diff: str, read_by_incremental: bool = True) -> None:
    """Record the (day, business) cells, or the businesses, of the rows `diff` (a query of the rows
    that differ between a model's previous and new rows, with columns `cols`)."""
    if {"day", "business_id"} <= cols:
        con.execute(f"INSERT INTO td_cells SELECT DISTINCT day, business_id FROM {diff}")
    elif "business_id" in cols:
        con.execute(f"INSERT INTO td_businesses SELECT DISTINCT business_id FROM {diff}")
    elif read_by_incremental and con.execute(f"SELECT count(*) FROM {diff}").fetchone()[0]:
        # Rows without a business changed, and an incremental model reads them: every business's
        # rows may have changed. (What no incremental model reads is rebuilt whole by its readers.)
        con.execute("INSERT INTO td_businesses SELECT business_id FROM wh.main.dim_businesses")


def _rebuild_and_compare(con, model: Model, sql: str, args: dict) -> None:
    con.execute(f"ALTER TABLE wh.main.{model.name} RENAME TO {model.name}__before")
    con.execute(f"CREATE TABLE wh.main.{model.name} AS {sql}", args)
    new, old = f"wh.main.{model.name}", f"wh.main.{model.name}__before"
    diff = f"((SELECT * FROM {new} EXCEPT ALL SELECT * FROM {old}) UNION ALL (SELECT * FROM {old} EXCEPT ALL SELECT * FROM {new}))"
    _add_changes(con, _columns(con, new), diff)
    con.execute(f"DROP TABLE wh.main.{model.name}__before")


def _region(con, model: Model, settings: Settings) -> tuple[str, str, dict]:
    """The rows of `model` to replace, and how to cut each input it reads down to what they need."""
    if model.incremental == "by":
        keys = f"{model.key} IN (SELECT {model.key} FROM td_scope"
        return f"{keys} WHERE keep)", f"{keys})", {}
    if model.incremental == "same day":
        region = f"({CELLS} OR {BUSINESSES})"
        return region, region, {}
    # trailing: a changed cell changes the next N days; days after the previous last day are new
    n = model.window(settings)
    last = con.execute(f"SELECT max(day) FROM wh.main.{model.name}").fetchone()[0]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE td_window AS "
        "SELECT DISTINCT CAST(day + to_days(CAST(k AS INTEGER)) AS DATE) AS day, business_id "
        "FROM td_cells, range($n) AS r(k)",
        {"n": n},
    )
    if last is None:  # nothing kept from before: recompute it all
        return "true", "true", {}
    # What each business's recomputed rows must read: from N - 1 days before its first changed day
    # (a window that started earlier ended before it), or from before the previous last day for a
    # business whose windows run on into new days; all of a business whose every day changed.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE td_reach AS
        SELECT business_id, min(from_day) AS from_day FROM (
            SELECT business_id, CAST(min(day) - CAST($n - 1 AS INTEGER) AS DATE) AS from_day
            FROM td_cells GROUP BY business_id
            UNION ALL SELECT business_id, DATE '0001-01-01' FROM td_businesses
            UNION ALL SELECT business_id, CAST($last + 1 - CAST($n - 1 AS INTEGER) AS DATE)
            FROM wh.main.{model.name} WHERE day = $last
        ) GROUP BY business_id
        """,
        {"last": last, "n": n},
    )
    region = f"((day, business_id) IN (SELECT day, business_id FROM td_window) OR {BUSINESSES} OR day > $td_last)"
    cut = "EXISTS (SELECT 1 FROM td_reach AS r WHERE r.business_id = t.business_id AND t.day >= r.from_day)"
    return region, cut, {"td_last": last}


def _replace_changed(con, model: Model, sql: str, args: dict, project: Project, settings: Settings, since: int) -> None:
    by_name = {m.name: m for m in project.order}
    if model.incremental == "by":
        con.execute(f"CREATE OR REPLACE TEMP TABLE td_scope AS {model.scope}", {"since": since})
    region, cut, bound = _region(con, model, settings)
    need = {"by": {model.key}}.get(model.incremental, {"day", "business_id"})
    shadowed: list[Model | str] = []
    try:
        for read in sorted(model.reads):
            source = by_name.get(read)
            if source is not None and source.materialized == "temp table":
                continue  # never cut down (int_last_day): what it says holds for every business
            if not need <= _columns(con, read):
                continue
            if source is not None and source.materialized == "temp view":
                con.execute(f"CREATE OR REPLACE TEMP VIEW {read} AS SELECT * FROM ({source.sql}\n) AS t WHERE {cut}")
                shadowed.append(source)
            else:
                # a model here reads no raw table (load_project checks), so what it reads is in wh
                con.execute(f"CREATE TEMP VIEW {read} AS SELECT * FROM wh.main.{read} AS t WHERE {cut}")
                shadowed.append(read)
        con.execute(f"CREATE OR REPLACE TEMP TABLE td_new AS SELECT * FROM ({sql}\n) WHERE {region}", args | bound)
    finally:
        for item in shadowed:
            if isinstance(item, Model):
                con.execute(f"CREATE OR REPLACE TEMP VIEW {item.name} AS {item.sql}")
            else:
                con.execute(f"DROP VIEW temp.main.{item}")
    # Only the rows that differ are deleted and inserted: most recomputed rows come out as they were,
    # and a delete scattered over a large table would make DuckDB rewrite it at the next checkpoint.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE td_gone AS SELECT * FROM wh.main.{model.name} WHERE {region} "
        "EXCEPT ALL SELECT * FROM td_new",
        bound,
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE td_come AS SELECT * FROM td_new "
        f"EXCEPT ALL SELECT * FROM wh.main.{model.name} WHERE {region}",
        bound,
    )
    readers = any(model.name in m.reads for m in project.order if m.incremental)
    _add_changes(con, _columns(con, "td_new"), "(FROM td_gone UNION ALL FROM td_come)", readers)
    con.execute(f"DELETE FROM wh.main.{model.name} AS m USING td_gone AS g WHERE {_same_key(model.unique, 'm', 'g')}")
    con.execute(f"INSERT INTO wh.main.{model.name} SELECT * FROM td_come")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CHANGED.format(model.name)} AS FROM td_come")  # for the audits
    for t in ("td_new", "td_gone", "td_come"):
        con.execute(f"DROP TABLE {t}")


def run_models_incremental(con, project: Project, settings: Settings, report, since: int) -> None:
    """Bring the copied warehouse attached as `wh` up to date with the loads after `since`."""
    con.execute("SET search_path = 'wh.main,ingest.main'")
    _seed_changes(con, since)
    compared = set().union(*(m.reads for m in project.order if m.incremental))
    try:
        for i, model in enumerate(project.order):
            report(f"updating {model.name}", i / len(project.order))
            args = model.args(settings)
            try:
                if model.incremental:
                    _replace_changed(con, model, model.sql, args, project, settings, since)
                elif model.materialized == "table" and model.name in compared:
                    _rebuild_and_compare(con, model, model.sql, args)
                else:
                    into = MATERIALIZED[model.materialized].format(model.name)
                    con.execute(f"CREATE OR REPLACE {into} AS {model.sql}", args)
            except duckdb.OutOfMemoryException:
                raise
            except duckdb.Error as exc:
                raise BuildError(
                    f"etl/models/{model.path} failed to update incrementally: {str(exc).splitlines()[0]} "
                    "(`trustdesk build --full` rebuilds every mart)"
                ) from exc
    finally:
        for t in ("td_cells", "td_businesses", "td_scope", "td_window", "td_reach", "td_new", "td_gone", "td_come"):
            con.execute(f"DROP TABLE IF EXISTS temp.main.{t}")


def fingerprint(project: Project, settings: Settings, con) -> str:
    """What the marts are built from besides the events: the models, the settings they bind, the
    macros and the raw tables' columns. A previous warehouse with another fingerprint is no base
    for an incremental build."""
    h = hashlib.sha256(str(MARTS_VERSION).encode())
    for m in project.order:
        h.update(
            repr(
                (m.path, m.sql, m.materialized, m.incremental, m.trailing, m.scope, sorted(m.args(settings).items()))
            ).encode()
        )
    for macro in project.macros:
        h.update(macro.encode())
    h.update(
        repr(
            con.execute(
                "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = 'ingest' "
                "AND schema_name = 'main' AND starts_with(table_name, 'raw_') ORDER BY table_name, column_index"
            ).fetchall()
        ).encode()
    )
    return h.hexdigest()[:16]


def _audit_sql(audit: Audit, changed: frozenset[str]) -> str:
    """The audit's query; over the rows an incremental build changed where that proves as much."""
    if audit.keys and audit.model in changed:
        # unchanged rows were unique before: a key can repeat only if a changed row holds it
        changed_rows = f"select 1 from {CHANGED.format(audit.model)} as c where {_same_key(audit.keys, 'c', 'm')}"
        return _unique_sql(audit.model, audit.keys, f"where exists ({changed_rows})")
    return audit.sql


def _run_audits(con, project: Project, changed: frozenset[str] = frozenset()) -> None:
    """Run every audit; `changed` names the incremental models whose changed rows stand in for the
    whole table in the audits that allow it (`-- incremental: changed rows`)."""
    for audit in project.audits:
        cut = sorted(changed) if audit.rows else []
        try:
            for name in cut:
                con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS FROM {CHANGED.format(name)}")
            try:
                cur = con.execute(f"SELECT count(*) OVER () AS bad_rows, * FROM ({_audit_sql(audit, changed)}) LIMIT 1")
                row, names = cur.fetchone(), [d[0] for d in cur.description]
            finally:
                for name in cut:
                    con.execute(f"DROP VIEW temp.main.{name}")
        except duckdb.Error as exc:
            raise BuildError(
                f"audit {audit.name} (etl/models/{audit.path}) failed to run: {str(exc).splitlines()[0]}"
            ) from exc
        if row:
            sample = ", ".join(f"{k}={v}" for k, v in zip(names[1:], row[1:]))
            raise AuditFailed(
                f"audit {audit.name} (etl/models/{audit.path}) found {row[0]} bad row(s), e.g. {sample}; "
                "the new warehouse was not published and the previous one stays current"
            )


def _drop_temp(con, project: Project) -> None:
    for model in reversed(project.order):
        con.execute(f"DROP TABLE IF EXISTS temp.main.{CHANGED.format(model.name)}")
        kind = {"temp table": "TABLE", "temp view": "VIEW"}.get(model.materialized)
        if kind:
            con.execute(f"DROP {kind} IF EXISTS temp.main.{model.name}")


def plan(previous: dict | None, root: Path, version: int, ref: str, fp: str, full: bool) -> tuple[str, str]:
    """("reuse" | "incremental" | "full", why): what this build does, in words for the command."""
    if full:
        return "full", "a full build was asked for"
    if previous is None or not (root / previous["file"]).exists():
        return "full", "there is no previous warehouse to start from"
    if previous.get("marts") != MARTS_VERSION:
        return "full", "the previous warehouse has another marts layout"
    if previous.get("reference") != ref:
        return "full", "markets.csv or rate_card.csv changed"
    if previous.get("fingerprint") != fp:
        return "full", "the models, or the settings they use, changed since the previous build"
    if previous.get("store_version") == version:
        return "reuse", "no loaded event changed"
    if "through_load" not in previous:
        return "full", "the previous warehouse does not say which loads it holds"
    return "incremental", f"loads after {previous['through_load']} are new"


def build_warehouse(
    root: Path,
    con: duckdb.DuckDBPyConnection,
    settings: Settings | None = None,
    force: bool = False,
    progress: Callable[[str, float], None] | None = None,
    models_dir: Path = MODELS_DIR,
    engine: Engine | None = None,
) -> dict:
    """Caller holds the load lock and `con` is the ingest connection. A model or audit that fails
    raises BuildError before anything is published.

    Without `force`, a build starts from the published warehouse when it can: a copy of it if no
    event changed, else an incremental build of what the new loads change (`plan` says when it
    cannot, and the meta's `build` and `build_reason` say what was done). `engine` builds the models
    whole (DuckDB's by default; another engine always builds whole)."""
    report = progress or (lambda s, x: None)
    lake.sync(con, root, lambda stage, x: report(stage, 0.0))
    settings = settings or Settings.load(root)
    version = store.store_version(con)
    ref = reference_hash(root)
    previous = store.read_pointer(root)
    project = load_project(models_dir)
    fp = fingerprint(project, settings, con)
    mode, why = plan(previous, root, version, ref, fp, force or engine is not None)
    through = con.execute("SELECT coalesce(max(load_id), 0) FROM loads WHERE load_id > 0").fetchone()[0]
    target = store.new_warehouse_path(root)
    if mode != "full":
        # Start from the last warehouse: copied as it is when no event changed (a re-load of known
        # rows, a rejected file: only the load history is new), else brought up to date.
        shutil.copyfile(root / previous["file"], target)
    con.execute("ATTACH ? AS wh", [str(target)])
    done = False
    try:
        if mode != "reuse":
            _load_reference(con, root)
            changed: frozenset[str] = frozenset()
            if mode == "incremental":
                run_models_incremental(con, project, settings, report, int(previous["through_load"]))
                changed = frozenset(m.name for m in project.order if m.incremental)
            else:
                (engine or run_models_duckdb)(con, root, project, settings, report)
            con.execute("SET search_path = 'wh.main,ingest.main'")
            report("auditing", 1.0)
            _run_audits(con, project, changed)
            con.execute("USE wh")
            for macro in project.macros:
                con.execute(macro)
            con.execute("USE ingest")
            con.execute("SET search_path = 'ingest.main'")
        _copy_ops(con)
        meta = _meta(con, root, (previous or {}).get("version", 0) + 1, ref)
        meta.update(
            store_version=version,
            marts=MARTS_VERSION,
            fingerprint=fp,
            through_load=through,
            build=mode,
            build_reason=why,
        )
        con.execute("CHECKPOINT wh")
        done = True
    finally:
        con.execute("USE ingest")
        con.execute("SET search_path = 'ingest.main'")
        _drop_temp(con, project)
        con.execute("DETACH wh")
        if not done:
            for path in (target, target.with_name(target.name + ".wal")):
                path.unlink(missing_ok=True)
    report("publishing", 1.0)
    store.publish_warehouse(root, target, meta)
    return meta
