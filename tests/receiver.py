"""A real HTTPS receiver on loopback for the outbox's tests: uvicorn + Starlette in a subprocess, its
certificate from a throwaway authority (trustme), the signing secret from the environment.

It checks each delivery's signature by the documented scheme (written here again, not imported:
the test is that a receiver following the docs can verify), records every request (idempotency
key, exact body bytes, signature valid, what it did) in a SQLite file, and fails on purpose as
told by a pattern, one action per request in turn:

    ok      record as processed, answer 200
    slow    process it, answer 200 after SLOW_SECONDS (a window in which a second sender could interfere)
    500     refuse (not processed), answer 500
    lost    process it, then answer 500 (the platform acted, the answer says it did not)
    drop    process it, then cut the connection in the middle of a 200 answer
    stall   process it, then say nothing for STALL_SECONDS (the sender times out, or is killed)
    400     refuse with 400; 429: refuse with 429 and Retry-After: 30

A request whose signature does not verify is answered 401 whatever the pattern says.
`once` overrides the pattern for given request numbers (0 is the first request).

    python -m tests.receiver DIR      # DIR holds cert.pem, key.pem and control.json; writes port, requests.sqlite
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import trustme
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

SECRET_ENV = "TRUSTDESK_TEST_RECEIVER_SECRET"
STALL_SECONDS = 120
SLOW_SECONDS = 0.2
PROCESSED = ("ok", "slow", "lost", "drop", "stall")
REPO = Path(__file__).resolve().parent.parent
SCHEMA = """CREATE TABLE IF NOT EXISTS requests (
    n INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    key TEXT,
    body BLOB NOT NULL,
    content_type TEXT,
    timestamp TEXT,
    signature TEXT,
    valid INTEGER NOT NULL,
    action TEXT NOT NULL,
    processed INTEGER NOT NULL
)"""


def _db(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(SCHEMA)
    return con


class Receiver:
    """The receiver process, seen from a test: start, reset(pattern), requests(), stop."""

    def __init__(self, directory: Path, secret: str):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.secret = secret
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
        self.ca_file = self.dir / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        cert.private_key_pem.write_to_path(str(self.dir / "key.pem"))
        (self.dir / "cert.pem").write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
        self.log = self.dir / "receiver.log"
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.reset()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/hooks/decisions"

    def reset(self, pattern: tuple[str, ...] | list[str] = ("ok",), once: dict[int, str] | None = None) -> None:
        """Forget every request so far and answer by `pattern` from now on (request numbers restart at 0)."""
        tmp = self.dir / "control.json.tmp"
        tmp.write_text(json.dumps({"pattern": list(pattern), "once": {str(k): v for k, v in (once or {}).items()}}))
        os.replace(tmp, self.dir / "control.json")
        con = _db(self.dir / "requests.sqlite")
        try:
            con.execute("DELETE FROM requests")
        finally:
            con.close()

    def start(self) -> Receiver:
        (self.dir / "port").unlink(missing_ok=True)
        env = dict(os.environ, **{SECRET_ENV: self.secret})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.receiver", str(self.dir)],
            cwd=REPO,
            env=env,
            stdout=open(self.log, "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        context = ssl.create_default_context(cafile=str(self.ca_file))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the test receiver exited with {self.proc.returncode}; see {self.log}")
            port_file = self.dir / "port"
            if port_file.exists():
                self.port = int(port_file.read_text())
                try:
                    with urllib.request.urlopen(
                        f"https://127.0.0.1:{self.port}/health", timeout=5, context=context
                    ) as answer:
                        if answer.status == 200:
                            return self
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"the test receiver did not start; see {self.log}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    def requests(self) -> list[dict]:
        con = _db(self.dir / "requests.sqlite")
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute("SELECT * FROM requests ORDER BY n")]
        finally:
            con.close()

    def wait_for(self, condition, what: str, timeout: float = 120) -> list[dict]:
        """Poll the recorded requests until `condition(requests)` holds; they are returned."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.requests()
            if condition(seen):
                return seen
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver never saw {what}; it saw {[(r['key'], r['action']) for r in seen]}")
            time.sleep(0.1)


# --------------------------------------------------------------------------- the receiver process


def create_app(directory: Path, secret: bytes):
    con = _db(directory / "requests.sqlite")
    control = directory / "control.json"

    def action_for(n: int) -> str:
        told = json.loads(control.read_text())
        return told["once"].get(str(n)) or told["pattern"][n % len(told["pattern"])]

    class Hook:
        """An ASGI endpoint rather than a function, so that `drop` can cut an answer in half."""

        async def __call__(self, scope, receive, send):
            request = Request(scope, receive)
            body = await request.body()
            timestamp = request.headers.get("x-trustdesk-timestamp", "")
            signature = request.headers.get("x-trustdesk-signature", "")
            expected = "sha256=" + hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
            valid = hmac.compare_digest(expected, signature)
            n = con.execute("SELECT count(*) FROM requests").fetchone()[0]
            action = action_for(n) if valid else "401"
            con.execute(
                "INSERT INTO requests (at, key, body, content_type, timestamp, signature, valid, action, processed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    time.time(),
                    request.headers.get("idempotency-key"),
                    body,
                    request.headers.get("content-type"),
                    timestamp,
                    signature,
                    int(valid),
                    action,
                    int(action in PROCESSED),
                ),
            )
            if action == "drop":
                await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
                await send({"type": "http.response.body", "body": b'{"ok": tr', "more_body": True})
                raise ConnectionAbortedError("dropped on purpose")
            if action in ("stall", "slow"):
                await asyncio.sleep(STALL_SECONDS if action == "stall" else SLOW_SECONDS)
            status = {
                "ok": 200,
                "slow": 200,
                "stall": 200,
                "lost": 500,
                "500": 500,
                "400": 400,
                "401": 401,
                "429": 429,
            }[action]
            headers = {"Retry-After": "30"} if status == 429 else None
            text = {200: "ok", 401: "bad signature", 400: "unknown business"}.get(status, "try again later")
            await PlainTextResponse(text, status_code=status, headers=headers)(scope, receive, send)

    async def health(_request):
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/health", health), Route("/hooks/decisions", Hook(), methods=["POST"])])


def main(directory: Path) -> None:
    app = create_app(directory, os.environ[SECRET_ENV].encode("utf-8"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    tmp = directory / "port.tmp"
    tmp.write_text(str(sock.getsockname()[1]))
    os.replace(tmp, directory / "port")
    config = uvicorn.Config(
        app,
        ssl_certfile=str(directory / "cert.pem"),
        ssl_keyfile=str(directory / "key.pem"),
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
