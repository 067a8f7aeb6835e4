"""What every command shares: the data directory, one-sentence errors, progress, table output."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from etl import settings
from etl.build import ReferenceError_
from etl.ingest.load import current_user
from etl.store import StoreBusy
from trustdesk import appdb
from trustdesk.analytics.metrics import as_json
from trustdesk.data.export import safe_csv
from trustdesk.warehouse import NoData, Warehouse, open_current


class UserError(click.ClickException):
    """Printed as one sentence, no traceback."""

    def show(self, file=None):
        click.echo(f"trustdesk: {self.message}", err=True)


def root(ctx: click.Context) -> Path:
    """The data directory. Every command asks for it before opening a store, so this is where the
    command's context learns to turn an unreachable moderation store into one sentence."""
    if not ctx.meta.get(_STORE_ERRORS):
        ctx.meta[_STORE_ERRORS] = True
        ctx.with_resource(_store_errors())
    return settings.data_dir(ctx.obj.get("data_dir"))


_STORE_ERRORS = "trustdesk.store_errors"


@contextmanager
def _store_errors():
    # Click hands the exception a command raised to the resources of its context (with_resource)
    # before its own handling, which prints a UserError as one line.
    try:
        yield
    except appdb.StoreUnavailable as exc:
        raise UserError(str(exc)) from None


def load_settings(data_root: Path) -> settings.Settings:
    """The data directory's settings, or one sentence on what is wrong with settings.json."""
    try:
        return settings.Settings.load(data_root)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def os_user() -> str:
    return current_user()


@contextmanager
def progress(description: str, total: float | None = None):
    """A rich progress bar on a terminal; silence when piped (CI, scripts)."""
    if not sys.stderr.isatty():
        yield lambda done, total_=None, text=None: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        transient=True,
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(description, total=total or 1.0)

        def update(done, total_=None, text=None):
            bar.update(task, completed=done, total=total_ or total or 1.0, description=text or description)

        yield update


def guard(fn):
    """Turn the errors a person can act on into one sentence."""
    try:
        return fn()
    except (StoreBusy, appdb.StoreUnavailable, ReferenceError_, ValueError) as exc:
        raise UserError(str(exc)) from exc
    except OSError as exc:
        raise UserError(f"{exc.strerror or exc}: {exc.filename or ''}".strip(": ")) from exc


def parse_date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UserError(f"{flag} {value!r} is not a date like 2026-09-30") from exc


def open_wh(data_root: Path) -> Warehouse:
    try:
        return open_current(data_root)
    except NoData as exc:
        raise UserError(str(exc)) from exc


def write_table(df, fmt: str) -> None:
    """Every table the command prints: JSON with exact money, CSV through the one formula-safe
    writer (`trustdesk.data.export.safe_csv`, as the dashboard's downloads)."""
    if fmt == "json":
        click.echo(as_json(df))
    else:
        sys.stdout.write(safe_csv(df))
