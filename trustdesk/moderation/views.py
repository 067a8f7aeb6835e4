"""What each moderation page draws, in one call per page, composed from the review queue
(`review`), the cases store and the business file (`business`).

`read(fn, wh, *args)` runs a warehouse read; pages pass their cache (`trustdesk.web.cache.cached`),
the command line and tests the plain call. The store is read afresh on every call: cases change
between two runs of a page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from etl.settings import Settings
from trustdesk.accounts.auth import Principal
from trustdesk.analytics.metrics import Period
from trustdesk.moderation import business, review
from trustdesk.moderation.cases import ModeratorMetrics
from trustdesk.warehouse import Warehouse


def call(fn: Callable, wh: Warehouse, *args):
    return fn(wh, *args)


# --------------------------------------------------------------------------- the business page


@dataclass
class BusinessPage:
    file: business.BusinessFile
    cases: review.CaseFile


def business_page(
    wh: Warehouse, who: Principal, business_id: str, period: Period, read: Callable = call
) -> BusinessPage:
    """The business's file over `period` (from the warehouse) and its cases (from the store)."""
    file = read(business.business_file, wh, business_id, period, Settings.load(wh.root))
    return BusinessPage(file, review.case_file(wh.root, who, business_id))


def business_choices(wh: Warehouse, who: Principal, read: Callable = call) -> pl.DataFrame:
    """The businesses to choose from on the business page (see `review.queue_businesses`)."""
    return review.queue_businesses(wh, who, lambda *args: read(review.flags, *args))


# --------------------------------------------------------------------------- the review queue


@dataclass
class QueuePage:
    queue: review.ReviewQueue
    cases: dict[int, dict]  # every active case, flagged or not, by id: the cases one can work on
    workable: pl.DataFrame  # the open or claimed cases, to decide several at once

    @property
    def snoozed_hidden(self) -> pl.DataFrame:
        return self.queue.table.filter(self.queue.table["snoozed_until"].is_null())


def review_queue(wh: Warehouse, who: Principal, read: Callable = call) -> QueuePage:
    """The queue (syncing new flags into cases first), and every case in it or elsewhere."""
    q = review.open_queue(wh, who, lambda *args: read(review.flags, *args))
    cases = {r["case_id"]: r for r in q.table.filter(q.table["case_id"].is_not_null()).iter_rows(named=True)}
    cases |= {r["case_id"]: r for r in q.elsewhere.iter_rows(named=True)}
    return QueuePage(q, cases, q.workable())


# --------------------------------------------------------------------------- moderator metrics


@dataclass
class MetricsPage:
    metrics: ModeratorMetrics
    decisions: int  # decisions taken, all moderators

    @property
    def oldest_wait_hours(self) -> float | None:
        waiting = self.metrics.waiting
        return float(waiting["age_hours"].max()) if waiting.height else None


def metrics_page(root: Path, who: Principal) -> MetricsPage:
    m = review.moderator_metrics(root, who)
    by = m.decisions_by_moderator
    return MetricsPage(m, int(by["decisions"].sum()) if by.height else 0)
