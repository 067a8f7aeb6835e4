"""The live receiver: an ASGI app (Starlette) on `/webhook`, served by uvicorn.

- `GET /webhook`: Meta's verification handshake. `hub.mode=subscribe` with the right
  `hub.verify_token` is answered with `hub.challenge`; anything else gets 403.
- `POST /webhook`: 413 for a body over the limit (told by Content-Length or while reading), 401 for
  a missing or wrong `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the app secret,
  compared in constant time), 400 for a body that is not JSON, 200 once the body is in the inbox
  and fsynced, 503 when it could not be stored (Meta then retries).

Group commit: requests that arrive while a batch is being written and fsynced wait together and
go into the next write, so one fsync acknowledges many bodies and throughput does not stop at the
disk's fsync rate.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import socket
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from etl.settings import data_dir
from trustdesk.webhook.inbox import SEGMENT_MAX_BYTES, SegmentWriter, encode_record, inbox_dir
from trustdesk.webhook.secrets import Secrets, WebhookConfigError, load_secrets

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8787
# Meta's webhook payloads stay well under this; a larger body is not Meta's.
MAX_BODY_BYTES = 4 << 20
SIGNATURE_HEADER = "x-hub-signature-256"


class StorageError(Exception):
    pass


class GroupCommitter:
    """One writer task; every request's record joins the next batch and waits for its fsync."""

    def __init__(self, inbox: Path, segment_max_bytes: int = SEGMENT_MAX_BYTES):
        self.inbox = inbox
        self.segment_max_bytes = segment_max_bytes
        self.writer: SegmentWriter | None = None
        self.pending: list[tuple[bytes, asyncio.Future]] = []
        self.wake = asyncio.Event()
        self.closing = False
        self.task: asyncio.Task | None = None
        self.batches = 0
        self.bodies = 0

    async def start(self) -> None:
        self.writer = await asyncio.to_thread(SegmentWriter, self.inbox, self.segment_max_bytes)
        self.task = asyncio.create_task(self._run())

    async def append(self, body: bytes) -> None:
        if self.closing:
            raise StorageError("the receiver is stopping")
        fut = asyncio.get_running_loop().create_future()
        self.pending.append((encode_record(body, time.time_ns()), fut))
        self.wake.set()
        await fut

    async def _run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            batch, self.pending = self.pending, []
            if batch:
                try:
                    await asyncio.to_thread(self.writer.append, [r for r, _ in batch])
                except Exception as exc:  # noqa: BLE001 - every waiting request must hear of it
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(StorageError(str(exc)))
                else:
                    self.batches += 1
                    self.bodies += len(batch)
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_result(None)
            if self.closing and not self.pending:
                return

    async def stop(self) -> None:
        self.closing = True
        self.wake.set()
        if self.task:
            await self.task
        if self.writer:
            self.writer.close()


def create_app(
    root: Path, secrets: Secrets, *, max_body_bytes: int = MAX_BODY_BYTES, segment_max_bytes: int = SEGMENT_MAX_BYTES
) -> Starlette:
    committer = GroupCommitter(inbox_dir(root), segment_max_bytes)
    app_secret = secrets.app_secret.encode("utf-8")
    verify_token = secrets.verify_token.encode("utf-8")

    async def verify(request: Request) -> Response:
        q = request.query_params
        token = q.get("hub.verify_token", "").encode("utf-8")
        challenge = q.get("hub.challenge")
        if q.get("hub.mode") == "subscribe" and challenge is not None and hmac.compare_digest(token, verify_token):
            return PlainTextResponse(challenge)
        return PlainTextResponse("forbidden", status_code=403)

    async def receive(request: Request) -> Response:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_body_bytes:
            return PlainTextResponse("payload too large", status_code=413)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body_bytes:
                return PlainTextResponse("payload too large", status_code=413)
            chunks.append(chunk)
        body = b"".join(chunks)
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not given.startswith("sha256="):
            return PlainTextResponse("missing signature", status_code=401)
        expected = hmac.new(app_secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given[7:].strip().lower().encode()):
            return PlainTextResponse("bad signature", status_code=401)
        try:
            json.loads(body)
        except ValueError:
            return PlainTextResponse("not JSON", status_code=400)
        try:
            await committer.append(body)
        except StorageError:
            return PlainTextResponse("not stored", status_code=503)
        return PlainTextResponse("ok")

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok")

    @asynccontextmanager
    async def lifespan(_app):
        await committer.start()
        try:
            yield
        finally:
            await committer.stop()
            print(f"stored {committer.bodies:,} bodies with {committer.batches:,} fsyncs", flush=True)

    app = Starlette(
        routes=[
            Route("/webhook", verify, methods=["GET"]),
            Route("/webhook", receive, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.committer = committer
    return app


def serve(
    host: str,
    port: int,
    root: Path,
    *,
    secrets: Secrets | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    announce=print,
) -> None:
    """Run the receiver until stopped. Refuses to start (`WebhookConfigError`, one sentence)
    without the verify token and the app secret."""
    secrets = secrets or load_secrets()
    root = Path(root)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio turns Nagle off only on sockets that say they are TCP,
    # and with Nagle on, a response written in two parts waits for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise WebhookConfigError(f"trustdesk webhook: cannot listen on {host}:{port} ({exc.strerror})") from exc
    sock.listen(2048)
    actual = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(root, secrets, max_body_bytes=max_body_bytes),
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_keep_alive=30,
    )
    announce(f"TrustDesk webhook receiver on http://{host}:{actual}/webhook; inbox {inbox_dir(root)}")
    sys.stdout.flush()
    uvicorn.Server(config).run(sockets=[sock])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trustdesk.webhook", description="Receive WhatsApp Cloud API webhooks into the inbox."
    )
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--data-dir", default=None, help="default: $TRUSTDESK_DATA, else ./data")
    parser.add_argument("--max-body-kb", type=int, default=MAX_BODY_BYTES >> 10)
    args = parser.parse_args(argv)
    try:
        serve(args.host, args.port, data_dir(args.data_dir), max_body_bytes=args.max_body_kb << 10)
    except WebhookConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0
