"""The `trustdesk` command (`docs/cli.md`)."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click

from etl import settings as config

KIND_CHOICES = ("businesses", "messages", "reports", "blocks", "opt_outs", "ad_campaigns", "ad_events")
DEMO = {"businesses": 300, "days": 60, "messages": 400_000, "seed": 7}


class UserError(click.ClickException):
    """Printed as one sentence, no traceback."""

    def show(self, file=None):
        click.echo(f"trustdesk: {self.message}", err=True)


def _root(ctx: click.Context) -> Path:
    return config.data_dir(ctx.obj.get("data_dir"))


def _interactive() -> bool:
    return sys.stderr.isatty()


@contextmanager
def _progress(description: str, total: float | None = None):
    """A rich progress bar on a terminal; silence when piped (CI, scripts)."""
    if not _interactive():
        yield lambda done, total_=None, text=None: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(), transient=True, console=_console(),
    ) as bar:
        task = bar.add_task(description, total=total or 1.0)

        def update(done, total_=None, text=None):
            bar.update(task, completed=done, total=total_ or total or 1.0,
                       description=text or description)

        yield update


def _console():
    from rich.console import Console

    return Console(stderr=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Data directory (default: $TRUSTDESK_DATA, else ./data).")
@click.version_option(package_name="trustdesk")
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None) -> None:
    """TrustDesk: trust-and-safety and business-messaging analytics over exported logs."""
    ctx.ensure_object(dict)
    ctx.obj["data_dir"] = data_dir


# --------------------------------------------------------------------------- generate

@cli.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Directory to write the CSV files into.")
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--businesses", default=300, show_default=True, type=click.IntRange(1))
@click.option("--days", default=60, show_default=True, type=click.IntRange(1))
@click.option("--messages", default=500_000, show_default=True, type=click.IntRange(1))
@click.option("--start", default="2026-09-01", show_default=True, help="First day (YYYY-MM-DD).")
def generate(out: str, seed: int, businesses: int, days: int, messages: int, start: str) -> None:
    """Write a synthetic world as log-format v1 CSV files plus truth.csv."""
    from etl.synth.generate import generate_world

    try:
        first = date.fromisoformat(start)
    except ValueError as exc:
        raise UserError(f"--start {start!r} is not a date like 2026-09-01") from exc
    with _progress("generating messages", messages) as update:
        counts = generate_world(
            Path(out), seed=seed, businesses=businesses, days=days, messages=messages,
            start=first, progress=lambda done, total: update(done, total),
        )
    for name, n in counts.items():
        click.echo(f"{name}: {n:,} rows")
    click.echo(f"wrote {Path(out)}")


# --------------------------------------------------------------------------- load

def _print_results(results, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps([r.as_json() for r in results], indent=2, default=str))
        return
    from trustdesk.data.loads import summary_lines

    for line in summary_lines(results):
        click.echo(line)




def _source_choices() -> list[str]:
    from etl.formats import FORMAT_NAMES

    return ["auto", *FORMAT_NAMES]


@cli.command()
@click.argument("files", nargs=-1, required=False, type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice(KIND_CHOICES), default=None, help="Kind of records, instead of detecting it from the header.")
@click.option("--source", type=click.Choice(_source_choices()), default="auto", show_default=True,
              help="Format of the files (docs/formats), instead of recognising it from their content.")
@click.option("--inbox", is_flag=True, default=False,
              help="Fold the webhook receiver's inbox into the store, exactly once per body.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def load(ctx, files, kind, source, inbox, fmt) -> None:
    """Validate FILES and load them into the data directory (exit 0 clean, 1 rows quarantined, 2 a file rejected).

    Log format v1 CSV, WhatsApp Cloud API webhook bodies (.json, .jsonl, .ndjson), Twilio message
    exports (CSV, BulkExport JSON lines) and Meta pricing_analytics responses, plain or .gz."""
    from etl.ingest.load import exit_code, load_files

    root = _root(ctx)
    source = None if source == "auto" else source
    if not files and not inbox:
        raise UserError("name the files to load, or --inbox to fold the webhook receiver's inbox")
    if kind and source and source != "v1":
        raise UserError(f"--kind is for log format v1 files; --source {source} decides the kinds itself")
    paths = [Path(f) for f in files]
    # `trustdesk generate` writes truth.csv beside the logs, so `trustdesk load world/*.csv` names
    # it too: it is not a log, and is passed over with a note rather than rejected.
    skipped = {p: _truth_note(p) for p in paths if _is_truth_file(p)}
    todo = [p for p in paths if p not in skipped]
    results = []
    if todo:
        with _progress("loading") as update:
            state = {"i": 0, "file": None}

            def report(file, stage, frac):
                if file and file != state["file"]:
                    state["file"] = file
                    state["i"] += 1
                base = state["i"] - 1 if file else len(todo)
                update(base + frac, len(todo) + 1, f"{file or 'marts'}: {stage}")

            results = _guard(lambda: load_files(root, todo, kind=kind, progress=report, source=source))
    loaded = iter(results)
    results = [skipped_result(p, skipped[p]) if p in skipped else next(loaded) for p in paths]
    if inbox:
        from trustdesk.webhook.fold import fold

        folded: list = []
        outcome = _guard(lambda: fold(root, folded))
        results.extend(folded)
        if fmt == "text":
            click.echo(f"inbox: {outcome.bodies:,} bodies folded in {len(outcome.batches):,} batches"
                       + (f" ({len(outcome.replayed):,} replayed)" if outcome.replayed else ""))
    _print_results(results, fmt)
    if fmt == "text":
        _print_guidance(paths, results)
    ctx.exit(exit_code(results))


def _print_guidance(paths: list[Path], results) -> None:
    """A file rejected without matching any format: the formats TrustDesk reads, once."""
    from etl.formats import FORMATS, detect

    lost = [p for p, r in zip(paths, results) if r.status == "rejected" and r.source is None
            and p.is_file() and detect(p) is None]
    if lost:
        click.echo("The formats TrustDesk reads (--source NAME forces one; docs/formats/README.md describes them):")
        for f in FORMATS.values():
            click.echo(f"  {f.name}: {f.title} ({f.doc}, sample {f.sample})")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8787, show_default=True, type=int, help="Port to listen on (0 picks a free one).")
@click.option("--fold-every", "fold_seconds", default=None, type=click.IntRange(min=0),
              help="Fold the inbox into the store every this many seconds (0: only `trustdesk load --inbox` "
                   "folds); default: the webhook_fold_seconds setting.")
@click.pass_context
def webhook(ctx, host, port, fold_seconds) -> None:
    """Receive WhatsApp Cloud API webhooks on /webhook into the inbox, and fold it into the store.

    Secrets from TRUSTDESK_WEBHOOK_VERIFY_TOKEN and TRUSTDESK_APP_SECRET (or .streamlit/secrets.toml),
    never from the command line. Folds the inbox into the store every --fold-every seconds, exactly
    once per body, as `trustdesk load --inbox` does."""
    import threading

    from trustdesk.webhook import WebhookConfigError, fold_every, load_secrets, serve
    from trustdesk.webhook.fold import load_batch

    root = _root(ctx)
    if fold_seconds is None:
        fold_seconds = config.Settings.load(root).webhook_fold_seconds
    try:
        secrets = load_secrets()
    except WebhookConfigError as exc:
        raise UserError(str(exc).removeprefix("trustdesk webhook: ")) from exc
    stop = threading.Event()
    if fold_seconds > 0:
        def complain(exc: Exception) -> None:
            click.echo(f"trustdesk webhook: folding the inbox failed ({exc}); it is retried", err=True)

        threading.Thread(target=fold_every, name="trustdesk-fold", daemon=True,
                         args=(root, lambda batch: load_batch(root, batch), fold_seconds, stop),
                         kwargs={"on_error": complain}).start()
    try:
        serve(host, port, root, secrets=secrets, announce=click.echo)
    except WebhookConfigError as exc:
        raise UserError(str(exc).removeprefix("trustdesk webhook: ")) from exc
    finally:
        stop.set()


def _is_truth_file(path: Path) -> bool:
    from etl.ingest.csvfile import is_truth_header, read_header

    header = read_header(path) if path.is_file() else None
    return header is not None and is_truth_header(header)


def _truth_note(path: Path) -> str:
    return ("the ground truth of `trustdesk generate` (business_id, archetype), not a log; "
            f"score the review queue with it: trustdesk evaluate --truth {path}")


def skipped_result(path: Path, note: str):
    from etl.ingest.load import FileResult

    return FileResult(path.name, None, "skipped", note=note)


def _guard(fn):
    """Turn the errors a person can act on into one sentence."""
    from etl.build import ReferenceError_
    from etl.store import StoreBusy

    try:
        return fn()
    except (StoreBusy, ReferenceError_, ValueError) as exc:
        raise UserError(str(exc)) from exc
    except OSError as exc:
        raise UserError(f"{exc.strerror or exc}: {exc.filename or ''}".strip(": ")) from exc


@cli.command()
@click.pass_context
def rebuild(ctx) -> None:
    """Rebuild the marts from the loaded events (after replacing markets.csv or rate_card.csv)."""
    from trustdesk.data.maintenance import rebuild_marts

    meta = _guard(lambda: rebuild_marts(_root(ctx)))
    click.echo(f"warehouse version {meta['version']} built")


# --------------------------------------------------------------------------- status

@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def status(ctx, fmt) -> None:
    """What the data directory holds."""
    from trustdesk.data.status import describe

    info = _guard(lambda: describe(_root(ctx)))
    if fmt == "json":
        click.echo(json.dumps(info, indent=2, default=str))
        return
    click.echo(f"data directory: {info['data_dir']}")
    if not info["warehouse_version"]:
        click.echo("no data yet: run `trustdesk demo`, or `trustdesk load FILE...`")
        return
    click.echo(f"warehouse version {info['warehouse_version']}, built {info['built_at']}")
    click.echo(f"data from {info['first_day']} to {info['last_day']}")
    click.echo(f"loads: {info['loads']:,}, quarantined rows: {info['quarantined']:,}")
    for kind, n in info["rows"].items():
        click.echo(f"  {kind:<17} {n:>12,}")
    for warning in info["warnings"]:
        click.echo(f"warning: {warning}")


# --------------------------------------------------------------------------- metrics

def _parse_date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UserError(f"{flag} {value!r} is not a date like 2026-09-30") from exc


def _write_table(df, fmt: str) -> None:
    """Every table the command prints: JSON with exact money, CSV through the one formula-safe
    writer (`trustdesk.data.export.safe_csv`, as the dashboard's downloads)."""
    if fmt == "json":
        from trustdesk.analytics.metrics import as_json

        click.echo(as_json(df))
    else:
        from trustdesk.data.export import safe_csv

        sys.stdout.write(safe_csv(df))


@cli.command()
@click.argument("name", type=click.Choice(["block_rates", "quality", "ad_reach", "revenue_by_region", "spam_reports"]))
@click.option("--from", "date_from", default=None, help="First day (default: 30 days before --to).")
@click.option("--to", "date_to", default=None, help="Last day (default: the last day in the data).")
@click.option("--region", default=None, help="Only this region (e.g. 'Asia Pacific').")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.pass_context
def metrics(ctx, name, date_from, date_to, region, fmt) -> None:
    """Print a metric table as docs/metrics.md defines it."""
    from trustdesk.analytics.metrics import MetricError, Period, compute
    from trustdesk.warehouse import NoData, open_current

    root = _root(ctx)
    try:
        wh = open_current(root)
    except NoData as exc:
        raise UserError(str(exc)) from exc
    try:
        last = _parse_date(date_to, "--to") or wh.date_range()[1] or date.today()
        first = _parse_date(date_from, "--from") or Period.last(30, last).date_from
        df = compute(wh, name, Period(first, last), region)
    except MetricError as exc:
        raise UserError(str(exc)) from exc
    finally:
        wh.close()
    _write_table(df, fmt)


# --------------------------------------------------------------------------- quarantine

@cli.command()
@click.option("--load", "load_id", type=int, default=None, help="Only rows of this load.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.pass_context
def quarantine(ctx, load_id, fmt) -> None:
    """List quarantined rows with file, line and reasons."""
    from trustdesk.data.loads import quarantined_rows
    from trustdesk.warehouse import NoData, open_current

    try:
        wh = open_current(_root(ctx))
    except NoData as exc:
        raise UserError(str(exc)) from exc
    try:
        df = quarantined_rows(wh, load_id=load_id)
    finally:
        wh.close()
    _write_table(df, fmt)


# --------------------------------------------------------------------------- review queue

def _open_wh(root: Path):
    from trustdesk.warehouse import NoData, open_current

    try:
        return open_current(root)
    except NoData as exc:
        raise UserError(str(exc)) from exc


@cli.command()
@click.option("--as-of", "as_of", default=None, help="Judge the days up to this one (default: the last day in the data).")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N businesses.")
@click.option("--lookback", type=click.IntRange(1), default=None, help="Days before --as-of whose flags count (default: setting risk_lookback_days, 30).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.pass_context
def queue(ctx, as_of, limit, lookback, fmt) -> None:
    """Print the review queue, highest risk first (decided cases left out)."""
    from trustdesk.moderation.cases import Store
    from trustdesk.moderation.risk import queue as review_queue

    root = _root(ctx)
    wh = _open_wh(root)
    try:
        with Store(root) as store:
            settled = store.decided_as_of()
        result = review_queue(wh, _parse_date(as_of, "--as-of"), lookback, settled=settled)
    finally:
        wh.close()
    table = result.table.head(limit) if limit else result.table
    _write_table(table, fmt)


@cli.command()
@click.option("--truth", "truth_file", required=True, type=click.Path(dir_okay=False, exists=True), help="truth.csv from `trustdesk generate`.")
@click.option("--k", type=click.IntRange(1), default=None, help="Top k of the queue (default: the number of planted bad actors).")
@click.option("--as-of", "as_of", default=None)
@click.option("--lookback", type=click.IntRange(1), default=None, help="Days whose flags count (default: the whole data range, like the truth).")
@click.pass_context
def evaluate(ctx, truth_file, k, as_of, lookback) -> None:
    """Score the review queue against planted ground truth: precision@k, recall@k."""
    import polars as pl

    from trustdesk.moderation.risk import evaluate as score
    from trustdesk.moderation.risk import queue as review_queue

    try:
        truth = pl.read_csv(truth_file, infer_schema=False)
        if not {"business_id", "archetype"} <= set(truth.columns):
            raise UserError(f"{truth_file} needs the columns business_id and archetype")
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise UserError(f"{truth_file} could not be read as CSV ({exc})") from exc
    wh = _open_wh(_root(ctx))
    try:
        first, last = wh.date_range()
        end = _parse_date(as_of, "--as-of") or last
        days = lookback or ((end - first).days + 1 if first and end else 30)
        result = review_queue(wh, end, days)
    finally:
        wh.close()
    ev = score(result.table, truth, k)
    click.echo(f"queue as of {result.as_of}, flags over {result.lookback} days: {result.table.height} businesses")
    click.echo(f"planted bad actors: {ev.planted}; top {ev.k}: {ev.found} of them")
    click.echo(f"precision@{ev.k}: {ev.precision:.3f}")
    click.echo(f"recall@{ev.k}: {ev.recall:.3f}")
    if ev.false_positives:
        click.echo(f"false positives: {', '.join(ev.false_positives)}")
    if ev.missed:
        click.echo(f"missed: {', '.join(ev.missed)}")
    if ev.hard_negatives_in_top_k:
        click.echo(f"hard negatives in the top {ev.k}: {', '.join(ev.hard_negatives_in_top_k)}")


# --------------------------------------------------------------------------- users

@cli.group()
def users() -> None:
    """Sign-in accounts: add (or update), list, remove."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["analyst", "moderator", "admin"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--email", default=None, help="E-mail for single sign-on (OpenID Connect).")
@click.pass_context
def users_add(ctx, name, role, password_stdin, email) -> None:
    """Create or update account NAME. Without --password-stdin, asks for a password on a terminal
    or, when there is none, makes a random one and prints it once."""
    from trustdesk.accounts import auth

    root = _root(ctx)
    shown = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    elif email:
        password = None
    else:
        password = shown = auth.random_password()
    try:
        what = auth.upsert_account(root, name, role, password, email=email, actor=f"cli:{_os_user()}")
    except auth.AuthError as exc:
        raise UserError(str(exc)) from exc
    click.echo(f"{what} {name} ({role})")
    if shown:
        click.echo(f"password (shown once): {shown}")


@users.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def users_list(ctx, fmt) -> None:
    """List accounts (never passwords)."""
    from trustdesk.accounts import auth

    rows = auth.list_accounts(_root(ctx))
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no accounts yet: trustdesk users add NAME --role analyst|moderator|admin")
    for r in rows:
        lock = f", locked until {r['locked_until']}" if r["locked_until"] else ""
        email = f" <{r['email']}>" if r["email"] else ""
        click.echo(f"{r['name']:<24} {r['role']:<10}{email}{lock}")


@users.command("remove")
@click.argument("name")
@click.pass_context
def users_remove(ctx, name) -> None:
    """Remove account NAME."""
    from trustdesk.accounts import auth

    if not auth.remove_account(_root(ctx), name, actor=f"cli:{_os_user()}"):
        raise UserError(f"there is no account named {name}")
    click.echo(f"removed {name}")


@users.command("lock")
@click.argument("name")
@click.option("--minutes", type=click.IntRange(min=1), default=None,
              help="Lock for this long; without it the account stays locked until unlocked.")
@click.pass_context
def users_lock(ctx, name, minutes) -> None:
    """Lock account NAME: its open sessions end at once and it cannot sign in."""
    from trustdesk.accounts import auth

    if not auth.lock_account(_root(ctx), name, minutes, actor=f"cli:{_os_user()}"):
        raise UserError(f"there is no account named {name}")
    click.echo(f"locked {name}" + (f" for {minutes} min" if minutes else " until unlocked"))


@users.command("unlock")
@click.argument("name")
@click.pass_context
def users_unlock(ctx, name) -> None:
    """Unlock account NAME."""
    from trustdesk.accounts import auth

    if not auth.unlock_account(_root(ctx), name, actor=f"cli:{_os_user()}"):
        raise UserError(f"there is no account named {name}")
    click.echo(f"unlocked {name}")


def _os_user() -> str:
    from etl.ingest.load import current_user

    return current_user()


def ensure_first_accounts(root: Path) -> None:
    """First run: demo accounts with random passwords, printed once, so a newcomer can sign in."""
    from trustdesk.accounts import auth

    made = auth.create_demo_accounts(root)
    if not made:
        return
    click.echo("\nFirst run: created one account per role. Passwords are shown only now:", err=True)
    for role, password in made.items():
        click.echo(f"  name: {role:<10} password: {password}", err=True)
    click.echo("Add real accounts with `trustdesk users add NAME --role ...`; "
               "remove these with `trustdesk users remove NAME`.\n", err=True)


# --------------------------------------------------------------------------- demo and serve

def _has_data(root: Path) -> bool:
    from etl import store

    return store.read_pointer(root) is not None


def run_demo(root: Path, quiet: bool = False) -> bool:
    """Generate and load a modest world when the data directory is empty. True when it did."""
    from etl.synth.generate import generate_world
    from etl.ingest.load import load_files

    if _has_data(root):
        return False
    world = root / "demo-world"
    say = (lambda m: None) if quiet else (lambda m: click.echo(m, err=True))
    say(f"no data in {root}: generating a demo world ({DEMO['messages']:,} messages) ...")
    with _progress("generating demo world", DEMO["messages"]) as update:
        generate_world(world, seed=DEMO["seed"], businesses=DEMO["businesses"], days=DEMO["days"],
                       messages=DEMO["messages"], progress=lambda d, t: update(d, t))
    files = sorted(p for p in world.glob("*.csv") if not _is_truth_file(p))
    say(f"loading {len(files)} files ...")
    with _progress("loading demo world", len(files) + 1) as update:
        names = [f.name for f in files]
        results = load_files(
            root, files, user="demo",
            progress=lambda f, s, x: update((names.index(f) if f in names else len(names)) + x,
                                            len(names) + 1, f"{f or 'marts'}: {s}"),
        )
    for r in results:
        say(f"  {r.file}: {r.loaded:,} rows loaded")
    say(f"demo data ready; ground truth for `trustdesk evaluate` is in {world / 'truth.csv'}")
    return True


@cli.command()
@click.pass_context
def demo(ctx) -> None:
    """First run: when the data directory holds no data, generate a modest world and load it."""
    root = _root(ctx)
    if not _guard(lambda: run_demo(root)):
        click.echo(f"{root} already holds data; nothing to do (see `trustdesk status`)")


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--no-demo", is_flag=True, help="Do not create demo data in an empty data directory.")
@click.pass_context
def serve(ctx, no_demo) -> None:
    """Start the dashboard (streamlit run app.py) on this data directory; extra options go to streamlit."""
    root = _root(ctx)
    if not no_demo:
        _guard(lambda: run_demo(root))
    ensure_first_accounts(root)
    env = dict(os.environ, TRUSTDESK_DATA=str(root))
    # The server replaces this process, so a service manager's SIGTERM or a terminal's Ctrl-C
    # reaches it directly and nothing is left serving the port.
    cmd = [sys.executable, "-m", "trustdesk.web.serve", *ctx.args]
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(config.REPO_ROOT)
    os.execve(sys.executable, cmd, env)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("trustdesk: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
