"""Altair charts that several pages draw the same way."""

from __future__ import annotations

import altair as alt
import polars as pl

from trustdesk import colors


def trend_panels(trends: pl.DataFrame, order: list[str], columns: int, panel_width: int) -> alt.FacetChart:
    """One small line chart per measure (long frame: day, measure, value), each on its own scale."""
    return (
        alt.Chart(trends)
        .mark_line(point=True, color=colors.MEASURE_COLOR)
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format="~s")),
            tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("measure:N", title="Measure"),
                     alt.Tooltip("value:Q", title="Value", format=",.2~f")],
        )
        .properties(height=150, width=panel_width)
        .facet(facet=alt.Facet("measure:N", title=None, sort=order), columns=columns)
        .resolve_scale(y="independent")
    )
