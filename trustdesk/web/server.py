"""The dashboard's web server: Streamlit's own ASGI app (`st.App`) around app.py, plus what a
served console needs and Streamlit alone does not give:

- `/api/session`: trades a one-time sign-in ticket for an HttpOnly, SameSite=Strict session cookie,
  so a reload or a new tab stays signed in (the session itself lives in trustdesk.sqlite and is
  checked on every script run, see trustdesk/accounts/auth.py), and drops that cookie at sign-out;
- an upload gate: only a Streamlit session signed in as a moderator or above may PUT files, each
  upload is checked against the person's session again, bounded per file, per session and in
  total, and refused before its body is read;
- security headers on every response: no framing by other sites, no content sniffing, a content
  security policy as strict as Streamlit's frontend allows;
- errors in a page are logged server-side with an id and shown as one sentence with that id;
- staged uploads are swept at start and every minute;
- decisions in the outbox are delivered to the platform by a background thread
  (trustdesk/moderation/outbox.py), stopped when the server stops.

`trustdesk serve` runs it (trustdesk/web/serve.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import traceback
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from streamlit.runtime import Runtime

from trustdesk import appdb
from trustdesk.accounts import auth
from trustdesk.data import uploads
from trustdesk.moderation import outbox
from trustdesk.site import app_file
from trustdesk.web import exports, uploadgate
from trustdesk.web.session import data_root

log = logging.getLogger("trustdesk.web")

SWEEP_SECONDS = 60
# All uploads held in memory at once, over every session, may not exceed this many single-file
# limits (Streamlit keeps uploaded files in memory until the session ends or the file is removed).
TOTAL_UPLOAD_FILES = 2

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    # Streamlit's frontend needs inline styles, and Vega (Altair charts) compiles expressions with
    # `new Function`; everything else comes from this server only.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https://fonts.gstatic.com; font-src 'self' data:; "
        "connect-src 'self' ws: wss:; frame-src 'self' blob: data:; worker-src 'self' blob:; "
        "media-src 'self' blob: data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
}


# --------------------------------------------------------------------------- session cookie


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return False
    host = request.headers.get("host", "")
    return re.sub(r"^[a-z]+://", "", origin.rstrip("/")) == host


async def session_endpoint(request: Request) -> Response:
    if not _same_origin(request):
        return JSONResponse({"error": "cross-origin request refused"}, status_code=403)
    secure = request.url.scheme == "https"
    if request.method == "DELETE":
        response = Response(status_code=204)
        response.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure)
        return response
    try:
        body = json.loads(await request.body())
        ticket = body["ticket"]
        if not isinstance(ticket, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": 'expected {"ticket": "..."}'}, status_code=400)
    try:
        token = await asyncio.to_thread(auth.redeem_ticket, data_root(), ticket)
    except appdb.StoreUnavailable as exc:
        log.error("sign-in refused: %s", exc)
        return JSONResponse({"error": str(exc)}, status_code=503)
    if token is None:
        return JSONResponse({"error": "unknown or expired ticket"}, status_code=403)
    response = Response(status_code=204)
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=auth.SESSION_HOURS * 3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    return response


# --------------------------------------------------------------------------- middleware


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.decode("latin-1").lower() not in _LOWER_SECURITY
                ]
                headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_LOWER_SECURITY = {k.lower() for k in SECURITY_HEADERS}
_UPLOAD_PATH = re.compile(r"/_stcore/upload_file/(?P<session>[^/]+)(?:/(?P<file>[^/]+))?/?$")


def upload_limit():
    """The limit the Upload page states and enforces (trustdesk/data/uploads.py), read at request time."""
    return uploads.upload_limit(data_root(), st.get_option("server.maxUploadSize"))


def _held_bytes(streamlit_session: str | None = None) -> int:
    """Bytes of uploaded files Streamlit holds in memory, for one session or for all."""
    try:
        mgr = Runtime.instance().uploaded_file_mgr
    except Exception:
        return 0
    storage = getattr(mgr, "file_storage", {})
    if streamlit_session is None:
        return int(getattr(mgr, "_total_bytes", 0))
    return sum(len(f.data) for f in dict(storage.get(streamlit_session, {})).values())


def check_upload(streamlit_session: str, method: str, content_length: str | None) -> tuple[int, str] | None:
    """(status, sentence) when this upload request must be refused, else None."""
    who = uploadgate.lookup(streamlit_session)
    if who is None:
        return 403, "uploads need a signed-in moderator"
    try:
        person = auth.check_session(who.root, who.session)
    except auth.SessionEnded as exc:
        uploadgate.revoke(streamlit_session)
        return 403, f"uploads need a signed-in moderator ({exc})"
    if not person.can(uploadgate.UPLOAD_ROLE):
        uploadgate.revoke(streamlit_session)
        return 403, "uploads need a signed-in moderator"
    if method != "PUT":
        return None
    if content_length is None:
        return 411, "an upload must say its length"
    try:
        size = int(content_length)
    except ValueError:
        return 400, "the upload's length is not a number"
    limit = upload_limit()
    mib = limit.mib
    if size > limit.request_bytes:
        return 413, f"the file is larger than the upload limit of {mib:,} MiB"
    if _held_bytes(streamlit_session) + size > limit.request_bytes:
        return 413, f"this session already holds uploads; together they would pass {mib:,} MiB"
    if _held_bytes() + size > TOTAL_UPLOAD_FILES * limit.request_bytes:
        return 503, "the server holds too many uploads right now; try again in a few minutes"
    return None


class UploadGate:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("PUT", "DELETE"):
            base = "/" + (st.get_option("server.baseUrlPath") or "").strip("/")
            path = scope["path"][len(base.rstrip("/")) :] if scope["path"].startswith(base) else scope["path"]
            match = _UPLOAD_PATH.match(path)
            if match:
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
                try:
                    refusal = await asyncio.to_thread(
                        check_upload, match["session"], scope["method"], headers.get("content-length")
                    )
                except appdb.StoreUnavailable as exc:
                    refusal = 503, str(exc)
                if refusal is not None:
                    status, sentence = refusal
                    log.warning("upload refused (%s): %s", status, sentence)
                    response = JSONResponse({"error": sentence}, status_code=status, headers={"Connection": "close"})
                    return await response(scope, receive, send)
        await self.app(scope, receive, send)


# --------------------------------------------------------------------------- errors


def report_error(exc: Exception) -> bool:
    """A page raised: the traceback goes to the server's log under an id; the person sees one
    sentence with that id, never the traceback (client.showErrorDetails is off as well). A
    moderation store that cannot be reached is that sentence instead, which names the server
    without its password."""
    if isinstance(exc, appdb.StoreUnavailable):
        # Nothing wrong with the page, so no traceback to keep: the log says what the person reads.
        log.error("page error: %s", exc)
        try:
            st.error(f"{str(exc)[:1].upper()}{str(exc)[1:]}. Try again in a minute; if it goes on, tell your admin.")
        except Exception:  # noqa: BLE001 - the error display itself must never raise
            pass
        return True
    error_id = secrets.token_hex(4)
    log.error("page error %s:\n%s", error_id, "".join(traceback.format_exception(exc)))
    try:
        st.error(
            f"Something went wrong on this page (error {error_id}). Reload the page; if it happens "
            f"again, tell your admin the error id {error_id}, which the server's log explains."
        )
    except Exception:  # noqa: BLE001 - the error display itself must never raise
        pass
    return True


# --------------------------------------------------------------------------- housekeeping


def housekeeping(max_age_seconds: float | None = None) -> None:
    """Drop upload permissions of Streamlit sessions that ended, and sweep staged uploads."""
    try:
        runtime = Runtime.instance()
        for sid in uploadgate.known():
            if not runtime.is_active_session(sid):
                uploadgate.revoke(sid)
    except Exception:  # noqa: BLE001 - housekeeping must not stop the server
        log.exception("upload registry housekeeping failed")
    try:
        if max_age_seconds is None:
            uploads.sweep_staged(data_root())
        else:
            uploads.sweep_staged(data_root(), max_age_seconds)
    except Exception:  # noqa: BLE001
        log.exception("sweeping staged uploads failed")


@asynccontextmanager
async def lifespan(_app):
    await asyncio.to_thread(housekeeping, 0)

    async def every_minute():
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            await asyncio.to_thread(housekeeping)

    task = asyncio.create_task(every_minute())
    deliveries, stop_deliveries = outbox.start(data_root())
    try:
        yield None
    finally:
        task.cancel()
        stop_deliveries.set()
        # A delivery in flight finishes (each socket operation is bounded by outbox.TIMEOUT_SECONDS).
        await asyncio.to_thread(deliveries.join, 3 * outbox.TIMEOUT_SECONDS)


def _log_to_stderr() -> None:
    parent = logging.getLogger("trustdesk")
    if not parent.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        parent.addHandler(handler)
        parent.setLevel(logging.INFO)


def create_app() -> st.App:
    _log_to_stderr()
    return st.App(
        app_file(),
        routes=[Route("/api/session", session_endpoint, methods=["POST", "DELETE"]), exports.ROUTE],
        middleware=[Middleware(SecurityHeaders), Middleware(UploadGate)],
        on_script_error=report_error,
        lifespan=lifespan,
    )
