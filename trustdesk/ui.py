"""Helpers shared by the Streamlit pages: the warehouse connection, caching, filters, empty states.

Pages stay thin: widgets -> one call into the read side (through `cached`) -> chart or table.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

import streamlit as st

from trustdesk import auth, config
from trustdesk.metrics import REGIONS, Period
from trustdesk.warehouse import NoData, Warehouse, WarehouseCache

PERIODS = {"Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90}


@st.cache_resource
def _warehouses() -> WarehouseCache:
    return WarehouseCache()


def data_root() -> Path:
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
    with st.sidebar:
        st.text(f"Signed in as {who.name} ({who.role})")
        st.button("Sign out", key="sign_out", on_click=_sign_out_clicked)


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
    if not who.can(role):
        st.error(f"Refused: this page needs the {role} role; you are signed in as {who.role}.")
        st.stop()
    return who


def warehouse() -> Warehouse | None:
    """The current warehouse, or None (after drawing the empty state) when there is no data."""
    root = data_root()
    try:
        return _warehouses().get(root)
    except NoData:
        st.info(
            f"There is no data in `{root}` yet. Run `trustdesk demo` to load a demo world, "
            "or `trustdesk load FILE...` with your exports, then reload this page."
        )
        return None


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(fn_name: str, version: int, root: str, args: tuple):
    fn = _REGISTRY[fn_name]
    return fn(_warehouses().get(Path(root)), *args)


_REGISTRY: dict[str, Callable] = {}


def cached(fn: Callable, wh: Warehouse, *args):
    """Run a read-side function once per warehouse version and arguments."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    _REGISTRY[name] = fn
    return _cached(name, wh.version, str(wh.root), args)


def period_filter(wh: Warehouse, key: str = "period") -> Period:
    first, last = wh.date_range()
    last = last or date.today()
    choice = st.sidebar.selectbox("Period", list(PERIODS), index=1, key=key)
    period = Period.last(PERIODS[choice], last)
    st.sidebar.caption(f"{period.date_from:%d %b %Y} – {period.date_to:%d %b %Y} (ends on the last day in the data)")
    return period


def region_filter(key: str = "region") -> str | None:
    choice = st.sidebar.selectbox("Region", ["All regions", *REGIONS], key=key)
    return None if choice == "All regions" else choice


def footer(wh: Warehouse) -> None:
    first, last = wh.date_range()
    st.sidebar.caption(
        f"Data directory `{wh.root}` · warehouse v{wh.version} built {wh.pointer.get('built_at', '?')} · "
        f"data {first} to {last}"
    )
