import streamlit as st

from trustdesk.accounts import auth
from trustdesk.moderation import outbox
from trustdesk.web import formats, page, session

viewer = session.require("admin")
root = session.data_root()
st.title("Deliveries")
st.caption(
    "Every decision and appeal outcome is sent to the platform's endpoint as JSON signed with HMAC-SHA256, "
    "retried with growing waits until it is delivered. A delivery that keeps failing stops here until you retry it."
)
FLASH = "deliveries_flash"
WHEN = "DD MMM YYYY HH:mm:ss"  # UTC, as stored


def ui_sentence(exc: Exception | str) -> str:
    text = str(exc).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def plural(n: int) -> str:
    return f"{n:,} deliver{'y' if n == 1 else 'ies'}"


def retry_selected() -> None:
    state = st.session_state
    try:
        done = outbox.retry(root, session.principal(), state.get("retry_ids") or [])
    except (outbox.OutboxError, auth.AuthError) as exc:
        state[FLASH] = ("error", ui_sentence(exc))
        return
    state[FLASH] = ("success", f"{plural(len(done))} back in the queue, sent again now.")
    state["retry_ids"] = []


def retry_all() -> None:
    state = st.session_state
    try:
        done = outbox.retry_all_failed(root, session.principal())
    except (outbox.OutboxError, auth.AuthError) as exc:
        state[FLASH] = ("error", ui_sentence(exc))
        return
    state[FLASH] = ("success", f"{plural(len(done))} back in the queue, sent again now." if done else "Nothing failed.")
    state["retry_ids"] = []


def save_endpoint() -> None:
    state = st.session_state
    try:
        outbox.configure(
            root, session.principal(), state.get("endpoint_url") or "", state.get("endpoint_secret") or None
        )
    except (outbox.OutboxError, auth.AuthError, ValueError) as exc:
        state[FLASH] = ("error", f"Not saved: {ui_sentence(exc)}")
        return
    finally:
        state["endpoint_secret"] = ""  # never kept in the form, shown back, or sent to the browser again
    state[FLASH] = ("success", "Endpoint saved. Waiting deliveries go out within a few seconds.")


page.flash(FLASH)
view = outbox.deliveries(root, viewer)

pending, failed, delivered, oldest = st.columns(4)
pending.metric("Pending", f"{view.counts['pending']:,}")
failed.metric("Failed", f"{view.counts['failed']:,}")
delivered.metric("Delivered", f"{view.counts['delivered']:,}")
oldest.metric(
    "Oldest pending", formats.duration(view.oldest_pending_hours(auth.utcnow())) if view.counts["pending"] else "none"
)
if view.problem:
    if view.endpoint:
        st.warning(ui_sentence(view.problem))
    else:
        st.warning("No endpoint configured: set one below; decisions wait in the outbox meanwhile.")

st.subheader("Waiting and failed")
if view.waiting.is_empty():
    st.info(
        "Nothing waiting: every decision so far has reached the platform."
        if view.counts["delivered"]
        else "Nothing to deliver yet: decisions and appeal outcomes appear here as moderators record them."
    )
else:
    listed = view.counts["pending"] + view.counts["failed"]
    if listed > view.waiting.height:
        st.caption(f"The first {view.waiting.height:,} of {listed:,}: failed ones first, then the next due.")
    st.dataframe(
        view.waiting,
        hide_index=True,
        width="stretch",
        column_order=(
            "id",
            "status",
            "key",
            "business_id",
            "attempts",
            "next_attempt_at",
            "last_error",
            "last_attempt_at",
            "created_at",
        ),
        column_config={
            "id": st.column_config.NumberColumn("Delivery", format="%d"),
            "status": st.column_config.TextColumn("Status"),
            "key": st.column_config.TextColumn("Idempotency key"),
            "event": st.column_config.TextColumn("Event"),
            "business_id": st.column_config.TextColumn("Business"),
            "case_id": st.column_config.NumberColumn("Case", format="%d"),
            "attempts": st.column_config.NumberColumn("Attempts", format="%d"),
            "last_error": st.column_config.TextColumn("Last error", width="large"),
            "next_attempt_at": st.column_config.DatetimeColumn(
                "Next attempt (UTC)", format=WHEN, help="Empty for a failed delivery: it waits for a retry"
            ),
            "last_attempt_at": st.column_config.DatetimeColumn("Last attempt (UTC)", format=WHEN),
            "created_at": st.column_config.DatetimeColumn("Decided (UTC)", format=WHEN),
        },
    )

failed_rows = view.waiting.filter(view.waiting["status"] == "failed")
if not failed_rows.is_empty():
    labels = {
        r["id"]: f"{r['id']} · {r['key']} · {r['last_error'] or ''}"[:120] for r in failed_rows.iter_rows(named=True)
    }
    with st.form("retry"):
        st.multiselect(
            "Failed deliveries to retry",
            list(labels),
            format_func=lambda i: labels.get(i, str(i)),
            key="retry_ids",
            placeholder="Choose failed deliveries",
        )
        chosen, everything = st.columns(2)
        chosen.form_submit_button("Retry selected", type="primary", on_click=retry_selected)
        everything.form_submit_button(f"Retry all failed ({failed_rows.height:,})", on_click=retry_all)

st.subheader("Endpoint")
st.caption(
    "Deliveries are POSTed to this HTTPS address with the headers Idempotency-Key, X-TrustDesk-Timestamp and "
    "X-TrustDesk-Signature (sha256= HMAC-SHA256 of timestamp, a full stop and the body, keyed with the signing "
    "secret). The secret is stored in the moderation store and never shown again."
)
with st.form("endpoint"):
    st.text_input("Endpoint URL", value=view.endpoint, key="endpoint_url", placeholder="https://platform.example/hooks")
    st.text_input(
        "Signing secret" + (" (leave empty to keep the current one)" if view.has_secret else ""),
        type="password",
        key="endpoint_secret",
        autocomplete="off",
    )
    st.form_submit_button("Save endpoint", type="primary", on_click=save_endpoint)

st.subheader("Recently delivered")
if view.delivered.is_empty():
    st.caption("Nothing delivered yet.")
else:
    st.dataframe(
        view.delivered,
        hide_index=True,
        width="stretch",
        column_order=("id", "key", "business_id", "case_id", "attempts", "created_at", "delivered_at"),
        column_config={
            "id": st.column_config.NumberColumn("Delivery", format="%d"),
            "key": st.column_config.TextColumn("Idempotency key"),
            "event": st.column_config.TextColumn("Event"),
            "business_id": st.column_config.TextColumn("Business"),
            "case_id": st.column_config.NumberColumn("Case", format="%d"),
            "attempts": st.column_config.NumberColumn("Attempts", format="%d"),
            "created_at": st.column_config.DatetimeColumn("Decided (UTC)", format=WHEN),
            "delivered_at": st.column_config.DatetimeColumn("Delivered (UTC)", format=WHEN),
        },
    )
