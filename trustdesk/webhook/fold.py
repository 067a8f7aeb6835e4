"""The fold's callback: a batch of the inbox loads through the same loader as any webhook archive.

from trustdesk.webhook.fold import fold
fold(root)   # every stored body not yet folded, exactly once (trustdesk load --inbox)
"""

from __future__ import annotations

from pathlib import Path

from etl.ingest.load import load_files
from trustdesk.webhook.inbox import FoldResult, InboxBatch, fold_inbox


def load_batch(root: Path, batch: InboxBatch, results: list | None = None) -> None:
    """Load one batch (one body per line) as WhatsApp webhook bodies. A batch the reader cannot use
    at all (no WhatsApp body in it) comes back from the loader as a rejected load, recorded in the
    load history, and the fold goes on: raising would stop the inbox at that batch for good."""
    out = load_files(Path(root), [batch.path], source="whatsapp_webhook")
    if results is not None:
        results.extend(out)


def fold(root: Path, results: list | None = None, **options) -> FoldResult:
    """Fold the inbox of the data directory `root` into the store; `results` collects the loader's
    FileResults (one per batch)."""
    return fold_inbox(Path(root), lambda batch: load_batch(root, batch, results), **options)
