"""`trustdesk outbox`: decisions on their way to the platform (trustdesk/moderation/outbox.py).

The command line acts as the local operator, an admin: whoever may run it owns the data directory.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from datetime import datetime

import click

from trustdesk.accounts.auth import AuthError, Principal, utcnow
from trustdesk.cli.common import UserError, os_user, root
from trustdesk.moderation import outbox as box


def operator() -> Principal:
    return Principal(f"cli:{os_user()}", "admin")


def _guarded(fn):
    try:
        return fn()
    except (box.OutboxError, AuthError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    except OSError as exc:
        raise UserError(f"{exc.strerror or exc}: {exc.filename or ''}".strip(": ")) from exc


def _age(since: datetime | None) -> str:
    if since is None:
        return ""
    seconds = max(0, int((utcnow() - since).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:,.1f} h"


@click.group()
def outbox() -> None:
    """Deliveries of decisions to the platform: status, deliver, retry, configure."""


@outbox.command("status")
@click.pass_context
def status(ctx) -> None:
    """How many deliveries are pending, delivered and failed, and how old the oldest pending one is."""
    view = _guarded(lambda: box.deliveries(root(ctx), operator()))
    if view.endpoint:
        click.echo(f"endpoint: {view.endpoint}" + (" (signing secret set)" if view.has_secret else ""))
    if view.problem:
        click.echo(f"note: {view.problem}")
    pending = view.counts["pending"]
    oldest = f" (oldest waiting {_age(view.oldest_pending_at)})" if pending else ""
    click.echo(f"pending: {pending:,}{oldest}")
    click.echo(f"delivered: {view.counts['delivered']:,}")
    click.echo(f"failed: {view.counts['failed']:,}")
    if view.counts["failed"]:
        click.echo("retry failed deliveries with: trustdesk outbox retry --all-failed")


@outbox.command("deliver")
@click.option("--once", is_flag=True, help="Send every delivery due now once, then exit.")
@click.pass_context
def deliver(ctx, once) -> None:
    """Send due deliveries now, as the dashboard does in the background; without --once, keep
    sending until interrupted (Ctrl-C)."""
    data_root = root(ctx)
    said = logging.StreamHandler()
    said.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    box.log.addHandler(said)
    box.log.setLevel(logging.INFO)
    if once:
        done = _guarded(lambda: box.deliver_due(data_root))
        if done.problem:
            raise UserError(done.problem)
        click.echo(f"delivered: {done.delivered}, to retry later: {done.retrying}, failed: {done.failed}")
        return
    probe = _guarded(lambda: box.deliveries(data_root, operator()))
    if probe.problem:
        raise UserError(probe.problem)
    click.echo(f"delivering to {probe.endpoint} until interrupted (Ctrl-C) ...", err=True)
    try:
        box.run(data_root, threading.Event())
    except KeyboardInterrupt:
        # A delivery cut off here was maybe received: its row is sent again later, with the same key.
        click.echo("stopped", err=True)


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=click.IntRange(min=1))
@click.option("--all-failed", is_flag=True, help="Retry every failed delivery.")
@click.pass_context
def retry(ctx, ids, all_failed) -> None:
    """Put failed deliveries IDS (the numbers `status` and the Deliveries page show) back in the
    queue, due now, with a fresh round of attempts."""
    if bool(ids) == all_failed:
        raise UserError("name the failed deliveries to retry (their numbers), or give --all-failed")
    data_root = root(ctx)
    if all_failed:
        done = _guarded(lambda: box.retry_all_failed(data_root, operator()))
    else:
        done = _guarded(lambda: box.retry(data_root, operator(), list(ids)))
    if not done:
        click.echo("no failed deliveries to retry")
        return
    click.echo(f"retrying {len(done)} deliver{'y' if len(done) == 1 else 'ies'}: {', '.join(map(str, done))}")


@outbox.command("configure")
@click.option("--url", required=True, help="The platform's HTTPS endpoint that receives decisions.")
@click.pass_context
def configure(ctx, url) -> None:
    """Set the endpoint decisions are delivered to, and its signing secret, read from the
    TRUSTDESK_OUTBOX_SECRET environment variable or asked for on a terminal (never an argument);
    with neither, the secret already set is kept."""
    secret = os.environ.get(box.SECRET_ENV) or None
    if secret is None and sys.stdin.isatty():
        secret = click.prompt(
            "Signing secret (empty: keep the current one)", hide_input=True, default="", show_default=False
        )
    data_root = root(ctx)
    _guarded(lambda: box.configure(data_root, operator(), url, secret or None))
    click.echo(f"deliveries go to {url.strip()}" + (" with the new signing secret" if secret else ""))
