"""Which Streamlit browser sessions may upload files, and how many bytes uploads hold.

Streamlit accepts `PUT /_stcore/upload_file/<session>/<file>` from any open websocket session, signed
in or not. The dashboard's script registers a Streamlit session here when its person may upload
(moderator or above); the web server's middleware (trustdesk/web/server.py) refuses every other
upload before reading its body, and checks the person's session again on each upload.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from streamlit.runtime.scriptrunner import get_script_run_ctx

UPLOAD_ROLE = "moderator"

_lock = threading.Lock()


@dataclass(frozen=True)
class Uploader:
    root: Path
    session: str  # TrustDesk's session id (auth.sessions), re-checked on every upload


_uploaders: dict[str, Uploader] = {}


def allow(streamlit_session: str, root: Path, session: str) -> None:
    with _lock:
        _uploaders[streamlit_session] = Uploader(Path(root), session)


def revoke(streamlit_session: str) -> None:
    with _lock:
        _uploaders.pop(streamlit_session, None)


def lookup(streamlit_session: str) -> Uploader | None:
    with _lock:
        return _uploaders.get(streamlit_session)


def known() -> list[str]:
    with _lock:
        return list(_uploaders)


def current_streamlit_session() -> str | None:
    """The id of the Streamlit session whose script is running in this thread, if any."""
    ctx = get_script_run_ctx(suppress_warning=True)
    return getattr(ctx, "session_id", None) if ctx is not None else None
