import streamlit as st

from trustdesk.data.dataquality import SPIKE_FACTOR, report
from trustdesk.web import cache, charts, columns, formats, page, session, tables
from trustdesk.web.colors import MISSING

viewer = session.require("analyst")
wh = page.start("Data quality")
dq = cache.cached(report, wh)

cols = st.columns(3)
cols[0].metric("First day", formats.day(dq.first_day))
cols[1].metric("Last day", formats.day(dq.last_day))
cols[2].metric("Warehouse version", f"{dq.version}")
built = formats.timestamp(dq.built_at)
st.caption(f"Warehouse version {dq.version} was built {'at an unknown time' if built == MISSING else built}.")
st.dataframe(dq.rows_table, hide_index=True, column_config=columns.LOADED_ROWS)

st.subheader("Rows per day")
st.caption(
    f"Loaded rows per kind and day. Marked: days without rows (gap), days with more than "
    f"{SPIKE_FACTOR:g} times the kind's median day (spike), and days with less than that median "
    f"divided by {SPIKE_FACTOR:g} (dip)."
)
if dq.rows_by_day.is_empty():
    st.info("No events are loaded yet.")
else:
    st.altair_chart(charts.rows_per_day(dq.rows_by_day), width="stretch")
    tables.checked(dq.flagged_days, columns.FLAGGED_DAYS, "No gaps, spikes or dips.")

st.subheader("Businesses and campaigns no file has defined")
st.caption(
    "Events may name a business or campaign before its row arrives (late dimensions). These show "
    "as unknown on the other pages until a businesses or ad_campaigns file defines them."
)
tables.checked(dq.undefined, columns.UNDEFINED, "Every business and campaign that events name is defined.")

st.subheader("User countries with no market")
st.caption(
    "Countries in messages and ad events that markets.csv does not list: their messages have no "
    "price and their users count in region Other."
)
tables.checked(dq.countries_without_market, columns.COUNTRIES_WITHOUT_MARKET, "Every user country has a market.")

st.subheader("Markets with no price for a category")
st.caption(
    "Pricing markets with no rate_card.csv price for a billable category, or a first price after "
    "the data's first day: outbound messages of that category earn nothing until then."
)
tables.checked(
    dq.markets_without_price,
    columns.MARKETS_WITHOUT_PRICE,
    "Every market has a price for every billable category from the first day of data.",
)
page.footer(wh)
