from datetime import datetime

import altair as alt
import polars as pl
import streamlit as st

from trustdesk.web import ui
from trustdesk.data.dataquality import SPIKE_FACTOR, report

DAY = "DD MMM YYYY"  # every table's days


def day(value) -> str:
    return "–" if value is None else f"{value:%d %b %Y}"


def built(iso: str | None) -> str:
    try:
        return f"{datetime.fromisoformat(iso):%d %b %Y %H:%M} UTC"
    except (TypeError, ValueError):
        return "at an unknown time"


viewer = ui.require("analyst")
st.title("Data quality")
wh = ui.warehouse()
if wh is None:
    st.stop()
dq = ui.cached(report, wh)

cols = st.columns(3)
cols[0].metric("First day", day(dq.first_day))
cols[1].metric("Last day", day(dq.last_day))
cols[2].metric("Warehouse version", f"{dq.version}")
st.caption(f"Warehouse version {dq.version} was built {built(dq.built_at)}.")
st.dataframe(pl.DataFrame({"kind": list(dq.rows), "loaded rows": list(dq.rows.values())}),
             hide_index=True, column_config={"kind": st.column_config.TextColumn("Kind"),
                                             "loaded rows": st.column_config.NumberColumn("Loaded rows",
                                                                                           format="localized")})

st.subheader("Rows per day")
st.caption(
    f"Loaded rows per kind and day. Marked: days without rows (gap), days with more than "
    f"{SPIKE_FACTOR:g} times the kind's median day (spike), and days with less than that median "
    f"divided by {SPIKE_FACTOR:g} (dip)."
)
if dq.rows_by_day.is_empty():
    st.info("No events are loaded yet.")
else:
    base = alt.Chart().encode(x=alt.X("day:T", title=None), y=alt.Y("rows:Q", title=None))
    line = base.mark_line()
    marks = base.transform_filter("datum.flag != null").mark_point(size=60, filled=True).encode(
        color=alt.Color("flag:N", title=None, scale=alt.Scale(domain=["gap", "spike", "dip"],
                                                              range=["#c62828", "#ef6c00", "#6a1b9a"])),
        tooltip=[alt.Tooltip("day:T"), "kind:N", alt.Tooltip("rows:Q", format=","), "flag:N"],
    )
    chart = (
        alt.layer(line, marks, data=dq.rows_by_day)
        .properties(height=120)
        .facet(row=alt.Row("kind:N", title=None))
        .resolve_scale(y="independent")
    )
    st.altair_chart(chart, width="stretch")
    if dq.flagged_days.is_empty():
        st.success("No gaps, spikes or dips.")
    else:
        st.dataframe(dq.flagged_days, hide_index=True, column_config={
            "kind": st.column_config.TextColumn("Kind"),
            "day": st.column_config.DateColumn("Day", format=DAY),
            "rows": st.column_config.NumberColumn("Rows", format="localized"),
            "median_rows": st.column_config.NumberColumn("Median day's rows", format="localized"),
            "flag": st.column_config.TextColumn("Flag"),
        })

st.subheader("Businesses and campaigns no file has defined")
st.caption(
    "Events may name a business or campaign before its row arrives (late dimensions). These show "
    "as unknown on the other pages until a businesses or ad_campaigns file defines them."
)
if dq.undefined.is_empty():
    st.success("Every business and campaign that events name is defined.")
else:
    st.dataframe(dq.undefined, hide_index=True, column_config={
        "entity": st.column_config.TextColumn("What"),
        "id": st.column_config.TextColumn("Id"),
        "rows": st.column_config.NumberColumn("Rows naming it", format="localized"),
        **{k: st.column_config.NumberColumn(k.replace("_", " ").capitalize(), format="localized")
           for k in ("messages", "reports", "blocks", "opt_outs", "ad_campaigns", "ad_events")},
        "opt_outs": st.column_config.NumberColumn("Marketing opt-outs", format="localized"),
        "ad_campaigns": st.column_config.NumberColumn("Ad campaigns", format="localized"),
        "first_day": st.column_config.DateColumn("First day", format=DAY),
        "last_day": st.column_config.DateColumn("Last day", format=DAY),
    })

st.subheader("User countries with no market")
st.caption(
    "Countries in messages and ad events that markets.csv does not list: their messages have no "
    "price and their users count in region Other."
)
if dq.countries_without_market.is_empty():
    st.success("Every user country has a market.")
else:
    st.dataframe(dq.countries_without_market, hide_index=True, column_config={
        "country": st.column_config.TextColumn("Country"),
        "messages": st.column_config.NumberColumn("Messages", format="localized"),
        "ad_events": st.column_config.NumberColumn("Ad events", format="localized"),
    })

st.subheader("Markets with no price for a category")
st.caption(
    "Pricing markets with no rate_card.csv price for a billable category, or a first price after "
    "the data's first day: outbound messages of that category earn nothing until then."
)
if dq.markets_without_price.is_empty():
    st.success("Every market has a price for every billable category from the first day of data.")
else:
    st.dataframe(dq.markets_without_price, hide_index=True, column_config={
        "market": st.column_config.TextColumn("Market"),
        "category": st.column_config.TextColumn("Category"),
        "problem": st.column_config.TextColumn("Problem"),
        "countries": st.column_config.NumberColumn("Countries", format="localized"),
        "priced_from": st.column_config.DateColumn("First price from", format=DAY),
        "unpriced_messages": st.column_config.NumberColumn("Messages without a price", format="localized"),
    })
ui.footer(wh)
