"""`trustdesk webhook`: the live receiver for WhatsApp Cloud API deliveries, and its inbox fold."""

from __future__ import annotations

import threading

import click

from etl.settings import Settings
from trustdesk.cli.common import UserError, root
from trustdesk.webhook import WebhookConfigError, fold_every, load_secrets, serve
from trustdesk.webhook.fold import load_batch


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8787, show_default=True, type=int, help="Port to listen on (0 picks a free one).")
@click.option(
    "--fold-every",
    "fold_seconds",
    default=None,
    type=click.IntRange(min=0),
    help="Fold the inbox into the store every this many seconds (0: only `trustdesk load --inbox` "
    "folds); default: the webhook_fold_seconds setting.",
)
@click.pass_context
def webhook(ctx, host, port, fold_seconds) -> None:
    """Receive WhatsApp Cloud API webhooks on /webhook into the inbox, and fold it into the store.

    Secrets from TRUSTDESK_WEBHOOK_VERIFY_TOKEN and TRUSTDESK_APP_SECRET (or .streamlit/secrets.toml),
    never from the command line. Folds the inbox into the store every --fold-every seconds, exactly
    once per body, as `trustdesk load --inbox` does."""
    data_root = root(ctx)
    if fold_seconds is None:
        fold_seconds = Settings.load(data_root).webhook_fold_seconds
    try:
        secrets = load_secrets()
    except WebhookConfigError as exc:
        raise UserError(str(exc).removeprefix("trustdesk webhook: ")) from exc
    stop = threading.Event()
    if fold_seconds > 0:

        def complain(exc: Exception) -> None:
            click.echo(f"trustdesk webhook: folding the inbox failed ({exc}); it is retried", err=True)

        threading.Thread(
            target=fold_every,
            name="trustdesk-fold",
            daemon=True,
            args=(data_root, lambda batch: load_batch(data_root, batch), fold_seconds, stop),
            kwargs={"on_error": complain},
        ).start()
    try:
        serve(host, port, data_root, secrets=secrets, announce=click.echo)
    except WebhookConfigError as exc:
        raise UserError(str(exc).removeprefix("trustdesk webhook: ")) from exc
    finally:
        stop.set()
