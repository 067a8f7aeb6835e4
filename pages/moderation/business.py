import streamlit as st

from trustdesk.moderation import business, risk, views
from trustdesk.web import business_picker, cache, casework, charts, columns, page, session

who = session.require("moderator")
wh = page.start("Business")
FLASH = "business_flash"
chosen = business_picker.choose(wh, who)
picked, period = chosen.business_id, chosen.period
page.flash(FLASH)

shown = views.business_page(wh, who, picked, period, cache.cached)
file, cases, view = shown.file, shown.cases, shown.file.view
if not file.exists:
    st.warning("This business is not in the data: no file or event names it. Choose another one above.")
    st.stop()

left, right = st.columns([3, 2])
with left:
    st.subheader("Profile")
    st.text(view.name)
    st.dataframe(view.profile_rows(), hide_index=True, width="stretch", height="content", column_config=columns.PROFILE)
with right:
    rev = view.revenue
    st.subheader("Revenue at stake")
    st.caption(
        f"{rev.date_from:%d %b %Y} – {rev.date_to:%d %b %Y}, the last 30 days in the data: billable "
        "messages priced with the rate card in force on each message's day, plus Status ad spend."
    )
    st.metric("Total", f"${rev.total_usd:,.2f}")
    a, b = st.columns(2)
    a.metric(
        "Messaging revenue", f"${rev.messaging_revenue_usd:,.2f}", help=f"{rev.billable_messages:,} billable messages"
    )
    b.metric("Ad spend", f"${rev.ad_spend_usd:,.2f}")

if file.platform_events.height:
    st.subheader("What the platform said")
    st.caption(
        "Quality ratings, messaging limits, violations, restrictions, bans and template status, as "
        "WhatsApp's webhooks reported them, newest first."
    )
    st.dataframe(
        file.platform_events.select(*columns.PLATFORM_EVENTS),
        hide_index=True,
        width="stretch",
        column_config=columns.PLATFORM_EVENTS,
    )

st.subheader("Case")
case = casework.case_panel(FLASH, wh.root, who, cases, file.as_of)

st.caption(f"Evidence over {risk.span(period.date_from, period.date_to)}: {chosen.period_words}.")
activity, feedback, reported, ads, history = st.tabs(
    ["Activity and quality", "Reports and blocks", "Reported messages", "Ad campaigns", "Cases and notes"]
)
with activity:
    if file.quiet:
        st.info("This business sent nothing and got no feedback in this period; choose a longer period.")
    else:
        min_reached, medium_from, low_from = view.thresholds
        st.markdown("**Quality rating per day**")
        st.caption(
            f"Negative users (blocked or reported) / reached users over the 7 days up to each day: HIGH "
            f"under {medium_from:.0%}, MEDIUM under {low_from:.0%}, LOW from {low_from:.0%}; UNKNOWN with "
            f"fewer than {min_reached:,} reached users."
        )
        st.altair_chart(charts.business_quality(view.days, medium_from, low_from), width="stretch")
        st.markdown("**Messages sent and feedback per day**")
        st.altair_chart(charts.business_messages(view.days), width="stretch")
        st.altair_chart(charts.business_feedback(view.days), width="stretch")
        st.dataframe(view.days, hide_index=True, width="stretch", column_config=columns.BUSINESS_DAYS)
with feedback:
    if view.reasons.is_empty():
        st.info("Nobody reported or blocked this business in this period.")
    else:
        for col, kind, title in zip(
            st.columns(2), ("report", "block"), ("Reports by reason", "Blocks by reason"), strict=True
        ):
            col.altair_chart(charts.business_reasons(view.reasons, kind, title), width="stretch")
        st.dataframe(view.reasons, hide_index=True, width="stretch", column_config=columns.FEEDBACK_REASONS)
        st.markdown("**Most reported templates**")
        st.dataframe(view.templates, hide_index=True, width="stretch", column_config=columns.REPORTED_TEMPLATES)
with reported:
    st.caption("Reported messages can be abusive or distressing: their texts stay hidden until you reveal them.")
    if file.reports == 0:
        st.info("No report about this business in this period.")
    elif st.toggle(f"Reveal the {file.reports:,} reported messages", key="reveal"):
        messages = cache.cached(business.reported_messages, wh, who, picked, period)
        if messages.height < file.reports:
            st.caption(f"The newest {messages.height:,} reports.")
        st.dataframe(
            messages,
            hide_index=True,
            width="stretch",
            column_order=list(columns.REPORTED_MESSAGES),
            column_config=columns.REPORTED_MESSAGES,
        )
with ads:
    if view.campaigns.is_empty():
        st.info("This business has no Status ad campaign.")
    else:
        st.dataframe(view.campaigns, hide_index=True, width="stretch", column_config=columns.CAMPAIGNS)
        st.caption(f"Impressions, reach, clicks, replies and spend over {risk.span(period.date_from, period.date_to)}.")
with history:
    if not cases.cases:
        st.info("This business has never had a case.")
    else:
        st.markdown("**Cases**")
        st.dataframe(
            [{k: c[k] for k in columns.CASE_HISTORY} for c in reversed(cases.cases)],
            hide_index=True,
            width="stretch",
            column_config=columns.CASE_HISTORY,
        )
        for title, frame, config, none in (
            ("Decisions", cases.decisions, columns.DECISIONS, "No decision yet."),
            ("Notes", cases.notes, columns.NOTES, "No note yet."),
        ):
            st.markdown(f"**{title}**")
            if frame.is_empty():
                st.caption(none)
            else:
                st.dataframe(frame, hide_index=True, width="stretch", column_config=config)
        casework.note_form(FLASH, wh.root, (case or cases.cases[-1])["id"])
