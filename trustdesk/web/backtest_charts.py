"""The backtest page's chart and table columns (pages/moderation/backtest.py)."""

from __future__ import annotations

import altair as alt
import streamlit as st

from trustdesk.moderation.backtest import Backtest
from trustdesk.web import charts, colors


def precision_recall(shown: Backtest) -> alt.Chart | None:
    """Precision and recall at k of each judged day against the decisions, as lines; None when
    there is nothing to draw (no decisions, or no day with a value)."""
    rows = shown.long()
    if rows.is_empty():
        return None
    return (
        alt.Chart(rows, title=f"Precision and recall of the top {shown.k} against decisions")
        .mark_line(point=True)
        .encode(
            x=charts.day(),
            y=alt.Y(
                "value:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", **charts.Y_LABELS)
            ),
            color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=[
                charts.day_tooltip(),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("value:Q", title="Value", format=".1%"),
            ],
        )
    )


def flagged(shown: Backtest) -> alt.Chart | None:
    """How many businesses the queue flagged on each judged day: what shows before any decision."""
    if shown.frame.is_empty():
        return None
    return (
        alt.Chart(shown.frame, title="Businesses the queue flagged")
        .mark_line(point=True, color=colors.MEASURE_COLOR)
        .encode(
            x=charts.day(),
            y=alt.Y("queue_size:Q", title=None, scale=charts.from_zero(), axis=charts.count_axis(None)),
            tooltip=[charts.day_tooltip(), alt.Tooltip("queue_size:Q", title="Flagged businesses", format=",")],
        )
    )


def table_columns(k: int) -> dict:
    return {
        "day": st.column_config.DateColumn("Day", format="DD MMM YYYY"),
        "k": st.column_config.NumberColumn("k"),
        "queue_size": st.column_config.NumberColumn("Flagged", help="Businesses in the queue as of the day"),
        "labelled_in_top_k": st.column_config.NumberColumn(
            f"Decided in the top {k}", help="Businesses of the top k with any decision, before or after the day"
        ),
        "against_in_top_k": st.column_config.NumberColumn(
            f"Decided against in the top {k}", help="Any decision against the business, not overturned on appeal"
        ),
        "decided_against": st.column_config.NumberColumn(
            "Decided against, flagged in the look-back",
            help="Businesses decided against whose flag falls in the day's look-back: recall's denominator",
        ),
        "precision": st.column_config.NumberColumn(f"Precision@{k}", format="percent"),
        "recall": st.column_config.NumberColumn(f"Recall@{k}", format="percent"),
    }
