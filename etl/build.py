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
from etl.contract import KIND_NAMES, MONEY_TYPE, exact_money
from etl.settings import Settings, reference_file

# The marts' layout: a warehouse built with another one is rebuilt, never copied forward (2: money
# as DECIMAL instead of DOUBLE; 3: platform events, Meta's billed pricing, statuses from webhooks;
# 4: revenue_usd, business_category, the quality_rating macro).
MARTS_VERSION = 4

MODELS_DIR = Path(__file__).with_name("models")
LAYERS = {"staging": "temp view", "intermediate": "temp table", "marts": "table"}
MATERIALIZED = {"table": "TABLE wh.main.{}", "temp table": "TEMP TABLE {}", "temp view": "TEMP VIEW {}"}
HEADER = re.compile(r"^--\s*(materialized|params|template|unique):\s*(.*?)\s*$")
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
    return Model(file.stem, path, sql, materialized, params, unique, reads)


def _check_reads(path: str, reads: frozenset[str], models: dict[str, Model], staging: bool) -> None:
    for table in sorted(reads):
        if table not in models and table not in SOURCES:
            raise BuildError(f"etl/models/{path} reads {table}, which is neither a model nor a source table")
        if table in RAW_TABLES and not staging:
            raise BuildError(f"etl/models/{path} reads {table}; only a staging model may read a raw table")


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
        audits.append(Audit(file.stem, path, sql))
    for model in order:
        if model.unique:
            keys = ", ".join(model.unique)
            audits.append(
                Audit(
                    f"unique_{model.name}",
                    model.path,
                    f"select {keys}, count(*) as copies from {model.name} group by {keys} having count(*) > 1",
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


def _run_audits(con, project: Project) -> None:
    for audit in project.audits:
        try:
            cur = con.execute(f"SELECT count(*) OVER () AS bad_rows, * FROM ({audit.sql}) LIMIT 1")
            row = cur.fetchone()
        except duckdb.Error as exc:
            raise BuildError(
                f"audit {audit.name} (etl/models/{audit.path}) failed to run: {str(exc).splitlines()[0]}"
            ) from exc
        if row:
            names = [d[0] for d in cur.description]
            sample = ", ".join(f"{k}={v}" for k, v in zip(names[1:], row[1:]))
            raise AuditFailed(
                f"audit {audit.name} (etl/models/{audit.path}) found {row[0]} bad row(s), e.g. {sample}; "
                "the new warehouse was not published and the previous one stays current"
            )


def _drop_temp(con, project: Project) -> None:
    for model in reversed(project.order):
        kind = {"temp table": "TABLE", "temp view": "VIEW"}.get(model.materialized)
        if kind:
            con.execute(f"DROP {kind} IF EXISTS temp.main.{model.name}")


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
    raises BuildError before anything is published. `engine` builds the models (DuckDB's by default);
    a build with another engine never reuses the previous warehouse."""
    force = force or engine is not None
    report = progress or (lambda s, x: None)
    lake.sync(con, root, lambda stage, x: report(stage, 0.0))
    version = store.store_version(con)
    ref = reference_hash(root)
    previous = store.read_pointer(root)
    reuse = (
        not force
        and previous is not None
        and previous.get("store_version") == version
        and previous.get("reference") == ref
        and previous.get("marts") == MARTS_VERSION
        and (root / previous["file"]).exists()
    )
    project = None if reuse else load_project(models_dir)
    target = store.new_warehouse_path(root)
    if reuse:
        # The events did not change (a re-load of known rows, a rejected file): only the load
        # history and quarantine are new, so copy the last warehouse instead of rebuilding it.
        shutil.copyfile(root / previous["file"], target)
    con.execute("ATTACH ? AS wh", [str(target)])
    done = False
    try:
        if project is not None:
            _load_reference(con, root)
            (engine or run_models_duckdb)(con, root, project, settings or Settings.load(root), report)
            con.execute("SET search_path = 'wh.main,ingest.main'")
            report("auditing", 1.0)
            _run_audits(con, project)
            con.execute("USE wh")
            for macro in project.macros:
                con.execute(macro)
            con.execute("USE ingest")
            con.execute("SET search_path = 'ingest.main'")
        _copy_ops(con)
        meta = _meta(con, root, (previous or {}).get("version", 0) + 1, ref)
        meta["store_version"] = version
        meta["marts"] = MARTS_VERSION
        con.execute("CHECKPOINT wh")
        done = True
    finally:
        con.execute("USE ingest")
        con.execute("SET search_path = 'ingest.main'")
        if project is not None:
            _drop_temp(con, project)
        con.execute("DETACH wh")
        if not done:
            for path in (target, target.with_name(target.name + ".wal")):
                path.unlink(missing_ok=True)
    report("publishing", 1.0)
    store.publish_warehouse(root, target, meta)
    return meta
