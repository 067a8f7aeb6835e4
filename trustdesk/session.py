"""The signed-in person of a browser session: sign-in form, session checks, sign-out, role gate.

Pages call `ui.require(role)` first; app.py asks `principal()` for the navigation.
"""

from __future__ import annotations

import streamlit as st

from trustdesk import auth, config


def data_root():
    return config.data_dir()


SESSION_KEY = "principal"
SEEN_KEY = "last_seen"


def principal() -> auth.Principal | None:
    """The signed-in person of this browser session, after applying the idle timeout."""
    who = st.session_state.get(SESSION_KEY)
    if who is None:
        return None
    idle = config.Settings.load(data_root()).session_idle_minutes * 60
    now = auth.utcnow().timestamp()
    last = st.session_state.get(SEEN_KEY, now)
    if now - last > idle:
        sign_out("session expired")
        st.session_state["flash"] = "Your session expired after inactivity; sign in again."
        return None
    st.session_state[SEEN_KEY] = now
    return who


def sign_in_as(who: auth.Principal) -> None:
    st.session_state[SESSION_KEY] = who
    st.session_state[SEEN_KEY] = auth.utcnow().timestamp()


def sign_out(why: str = "signed out") -> None:
    who = st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(SEEN_KEY, None)
    if who is not None:
        auth.record_sign_out(data_root(), who, why)


def try_sign_in(name: str, password: str) -> str | None:
    """Sign in with a password; the error sentence to show, or None when signed in."""
    try:
        sign_in_as(auth.sign_in(data_root(), (name or "").strip(), password or ""))
    except auth.AuthError as exc:
        return str(exc)[:1].upper() + str(exc)[1:] + "."
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
    from etl.store import read_pointer

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
        st.button("Sign out", key="sign_out", on_click=_sign_out_clicked)


def hide_sidebar() -> None:
    """Signed out, nothing but the sign-in form shows: Streamlit would otherwise list the files of
    pages/ in the sidebar when a page's address is opened directly. Fixed CSS, no user text."""
    st.html("<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'],"
            " [data-testid='stExpandSidebarButton'] { display: none; }</style>")


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
