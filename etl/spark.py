"""Build the marts with Apache Spark instead of DuckDB: `trustdesk build --engine spark [--master URL]`.

One definition per model. Spark runs the same files as DuckDB (`etl/models`), transpiled by sqlglot
from DuckDB's dialect to Spark's; where sqlglot's translation would change a result, `to_spark`
rewrites the construct the same way for every model (see `_portable`), never one model by hand.

How a build goes, inside `etl.build.build_warehouse` (which holds the load lock, audits, adds the
macros and the load history, and publishes exactly as for DuckDB):

1. `etl.lake.sync` brings the lake up to date; Spark reads the Parquet files its manifest lists for
   each raw table (a kind with no file yet reads an empty file with the raw table's own schema), and
   the reference tables `_load_reference` put into the new warehouse.
2. Every model runs in build order: staging models become temporary views, intermediate ones
   cached views, and each mart is written as Parquet into a work directory under the data directory
   (`tmp/spark-<pid>`), then copied into the new warehouse with the column types DuckDB's build
   gives it (found by building every model empty in DuckDB first), so that both engines publish the
   same tables and the read side cannot tell them apart.
3. The work directory is removed at the end; one a killed build left is removed by the next build
   (which holds the same lock). Nothing is published before the build ends, so a kill at any moment
   leaves the published warehouse as it was.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from etl import lake
from etl.build import MATERIALIZED, BuildError, Engine, Model, Project
from etl.contract import KIND_NAMES
from etl.settings import Settings
from etl.store import private_dir

DEFAULT_MASTER = "local[2]"
JAVA_MAJOR = 17
WORK_PREFIX = "spark-"
SHAPE_DB = "spark_shape"
REFERENCE = ("ref_markets", "ref_rate_card")
INSTALL_SPARK = "Apache Spark is not installed: pip install 'trustdesk[spark]'"
INSTALL_JAVA = "apt-get install openjdk-17-jre-headless"

# Modest for a laptop or CI runner; a cluster's own defaults (spark-defaults.conf) win for executors.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "1g",
    "spark.sql.shuffle.partitions": "4",
    # Money is DECIMAL(38, 9) (etl/contract.py): Spark must keep its 9 decimal places in a product,
    # as DuckDB does, instead of trading them for integer digits.
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}
# The driver's own log: errors only, so a build prints what the command says and nothing else.
QUIET_LOG4J = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""
LOCAL_CONF = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}


class SparkUnavailable(BuildError):
    """Spark or Java is missing or cannot start; str(exc) says what to install."""


def engine(master: str | None = None, conf: dict[str, str] | None = None) -> Engine:
    """The Spark engine for `etl.build.build_warehouse(engine=...)`: `master` is a Spark master URL
    (default local[2]); `conf` adds Spark settings. A session already running in this process (a
    test's) is used as it is; one this engine starts, it stops at the end."""

    def run(con, root: Path, project: Project, settings: Settings, report: Callable[[str, float], None]) -> None:
        root = Path(root)
        lake.sync(con, root, lambda stage, x: report(stage, 0.0))
        work = work_dir(root)
        try:
            report("starting Spark", 0.0)
            spark, started = session(master, conf, work)
            try:
                build_models(spark, con, root, work, project, settings, report)
            finally:
                if started:
                    spark.stop()
        finally:
            shutil.rmtree(work, ignore_errors=True)

    return run


def check_java() -> None:
    """Refuse, in one sentence, a machine without Java 17 or later (Spark 4 needs it)."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        raise SparkUnavailable(f"Java {JAVA_MAJOR} was not found: {INSTALL_JAVA}")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        raise SparkUnavailable(f"Java at {java} does not run: {INSTALL_JAVA}") from None
    major = java_major(out.stderr + out.stdout)
    if major is None or major < JAVA_MAJOR:
        raise SparkUnavailable(f"Spark needs Java {JAVA_MAJOR} or later and {java} is not: {INSTALL_JAVA}")


def java_major(version_text: str) -> int | None:
    """17 from `openjdk version "17.0.15"`, 8 from `java version "1.8.0_392"`."""
    m = re.search(r'version "(\d+)(?:\.(\d+))?', version_text)
    if not m:
        return None
    major = int(m[1])
    return int(m[2] or 0) if major == 1 else major


def session(master: str | None = None, conf: dict[str, str] | None = None, work: Path | None = None):
    """(a SparkSession on `master`, whether this call started it). Local[2] by default, UTC, quiet,
    no web UI; a local one listens on the loopback interface only and spills into `work` (under the
    data directory, private like the events it holds) instead of the system's /tmp."""
    try:
        # An import inside: pyspark is an optional extra, and importing it takes seconds.
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable(INSTALL_SPARK) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    check_java()
    master = master or DEFAULT_MASTER
    settings = dict(SESSION_CONF)
    if master.startswith("local"):
        settings.update(LOCAL_CONF)
        if work is not None:
            settings["spark.local.dir"] = str(private_dir(work / "local"))
    if work is not None:
        quiet = work / "log4j2.properties"
        quiet.write_text(QUIET_LOG4J, encoding="utf-8")
        settings["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile={quiet.as_uri()}"
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName("trustdesk-build")
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        with warnings.catch_warnings():
            # PySpark warns about pandas versions as it starts; the build uses no pandas.
            warnings.simplefilter("ignore", FutureWarning)
            spark = builder.getOrCreate()
    except Exception as exc:  # Py4J and PySpark raise many kinds when the JVM or the master is not there
        raise SparkUnavailable(f"Spark could not start on master {master}: {_first_line(exc)}") from None
    spark.sparkContext.setLogLevel("ERROR")
    # PySpark logs every failed query with its plan; the build says why in one sentence instead.
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        logging.getLogger(name).disabled = True
    return spark, True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(exc).__name__)
    return line if len(line) <= 300 else line[:297] + "..."


# -- DuckDB SQL to Spark SQL -------------------------------------------------------------------


def _arg_max_skips_nulls(node: exp.Expression) -> exp.Expression:
    """DuckDB's arg_max(x, key) passes over rows whose x is NULL; Spark's max_by would return that
    NULL. A NULL key is passed over by both, so the key is NULL wherever x is."""
    if isinstance(node, exp.ArgMax | exp.ArgMin):
        value, key = node.this, node.expression
        guarded = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())), true=key)])
        node.set("expression", guarded)
    return node


def _epoch(node: exp.Expression) -> exp.Expression:
    """DuckDB's epoch() of an interval (a timestamp difference) or of a timestamp is seconds as a
    DOUBLE; Spark's unix_timestamp() takes neither an interval nor fractions, so count microseconds."""
    if not isinstance(node, exp.TimeToUnix):
        return node
    arg = node.this
    if isinstance(arg, exp.Paren):
        arg = arg.this
    if isinstance(arg, exp.Sub):
        micros = exp.Sub(this=_unix_micros(arg.this), expression=_unix_micros(arg.expression))
    else:
        micros = _unix_micros(arg)
    as_double = exp.Cast(this=micros, to=exp.DataType.build("double"))
    return exp.Div(this=as_double, expression=exp.Literal.number(1_000_000))


def _unix_micros(e: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="unix_micros", expressions=[exp.Cast(this=e.copy(), to=exp.DataType.build("timestamp"))])


def _cast_of_unnest(node: exp.Expression) -> exp.Expression:
    """`cast(unnest(list) as T)`: Spark allows no generator inside an expression, so cast each
    element, then explode: explode(transform(list, x -> cast(x as T)))."""
    if not isinstance(node, exp.Cast) or not isinstance(node.this, exp.Explode | exp.Unnest):
        return node
    inner = node.this
    items = (
        inner.this
        if isinstance(inner, exp.Explode)
        else (inner.expressions[0] if len(inner.expressions) == 1 else None)
    )
    if items is None:
        return node
    element = exp.to_identifier("_element")
    lam = exp.Lambda(this=exp.Cast(this=exp.column(element), to=node.to.copy()), expressions=[element])
    return exp.Explode(this=exp.Transform(this=items.copy(), expression=lam))


def _range_of_dates(node: exp.Expression) -> exp.Expression:
    """DuckDB's range(from, to, step) stops before `to`; Spark's sequence() includes it and fails
    when `from` is past it. With a positive literal step: from < to ? sequence(from, to - step) : []."""
    if not isinstance(node, exp.GenerateSeries) or not node.args.get("is_end_exclusive"):
        return node
    step = node.args.get("step")
    if not isinstance(step, exp.Interval) or not _positive(step.this.name):
        return node
    start, end = node.args["start"], node.args["end"]
    last = exp.Sub(this=exp.Paren(this=end.copy()), expression=step.copy())
    seq = exp.Anonymous(this="sequence", expressions=[start.copy(), last, step.copy()])
    empty = exp.Array(expressions=[])
    return exp.If(this=exp.LT(this=start.copy(), expression=end.copy()), true=seq, false=empty)


def _positive(text: str) -> bool:
    try:
        return float(text) > 0
    except ValueError:
        return False


PORTABLE = (_arg_max_skips_nulls, _epoch, _cast_of_unnest, _range_of_dates)


def _portable(tree: exp.Expression) -> exp.Expression:
    for rewrite in PORTABLE:
        tree = tree.transform(rewrite)
    return tree


def to_spark(path: str, sql: str) -> str:
    """A model's DuckDB SQL as Spark SQL; its $name parameters become Spark's :name markers."""
    try:
        return _portable(sqlglot.parse_one(sql, read="duckdb")).sql(dialect="spark", comments=False)
    except sqlglot.errors.SqlglotError as exc:
        raise BuildError(f"etl/models/{path} has SQL sqlglot cannot write for Spark: {_first_line(exc)}") from None


# -- the build -----------------------------------------------------------------------------------


def work_dir(root: Path) -> Path:
    """This build's scratch directory; those of killed builds go (the caller holds the load lock,
    so none of them is in use)."""
    tmp = private_dir(Path(root) / "tmp")
    for old in tmp.glob(WORK_PREFIX + "*"):
        shutil.rmtree(old, ignore_errors=True)
    return private_dir(tmp / f"{WORK_PREFIX}{os.getpid()}")


def raw_files(con, root: Path, work: Path, kind: str) -> list[Path]:
    """The Parquet files Spark reads as raw_<kind>: the lake's, or one empty file with the raw
    table's schema when the lake has none for the kind yet."""
    found = lake.files(root, kind)
    if found:
        return found
    empty = work / "empty" / f"raw_{kind}.parquet"
    empty.parent.mkdir(exist_ok=True)
    _copy(con, f"SELECT * FROM ingest.main.raw_{kind} LIMIT 0", empty)
    return [empty]


def _copy(con, select: str, target: Path) -> None:
    # COPY ... TO takes no parameter for its target; the path is ours (data dir + fixed names) and
    # quotes are doubled so that no directory name can end the literal.
    con.execute(f"COPY ({select}) TO '{_sql_path(target)}' (FORMAT parquet)")


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _columns(con, table: str) -> list[tuple[str, str]]:
    database, schema, name = table.split(".")
    return con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = ? AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [database, schema, name],
    ).fetchall()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _spark_quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def shapes(con, project: Project, settings: Settings) -> dict[str, list[tuple[str, str]]]:
    """Every model's columns and DuckDB types, from building each model empty in DuckDB (in a
    scratch in-memory database, so nothing is left behind)."""
    con.execute(f"ATTACH ':memory:' AS {SHAPE_DB}")
    try:
        con.execute(f"SET search_path = '{SHAPE_DB}.main,wh.main,ingest.main'")
        found = {}
        for model in project.order:
            try:
                con.execute(
                    f"CREATE TABLE {SHAPE_DB}.main.{model.name} AS SELECT * FROM ({model.sql}) LIMIT 0",
                    model.args(settings),
                )
            except duckdb.Error as exc:
                raise BuildError(f"etl/models/{model.path} failed to build: {_first_line(exc)}") from exc
            found[model.name] = _columns(con, f"{SHAPE_DB}.main.{model.name}")
        return found
    finally:
        con.execute("SET search_path = 'wh.main,ingest.main'")
        con.execute(f"DETACH {SHAPE_DB}")


def register_sources(spark, con, root: Path, work: Path) -> None:
    """raw_<kind> from the lake, ref_* from the new warehouse, as Spark temporary views."""
    for kind in KIND_NAMES:
        table = f"raw_{kind}"
        columns = [_spark_quote(c) for c, _ in _columns(con, f"ingest.main.{table}")]
        files = [str(p) for p in raw_files(con, root, work, kind)]
        spark.read.parquet(*files).selectExpr(*columns).createOrReplaceTempView(table)
    for table in REFERENCE:
        path = work / "reference" / f"{table}.parquet"
        path.parent.mkdir(exist_ok=True)
        _copy(con, f"SELECT * FROM wh.main.{table}", path)
        spark.read.parquet(str(path)).createOrReplaceTempView(table)


def build_models(
    spark, con, root: Path, work: Path, project: Project, settings: Settings, report: Callable[[str, float], None]
) -> None:
    """Every model of `project` on Spark, with scratch files in `work`; the marts become tables
    wh.main.<name> of `con`, the intermediate models temporary tables, the staging ones DuckDB views."""
    report("preparing Spark", 0.0)
    shape = shapes(con, project, settings)
    try:
        register_sources(spark, con, root, work)
        built: dict[tuple, str] = {}
        for i, model in enumerate(project.order):
            report(f"building {model.name} on Spark", i / len(project.order))
            args = model.args(settings)
            same = built.setdefault((model.sql, tuple(sorted(args.items()))), model.name)
            sql = f"select * from {same}" if same != model.name else to_spark(model.path, model.sql)
            df = _run(spark, model, sql, args if same == model.name else {}, shape[model.name])
            if model.materialized == "temp view":
                df.createOrReplaceTempView(model.name)
                # The audits run in DuckDB and may read a staging model: the same file, as DuckDB's view.
                con.execute(f"CREATE OR REPLACE TEMP VIEW {model.name} AS {model.sql}")
            else:
                _materialize(spark, con, model, df, work, shape[model.name])
    finally:
        for model in project.order:
            spark.catalog.dropTempView(model.name)
        for table in (*(f"raw_{k}" for k in KIND_NAMES), *REFERENCE):
            spark.catalog.dropTempView(table)


def _run(spark, model: Model, sql: str, args: dict, columns: list[tuple[str, str]]):
    """The model's result as a DataFrame with DuckDB's columns in DuckDB's order (a rewrite such as
    sqlglot's for QUALIFY may add a helper column; it is left out here)."""
    try:
        df = spark.sql(sql, args=args or None)
        return df.select(*[_spark_quote(c) for c, _ in columns])
    except Exception as exc:  # AnalysisException, ParseException, Py4JJavaError: all say why in line one
        raise BuildError(f"etl/models/{model.path} failed to build on Spark: {_first_line(exc)}") from None


def _materialize(spark, con, model: Model, df, work: Path, columns: list[tuple[str, str]]) -> None:
    """Write the model's rows as Parquet and copy them into DuckDB with DuckDB's types: a mart into
    wh.main.<name>, an intermediate model into a temporary table (the audits read it). Later models
    read the written files rather than compute the model again."""
    out = work / "models" / model.name
    try:
        df.write.mode("overwrite").parquet(str(out))
    except Exception as exc:  # the query runs here, when its result is written
        raise BuildError(f"etl/models/{model.path} failed to build on Spark: {_first_line(exc)}") from None
    select = ", ".join(f"CAST({_quote(c)} AS {t}) AS {_quote(c)}" for c, t in columns)
    into = MATERIALIZED[model.materialized].format(model.name)
    con.execute(
        f"CREATE OR REPLACE {into} AS SELECT {select} FROM read_parquet($files)", {"files": str(out / "*.parquet")}
    )
    spark.read.parquet(str(out)).createOrReplaceTempView(model.name)
