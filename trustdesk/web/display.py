"""How a page draws a headline, a chart of `trustdesk.web.charts`, or a row of trend panels."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from trustdesk.web import charts, formats
from trustdesk.web.formats import HEADLINE


def metric(
    where,
    label: str,
    value,
    kind: str = "number",
    delta: str | None = None,
    *,
    digits: int | None = None,
    help: str | None = None,
    delta_color: str = "normal",
) -> None:
    """A headline: `value` formatted by `kind` (number, usd, percent, per_1000), abbreviated when
    large with the exact value in the help."""
    short, exact = HEADLINE[kind]
    extra = {} if digits is None else {"digits": digits}
    shown, full = short(value, **extra), exact(value, **extra)
    if shown != full:
        help = f"{help}\n\nExact: {full}" if help else f"Exact: {full}"
    where.metric(label, shown, delta, delta_color=delta_color, help=help)


@dataclass(frozen=True)
class Headline:
    """One headline of a row: the period's `key`, with its delta against the previous period."""

    label: str
    key: str
    kind: str = "number"
    delta: str | None = "change"  # "change" (relative), "points" (rate points), or None: not compared
    digits: int | None = None
    help: str | None = None
    delta_color: str = "normal"
    none_as_zero: bool = False  # a sum over no rows is nothing counted, not unknown


DELTAS = {"change": formats.change, "points": formats.points}


def headlines(now: dict, before: dict, row: list[Headline]) -> None:
    """A row of headlines, one column each, from the totals of the period and of the one before."""
    for where, spec in zip(st.columns(len(row)), row, strict=True):
        value = now[spec.key]
        delta = None if spec.delta is None else DELTAS[spec.delta](value, before[spec.key])
        metric(
            where,
            spec.label,
            (value or 0) if spec.none_as_zero else value,
            spec.kind,
            delta,
            digits=spec.digits,
            help=spec.help,
            delta_color=spec.delta_color,
        )


def chart(drawn, what: str) -> None:
    """A chart of trustdesk.web.charts, or, when it has nothing to draw (None), a line saying so."""
    if drawn is None:
        st.info(f"No {what} in this period for these filters: nothing to chart.", icon=":material/bar_chart:")
    else:
        st.altair_chart(drawn, width="stretch")


def trends(frame, order: list[str], columns: int, panel_width: int, money=()) -> None:
    """Per-measure trend panels; the measures with nothing to draw are named instead of drawn flat."""
    empty = charts.empty_measures(frame, order)
    drawn = charts.trend_panels(frame, order, columns=columns, panel_width=panel_width, money=money)
    if drawn is not None:
        st.altair_chart(drawn, width="stretch")
    if empty:
        names = ", ".join(empty[:-1]) + (" or " if len(empty) > 1 else "") + empty[-1]
        st.info(f"No {names} in this period for these filters: nothing to chart.", icon=":material/bar_chart:")
