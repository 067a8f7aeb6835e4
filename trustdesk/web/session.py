"""The signed-in person of a browser session: sign-in form, session checks, sign-out, role gate.

Pages call `session.require(role)` first; app.py asks `principal()` for the navigation.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from etl import settings as config
from etl.store import read_pointer
from trustdesk.accounts import auth
from trustdesk.data import maintenance
from trustdesk.web import uploadgate


def data_root() -> Path:
    return config.data_dir()


SESSION_KEY = "principal"
TICKET_KEY = "session_ticket"
CLEAR_COOKIE_KEY = "clear_session_cookie"
COOKIE_PATH = "/api/session"


def _client_address() -> str | None:
    try:
        value = st.context.ip_address
    except Exception:  # outside a served session (AppTest, bare mode)
        return None
    return value if isinstance(value, str) and value else None


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(auth.SESSION_COOKIE)
    except Exception:  # outside a served session
        return None
    return value if isinstance(value, str) and value else None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def principal() -> auth.Principal | None:
    """The signed-in person of this browser session, checked against the account store on every run.

    The person comes from this tab's session state (signed in here) or from the browser's session
    cookie (a reload, another tab). Either way the server-side session must still be valid: not
    signed out, not idle past session_idle_minutes, and its account neither removed, locked nor
    changed since. Otherwise the tab is signed out and the sign-in form says why."""
    root = data_root()
    who = st.session_state.get(SESSION_KEY)
    try:
        if who is not None and who.session:
            fresh = auth.check_session(root, who.session)
        elif (cookie := _cookie()) is not None:
            fresh = auth.resume_session(root, cookie)
        else:
            fresh = None
    except auth.SessionEnded as exc:
        if who is not None:
            st.session_state["flash"] = f"{_sentence(str(exc))}; sign in again."
        fresh = None
    if fresh is None:
        _forget()
        return None
    st.session_state[SESSION_KEY] = fresh
    _gate_uploads(fresh)
    return fresh


def _gate_uploads(who: auth.Principal | None) -> None:
    sid = uploadgate.current_streamlit_session()
    if sid is None:
        return
    if who is not None and who.can(uploadgate.UPLOAD_ROLE):
        uploadgate.allow(sid, data_root(), who.session)
    else:
        uploadgate.revoke(sid)


def _forget() -> None:
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(TICKET_KEY, None)
    _gate_uploads(None)


def sign_in_as(who: auth.Principal) -> None:
    """Open a server-side session for someone whose password (or provider) was just checked."""
    bound, ticket = auth.open_session(data_root(), who, _client_address())
    st.session_state[SESSION_KEY] = bound
    st.session_state[TICKET_KEY] = ticket
    st.session_state.pop(CLEAR_COOKIE_KEY, None)
    _gate_uploads(bound)


def sign_out(why: str = "signed out") -> None:
    who = st.session_state.get(SESSION_KEY)
    _forget()
    st.session_state[CLEAR_COOKIE_KEY] = True
    if who is not None:
        auth.end_session(data_root(), who, why)


def cookie_bridge(who: auth.Principal) -> None:
    """Until the browser holds the session's HttpOnly cookie, a script trades the one-time ticket
    for it (POST /api/session, answered by trustdesk/web/server.py). Fixed script, no user text."""
    ticket = st.session_state.get(TICKET_KEY)
    if not ticket:
        return
    if not auth.ticket_pending(data_root(), who.session):
        st.session_state.pop(TICKET_KEY, None)
        return
    st.html(_fetch_script("POST", {"ticket": ticket}), unsafe_allow_javascript=True)


def _fetch_script(method: str, body: dict | None) -> str:
    base = "/" + (st.get_option("server.baseUrlPath") or "").strip("/")
    url = base.rstrip("/") + COOKIE_PATH
    payload = json.dumps(json.dumps(body)) if body is not None else "null"
    return (
        f"<script>fetch({json.dumps(url)}, {{method: {json.dumps(method)}, credentials: 'same-origin', "
        f"headers: {{'Content-Type': 'application/json'}}, body: {payload}}});</script>"
    )


def clear_cookie() -> None:
    """After a sign-out, ask the server to drop the (already revoked) cookie from the browser."""
    if st.session_state.pop(CLEAR_COOKIE_KEY, False):
        st.html(_fetch_script("DELETE", None), unsafe_allow_javascript=True)


def try_sign_in(name: str, password: str) -> str | None:
    """Sign in with a password; the error sentence to show, or None when signed in."""
    try:
        sign_in_as(auth.sign_in(data_root(), (name or "").strip(), password or "", address=_client_address()))
    except auth.AuthError as exc:
        return _sentence(str(exc)) + "."
    return None


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def single_sign_on() -> auth.Principal | None:
    """After an OpenID Connect sign-in (`st.login`), map the person's e-mail to an account."""
    if not _sso_configured():
        return None
    try:
        if not st.user.is_logged_in:
            return None
        email = st.user.email
    except (AttributeError, KeyError):
        return None
    try:
        who = auth.sign_in_email(data_root(), email)
    except auth.AuthError as exc:
        st.session_state["flash"] = str(exc)
        st.logout()
        return None
    sign_in_as(who)
    return who


def offer_single_sign_on() -> None:
    if _sso_configured():
        st.divider()
        if st.button("Sign in with your organisation's account"):
            st.login()


def account_box(who: auth.Principal) -> None:
    cookie_bridge(who)
    with st.sidebar:
        st.text(f"Signed in as {who.name} ({who.role})")
        pointer = read_pointer(data_root())
        with st.expander("About this data", icon=":material/info:"):
            st.text(f"Data directory: {data_root()}")
            if pointer:
                st.text(f"Warehouse v{pointer.get('version')}, built {pointer.get('built_at')}")
                st.text(f"Data from {pointer.get('first_day')} to {pointer.get('last_day')}")
                rows = pointer.get("rows", {})
                st.text(f"{rows.get('messages', 0):,} messages, {rows.get('businesses', 0):,} businesses")
            else:
                st.text("No data loaded yet.")
        stale_data_notice(who, pointer.get("version") if pointer else None)
        st.button("Sign out", key="sign_out", on_click=_sign_out_clicked)


@st.cache_data(ttl=15, show_spinner=False)
def _warnings(root: str, version) -> list[str]:
    # Reading the store's version opens ingest.duckdb; once per 15 s per warehouse is plenty.
    return maintenance.data_warnings(Path(root))


def _rebuild_clicked(who: auth.Principal) -> None:
    try:
        meta = maintenance.rebuild(data_root(), who)
    except Exception as exc:  # noqa: BLE001 - one sentence for the admin; the log has the rest
        st.session_state["rebuild_said"] = f"The rebuild failed: {exc}"
        return
    _warnings.clear()
    st.session_state["rebuild_said"] = f"Warehouse v{meta['version']} published."


def stale_data_notice(who: auth.Principal, version) -> None:
    """When a load committed but its marts were not published (a killed build, changed reference
    files), say so on every page, and offer an admin the rebuild."""
    warnings = _warnings(str(data_root()), version)
    for warning in warnings:
        st.warning(warning, icon=":material/sync_problem:")
    if said := st.session_state.pop("rebuild_said", None):
        (st.error if said.startswith("The rebuild failed") else st.success)(said)
    if warnings and who.can("admin"):
        st.button(
            "Rebuild the warehouse now", key="rebuild_marts", type="primary", on_click=_rebuild_clicked, args=(who,)
        )
    elif warnings:
        st.caption("An admin can rebuild it from this box, or run `trustdesk rebuild`.")


def hide_sidebar() -> None:
    """Signed out, nothing but the sign-in form shows: Streamlit would otherwise list the files of
    pages/ in the sidebar when a page's address is opened directly. Fixed CSS, no user text."""
    st.html(
        "<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'],"
        " [data-testid='stExpandSidebarButton'] { display: none; }</style>"
    )


def _sign_out_clicked() -> None:
    sign_out()
    if _sso_configured():
        st.logout()


def _submit_sign_in() -> None:
    # A callback runs before the next script run, so app.py already sees the signed-in person and
    # shows the navigation of their role in that same run.
    error = try_sign_in(st.session_state.get("sign_in_name", ""), st.session_state.get("sign_in_password", ""))
    st.session_state["sign_in_password"] = ""
    if error:
        st.session_state["sign_in_error"] = error


def sign_in_form() -> None:
    st.title("TrustDesk")
    st.caption("Trust & safety and business-messaging analytics. Sign in to continue.")
    clear_cookie()
    if flash := st.session_state.pop("flash", None):
        st.info(flash)
    with st.form("sign_in", border=True):
        st.text_input("Name", key="sign_in_name", autocomplete="username")
        st.text_input("Password", type="password", key="sign_in_password", autocomplete="current-password")
        st.form_submit_button("Sign in", type="primary", on_click=_submit_sign_in)
    if error := st.session_state.pop("sign_in_error", None):
        st.error(error)
    offer_single_sign_on()
    st.caption("No account yet? An admin creates one with `trustdesk users add NAME --role analyst`.")


def require(role: str) -> auth.Principal:
    """First line of every page: the signed-in person if their role may open it, else stop here."""
    who = principal()
    if who is None:
        sign_in_form()
        st.stop()
        # st.stop() ends the script under Streamlit; a page run any other way must not go on.
        raise auth.PermissionDenied("sign in to see this page")
    if not who.can(role):
        st.error(f"Refused: this page needs the {role} role; you are signed in as {who.role}.")
        st.stop()
        raise auth.PermissionDenied(f"this page needs the {role} role")
    return who
