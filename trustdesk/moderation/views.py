"""What each moderation page draws, in one call per page, composed from the review queue
(`review`), the cases store and the business file (`business`).

`read(fn, wh, *args)` runs a warehouse read; pages pass their cache (`trustdesk.web.cache.cached`),
the command line and tests the plain call. The store is read afresh on every call: cases change
between two runs of a page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from etl.settings import Settings
from trustdesk.accounts.auth import Principal
from trustdesk.analytics.metrics import Period
from trustdesk.moderation import business, policies, review
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
    queue: review.ReviewQueue  # narrowed to the chosen view
    whole: review.ReviewQueue  # every case the person may work, for the filters' choices
    cases: dict[int, dict]  # every active case in the view, flagged or not, by id: the cases one can work on
    workable: pl.DataFrame  # the open or claimed cases of the view, to decide several at once
    saved: dict[str, review.QueueFilter]  # the person's named views
    policies: dict[str, str]  # code -> title, for the policy filter and the decision forms

    @property
    def snoozed_hidden(self) -> pl.DataFrame:
        t = self.queue.table
        return t.filter(t["snoozed_until"].is_null() & t["on_hold"].is_null())

    def choices(self, column: str) -> list[str]:
        """The values a filter offers: those present in the person's whole queue."""
        t, e = self.whole.table, self.whole.elsewhere
        case_column = {"country": "case_market", "category": "case_category", "suggested_policy": "case_policy"}
        values = set(t[column].drop_nulls().to_list()) if column in t.columns else set()
        other = case_column.get(column, column)
        values |= set(e[other].drop_nulls().to_list()) if other in e.columns else set()
        return sorted(values)


def review_queue(
    wh: Warehouse, who: Principal, read: Callable = call, view: review.QueueFilter | None = None
) -> QueuePage:
    """The queue (syncing new flags into cases first) narrowed to `view`, and every case in it or elsewhere."""
    whole = review.open_queue(wh, who, lambda *args: read(review.flags, *args))
    q = whole.filtered(view or review.QueueFilter())
    cases = {r["case_id"]: r for r in q.table.filter(q.table["case_id"].is_not_null()).iter_rows(named=True)}
    cases |= {r["case_id"]: r for r in q.elsewhere.iter_rows(named=True)}
    titles = {p.code: p.title for p in policies.listed(wh.root)}
    return QueuePage(q, whole, cases, q.workable(), review.saved_views(wh.root, who), titles)
