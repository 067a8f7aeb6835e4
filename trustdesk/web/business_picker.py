"""The business page's choice of business and of the days its evidence covers.

The business comes from the link (?business=ID), else from the last one opened in this session
(the review queue's "Next case" puts it in both), else from the choice on the page. A flagged
business opens on the days its flag was judged on: the sidebar's last 30 days may hold none of
the abuse (it may have happened weeks before the last day in the data).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from trustdesk.accounts.auth import Principal
from trustdesk.analytics.metrics import Period
from trustdesk.moderation import review, risk, views
from trustdesk.warehouse import Warehouse
from trustdesk.web import cache, filters, page

PICK, LAST = "business_pick", "business"
FLAG, SIDEBAR = "flag", "sidebar"


@dataclass(frozen=True)
class Choice:
    business_id: str
    period: Period  # the days the evidence covers
    period_words: str  # which days those are, for a caption


def choose(wh: Warehouse, who: Principal) -> Choice:
    """Draw the business box, the sidebar's period and footer, and (for a flagged business) the
    evidence period; with no business to choose, say so and end the page."""
    choices = views.business_choices(wh, who, cache.cached)
    names = dict(zip(choices["business_id"], choices["name"], strict=True))
    picked = _business(names)
    sidebar_period = filters.period_filter(wh)
    page.footer(wh)
    flag = review.flag_period(choices, picked)
    if flag and _evidence(picked, flag) == FLAG:
        words = f"the {flag.days:,} days the flag was based on, up to its riskiest day"
        return Choice(picked, flag, words)
    return Choice(picked, sidebar_period, "the sidebar's period")


def select(business_id: str) -> None:
    """Make `business_id` the business the page opens on its next run (from a widget's callback)."""
    st.session_state[PICK] = business_id
    st.session_state[LAST] = business_id


def _business(names: dict[str, str | None]) -> str:
    state = st.session_state
    requested = st.query_params.get(LAST) or state.get(LAST)
    if requested and PICK not in state:
        state[PICK] = requested
    options = list(names)
    if state.get(PICK) and state[PICK] not in names:
        options.insert(0, state[PICK])  # a business from a link that neither the queue nor a case holds
    if not options:
        st.info(
            "No business to show: the review queue is empty and no case is open. Open a business from a "
            "link with `?business=ID`, or come back when the queue has businesses."
        )
        st.stop()
    picked = st.selectbox(
        "Business",
        options,
        key=PICK,
        format_func=lambda b: f"{b} · {names.get(b) or ''}".rstrip(" ·"),
        help="The businesses of the review queue and those with an open case",
    )
    state[LAST] = picked
    if st.query_params.get(LAST) != picked:
        st.query_params[LAST] = picked
    return picked


def _evidence(business_id: str, flag: Period) -> str:
    return st.radio(
        "Evidence period",
        [FLAG, SIDEBAR],
        key=f"evidence-{business_id}",
        horizontal=True,
        format_func=lambda v: (
            f"The flag's {flag.days:,} days ({risk.span(flag.date_from, flag.date_to)})"
            if v == FLAG
            else "The sidebar's period"
        ),
        help="The flag is judged on the trailing days up to the business's riskiest day; its reasons "
        "describe those days",
    )
