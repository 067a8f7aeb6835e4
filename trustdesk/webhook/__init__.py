"""The live receiver for WhatsApp Cloud API webhook deliveries, and the fold of its inbox.

    from trustdesk.webhook import serve, fold_inbox
    serve("127.0.0.1", 8787, root)                # blocks; secrets from the environment
    fold_inbox(root, lambda batch: load(batch.path))  # exactly once per stored body

`python -m trustdesk.webhook [--host H] [--port P] [--data-dir D]` runs `main()`.
"""

from trustdesk.webhook.app import DEFAULT_HOST, DEFAULT_PORT, MAX_BODY_BYTES, create_app, main, serve
from trustdesk.webhook.inbox import FoldBusy, FoldResult, InboxBatch, fold_every, fold_inbox, inbox_dir
from trustdesk.webhook.secrets import ENV_APP_SECRET, ENV_VERIFY_TOKEN, Secrets, WebhookConfigError, load_secrets

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "MAX_BODY_BYTES",
    "create_app",
    "main",
    "serve",
    "FoldBusy",
    "FoldResult",
    "InboxBatch",
    "fold_every",
    "fold_inbox",
    "inbox_dir",
    "ENV_APP_SECRET",
    "ENV_VERIFY_TOKEN",
    "Secrets",
    "WebhookConfigError",
    "load_secrets",
]
