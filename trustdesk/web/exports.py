"""Downloads too large for a Streamlit button: the transparency export of every decision, streamed.

`GET /api/export/decisions.csv` and `/api/export/decisions.jsonl`, with optional `from` and `to`
(YYYY-MM-DD, inclusive), answer a browser whose session cookie belongs to a signed-in moderator or
admin; anyone else gets 403 and one sentence. The rows leave as they are read from the moderation
store (trustdesk/moderation/transparency.py), so memory stays bounded whatever the number of
decisions. Mounted by trustdesk/web/server.py (`ROUTE`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from etl import settings
from trustdesk import appdb
from trustdesk.accounts import auth
from trustdesk.data.export import neutralise
from trustdesk.moderation import transparency
from trustdesk.moderation.errors import ModerationError

log = logging.getLogger("trustdesk.web")

PATH = "/api/export/decisions.{fmt}"


def _refuse(status: int, sentence: str) -> Response:
    return PlainTextResponse(sentence[:1].upper() + sentence[1:] + ".", status_code=status)


def _day(request: Request, name: str) -> date | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ModerationError(f"'{name}' must be a date like 2026-09-30, not {value!r}") from None


def _open(root, cookie: str | None, fmt: str, date_from: date | None, date_to: date | None):
    """The signed-in person's export (the role and the session checked), or PermissionDenied."""
    if not cookie:
        raise auth.PermissionDenied("sign in as a moderator to download the decisions")
    try:
        who = auth.resume_session(root, cookie)
    except auth.SessionEnded as exc:
        raise auth.PermissionDenied(f"{exc}; sign in again to download the decisions") from None
    return transparency.export(root, who, fmt, date_from, date_to, safe=neutralise)


async def decisions_export(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in transparency.FORMATS:
        return _refuse(404, "there is no such export; use decisions.csv or decisions.jsonl")
    try:
        date_from, date_to = _day(request, "from"), _day(request, "to")
        pieces = await asyncio.to_thread(
            _open, settings.data_dir(), request.cookies.get(auth.SESSION_COOKIE), fmt, date_from, date_to
        )
    except auth.PermissionDenied as exc:
        log.warning("decisions export refused: %s", exc)
        return _refuse(403, str(exc))
    except ModerationError as exc:
        return _refuse(400, str(exc))
    except appdb.StoreUnavailable as exc:
        log.error("decisions export failed: %s", exc)
        return _refuse(503, str(exc))
    name = transparency.file_name(fmt, date_from, date_to)
    return StreamingResponse(
        pieces,  # a plain iterator: Starlette reads it on its thread pool, a piece at a time
        media_type=transparency.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


ROUTE = Route(PATH, decisions_export, methods=["GET"])
