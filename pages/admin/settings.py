import streamlit as st

from trustdesk import admin
from trustdesk.web import page, session

viewer = session.require("admin")
root = session.data_root()
st.title("Settings")
st.caption(
    "Stored in `settings.json` in the data directory; `trustdesk` commands read the same file. Pages use "
    "new values on their next run."
)
current = admin.settings(root, viewer)
doc = admin.setting_help()
FLASH = "settings_flash"


chosen: dict = {}


def whole(name: str, label: str, smallest: int, largest: int) -> None:
    chosen[name] = int(st.number_input(label, smallest, largest, current[name], help=doc.get(name)))


def score(name: str, label: str) -> None:
    chosen[name] = float(
        st.number_input(label, 0.0, 100.0, float(current[name]), step=1.0, format="%.1f", help=doc.get(name))
    )


def hours(name: str, label: str) -> None:
    chosen[name] = float(
        st.number_input(label, 0.1, 24.0 * 365, float(current[name]), step=1.0, format="%.1f", help=doc.get(name))
    )


def rate(name: str, label: str) -> None:
    # Rates show in percent everywhere else ("2.0%"); stored as fractions.
    shown = st.number_input(
        label, 0.0, 100.0, round(current[name] * 100, 4), step=0.5, format="%.1f", help=doc.get(name)
    )
    chosen[name] = round(float(shown) / 100, 6)


page.flash(FLASH)

with st.form("settings"):
    st.subheader("Quality rating")
    whole("quality_min_reached", "Reached users below which a business is UNKNOWN", 1, 100_000)
    rate("quality_medium_from", "Negative rate from which the rating is MEDIUM (%)")
    rate("quality_low_from", "Negative rate from which the rating is LOW (%)")
    st.subheader("Review queue")
    whole("risk_window_days", "Trailing days each day is judged on", 1, 90)
    whole("risk_lookback_days", "Days a flag keeps a business in the queue", 1, 3650)
    score("risk_flag_score", "Risk score from which a business is flagged")
    whole("claim_minutes", "Minutes a claim lasts without activity", 1, 24 * 60)
    score("escalate_risk_score", "Risk score from which a case goes straight to the senior queue")
    st.subheader("Service targets and strikes")
    hours("claim_target_hours", "Hours to the first claim")
    hours("decision_target_hours", "Hours to the decision")
    hours("appeal_target_hours", "Hours to decide an appeal")
    whole("strike_days", "Days a decision counts as a strike", 1, 3650)
    whole("learn_min_decisions", "Decisions before a model learned from them re-ranks the queue", 10, 100_000)
    st.subheader("Decisions to the platform")
    st.text_input(
        "Endpoint (set with its secret on the Deliveries page)",
        current["outbox_url"] or "none",
        disabled=True,
        help=doc.get("outbox_url"),
    )
    chosen["outbox_ca_file"] = st.text_input(
        "Certificate authorities to trust for the endpoint (a PEM file; empty: the system's)",
        current["outbox_ca_file"],
        help=doc.get("outbox_ca_file"),
    ).strip()
    whole("outbox_max_attempts", "Attempts before a delivery is listed as failed", 1, 100)
    chosen["outbox_backoff_seconds"] = float(
        st.number_input(
            "Seconds before the first retry (each further retry waits twice as long)",
            0.5,
            3600.0,
            float(current["outbox_backoff_seconds"]),
            step=1.0,
            help=doc.get("outbox_backoff_seconds"),
        )
    )
    st.subheader("Loads")
    whole("upload_max_mb", "Largest upload (MiB)", 1, 100_000)
    whole("load_max_mb", "Largest file the loader accepts (MiB)", 1, 1_000_000)
    chosen["duckdb_memory_limit"] = st.text_input(
        "Memory DuckDB may use while loading",
        current["duckdb_memory_limit"],
        help=doc.get("duckdb_memory_limit"),
        key="duckdb_memory_limit",
    )
    whole("webhook_fold_seconds", "Seconds between webhook inbox folds (0: only on demand)", 0, 24 * 3600)
    st.subheader("Sessions")
    whole("session_idle_minutes", "Sign-out after idle minutes", 1, 24 * 60)
    if st.form_submit_button("Save", type="primary"):
        try:
            admin.save_settings(root, viewer, chosen)
        except ValueError as exc:
            st.error(f"Not saved: {exc}.")
        else:
            st.session_state[FLASH] = ("success", "Saved. Pages use the new values on their next run.")
            del st.session_state["duckdb_memory_limit"]  # show the limit as saved (e.g. "512 mib" -> "512MiB")
            st.rerun()

st.subheader("Rate card")
card = admin.rate_card(root, viewer)
markets, categories = sorted(set(card["market"])), sorted(set(card["category"]))
st.caption(
    f"Price of one billable message per market and category, from its effective date: {card.height:,} prices for "
    f"{len(markets):,} markets and {len(categories):,} categories, effective from "
    f"{card['effective_from'].min():%d %b %Y} to {card['effective_from'].max():%d %b %Y}."
)
left, middle, right = st.columns(3)
market = left.selectbox("Market", markets, index=None, placeholder="All markets", key="rate_market")
category = middle.selectbox("Category", categories, index=None, placeholder="All categories", key="rate_category")
history = right.toggle(
    "Every price since the first",
    value=False,
    key="rate_history",
    help="Off: only the latest price of each market and category",
)
shown = admin.filter_rate_card(card, market, category, history)
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_order=("market", "category", "price_usd", "effective_from"),
    column_config={
        "market": st.column_config.TextColumn("Market"),
        "category": st.column_config.TextColumn("Category"),
        "price_usd": st.column_config.NumberColumn("Price per message (USD)", format="$%.4f"),
        "effective_from": st.column_config.DateColumn("In force from", format="DD MMM YYYY"),
    },
)
st.caption(f"{shown.height:,} of {card.height:,} prices. Sort by any column by clicking its header.")

new = st.file_uploader("Replace the rate card (market,category,price_usd,effective_from)", type=["csv"])
if new is not None and st.button("Install and rebuild the marts"):
    try:
        with st.spinner("Rebuilding the marts with the new prices…"):
            n = admin.replace_rate_card(root, viewer, new.getvalue())
        st.success(f"Installed {n} prices; the marts were rebuilt.")
    except ValueError as exc:
        st.error(str(exc))
