"""The colour of each region, business category, message category, reason and rating, once, and
the label of each missing value.

Every chart takes its scale from here, so Europe or `finance` has the same colour on every page
(and in the legend of every chart), whichever subset of values a chart happens to show. A value
the logs leave empty is shown with the one label below in every chart, table and text, never as
"null", "None" or a page's own wording.
"""

from __future__ import annotations

from collections.abc import Callable

import altair as alt

from etl.contract import BLOCK_REASONS, BUSINESS_CATEGORIES, REPORT_REASONS
from trustdesk.analytics.views import NO_REASON

# Labels of missing values (the read side fills them in, so the CSV says the same).
MISSING = "–"  # a number that cannot be computed (no rate over 0 users, no previous period)

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
# The shipped reference data's regions; a region only a replaced markets.csv names takes the
# next colour of the scheme (Vega extends an ordinal domain with the values it meets).
REGION_COLORS = {
    "Asia Pacific": "#E69F00",
    "Europe": "#0072B2",
    "Latin America": "#009E73",
    "Middle East & Africa": "#D55E00",
    "North America": "#CC79A7",
    "Other": "#999999",
}

# Tableau 20 (dark tones first), one per category; `unknown` (no businesses file row) is grey.
CATEGORY_COLORS = dict(
    zip(
        (*BUSINESS_CATEGORIES, "unknown"),
        (
            "#4E79A7",
            "#F28E2B",
            "#E15759",
            "#76B7B2",
            "#59A14F",
            "#EDC948",
            "#B07AA1",
            "#FF9DA7",
            "#9C755F",
            "#1F77B4",
            "#8CD17D",
            "#86BCB6",
            "#BAB0AC",
        ),
    )
)

# Revenue streams: the billable rate-card categories of messages, plus Status ads.
STREAM_COLORS = {"marketing": "#4C72B0", "utility": "#55A868", "authentication": "#8172B3", "ads": "#C44E52"}

REPORT_REASON_COLORS = dict(zip(REPORT_REASONS, ("#D62728", "#8C564B", "#FF7F0E", "#9467BD", "#7F7F7F")))
BLOCK_REASON_COLORS = dict(
    zip((*BLOCK_REASONS, NO_REASON), ("#17BECF", "#BCBD22", "#D62728", "#FF7F0E", "#7F7F7F", "#C7C7C7"))
)
RATING_COLORS = {"HIGH": "#2CA02C", "MEDIUM": "#F2B701", "LOW": "#D62728", "UNKNOWN": "#AAAAAA"}
RATINGS = tuple(RATING_COLORS)

MEASURE_COLOR = "#4C72B0"
ALERT_COLOR = "#D62728"


def _scale(colors: dict[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(colors), range=list(colors.values()))


def _encoding(colors: dict[str, str], field: str, title: str | None) -> Callable[..., alt.Color]:
    """A colour encoding of `field` on the fixed palette `colors`, so a value keeps its colour on every chart."""

    def encode(field: str = field, title: str | None = title, **kw) -> alt.Color:
        return alt.Color(f"{field}:N", scale=_scale(colors), title=title, **kw)

    return encode


region = _encoding(REGION_COLORS, "region", "Region")
category = _encoding(CATEGORY_COLORS, "category", "Business category")
stream = _encoding(STREAM_COLORS, "stream", "Revenue stream")
report_reason = _encoding(REPORT_REASON_COLORS, "reason", "Reason")
block_reason = _encoding(BLOCK_REASON_COLORS, "reason", "Reason")
rating = _encoding(RATING_COLORS, "rating", "Quality rating")


# What users did about a business, on the business page: the same colour in its bars and lines.
FEEDBACK_COLORS = {"reports": "#c62828", "blocks": "#6a1b9a", "marketing opt-outs": "#ef6c00"}
# The data quality page's marks on a kind's rows per day.
DAY_FLAG_COLORS = {"gap": "#c62828", "spike": "#ef6c00", "dip": "#6a1b9a"}
NEUTRAL_COLOR = "#9e9e9e"  # a line that only joins the coloured marks
VOLUME_COLOR = "#90caf9"  # messages sent, behind the feedback
THRESHOLD_COLOR = "#555555"


feedback = _encoding(FEEDBACK_COLORS, "what", None)
day_flag = _encoding(DAY_FLAG_COLORS, "flag", None)
