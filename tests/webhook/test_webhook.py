"""The live receiver against a real uvicorn server in a subprocess on a free loopback port."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from bench.webhook import body_index, post_bodies, sign, start_receiver, status_body
from trustdesk.webhook import fold_inbox
from trustdesk.webhook.secrets import WebhookConfigError, load_secrets

pytestmark = pytest.mark.timeout(180)

TOKEN, SECRET = "verify-me-7f3a", "app-secret-91c2"
ENV = {"TRUSTDESK_WEBHOOK_VERIFY_TOKEN": TOKEN, "TRUSTDESK_APP_SECRET": SECRET}


@pytest.fixture
def receiver(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    proc, port = start_receiver(root, ENV, extra=["--max-body-kb", "64"])
    yield root, port, proc
    if proc.poll() is None:
        proc.terminate()
        proc.communicate(timeout=30)


def request(port, method, path, body=b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def folded(root) -> list[bytes]:
    got = []
    fold_inbox(root, lambda batch: got.extend(batch.bodies()))
    return got


def test_meta_verification_handshake(receiver):
    _, port, _ = receiver
    ok = "/webhook?hub.mode=subscribe&hub.verify_token=" + TOKEN + "&hub.challenge=1158201444"
    assert request(port, "GET", ok) == (200, b"1158201444")
    for bad in (
        "/webhook?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
        "/webhook?hub.mode=unsubscribe&hub.verify_token=" + TOKEN + "&hub.challenge=1",
        "/webhook?hub.mode=subscribe&hub.challenge=1",
        "/webhook?hub.mode=subscribe&hub.verify_token=" + TOKEN,
    ):
        assert request(port, "GET", bad)[0] == 403


def test_a_signed_body_is_stored_and_unsigned_or_wrongly_signed_ones_are_not(receiver):
    root, port, _ = receiver
    good = status_body(1)
    assert request(port, "POST", "/webhook", good, {"X-Hub-Signature-256": sign(SECRET, good)}) == (200, b"ok")
    bad = status_body(2)
    assert request(port, "POST", "/webhook", bad)[0] == 401
    assert request(port, "POST", "/webhook", bad, {"X-Hub-Signature-256": sign("other-secret", bad)})[0] == 401
    assert request(port, "POST", "/webhook", bad, {"X-Hub-Signature-256": sign(SECRET, good)})[0] == 401
    assert request(port, "POST", "/webhook", bad, {"X-Hub-Signature-256": "md5=abc"})[0] == 401
    assert folded(root) == [good]  # the receiver is still running: its live segment is read too


def test_not_json_is_400_and_an_oversized_body_is_413_and_neither_is_stored(receiver):
    root, port, _ = receiver
    text = b"this is not json"
    assert request(port, "POST", "/webhook", text, {"X-Hub-Signature-256": sign(SECRET, text)})[0] == 400
    huge = json.dumps({"object": "whatsapp_business_account", "pad": "x" * (70 << 10)}).encode()
    assert request(port, "POST", "/webhook", huge, {"X-Hub-Signature-256": sign(SECRET, huge)})[0] == 413
    assert folded(root) == []


def test_the_receiver_refuses_to_start_without_its_secrets_in_one_sentence(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    env["HOME"] = str(tmp_path)  # no ~/.streamlit/secrets.toml either
    proc = subprocess.run(
        [sys.executable, "-m", "trustdesk.webhook", "--port", "0", "--data-dir", str(tmp_path / "d")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "TRUSTDESK_WEBHOOK_VERIFY_TOKEN and TRUSTDESK_APP_SECRET are not set" in proc.stderr
    assert not (tmp_path / "d" / "inbox").exists()


def test_secrets_come_from_the_environment_or_secrets_toml(tmp_path):
    toml = tmp_path / ".streamlit" / "secrets.toml"
    toml.parent.mkdir()
    toml.write_text('[webhook]\nverify_token = "t-from-file"\napp_secret = "s-from-file"\n')
    s = load_secrets(env={}, files=[toml])
    assert (s.verify_token, s.app_secret) == ("t-from-file", "s-from-file") and "file" not in repr(s)
    s = load_secrets(env={"TRUSTDESK_APP_SECRET": "s-env"}, files=[toml])
    assert (s.verify_token, s.app_secret) == ("t-from-file", "s-env")
    toml.write_text('TRUSTDESK_WEBHOOK_VERIFY_TOKEN = "a"\n')
    with pytest.raises(WebhookConfigError, match="^trustdesk webhook: TRUSTDESK_APP_SECRET is not set"):
        load_secrets(env={}, files=[toml])
    toml.write_text("not = [toml")
    with pytest.raises(WebhookConfigError, match="cannot be read as TOML"):
        load_secrets(env={}, files=[toml])


def test_kill_9_during_a_load_loses_no_acknowledged_body_and_the_fold_counts_each_once(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    proc, port = start_receiver(root, ENV)
    n = 3000
    bodies = [status_body(i) for i in range(n)]
    result = {}
    poster = threading.Thread(target=lambda: result.update(post_bodies(port, bodies, SECRET, clients=8)))
    poster.start()
    # Kill once a good part has been acknowledged, while the clients are still posting.
    deadline = time.monotonic() + 60
    inbox = root / "inbox"
    while time.monotonic() < deadline:
        size = sum(p.stat().st_size for p in inbox.glob("seg-*.log")) if inbox.exists() else 0
        if size > len(bodies[0]) * n // 3:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    poster.join(timeout=60)
    acked = result["acked"]
    assert 0 < len(acked) < n, "the kill came before or after the load: nothing was tested"
    assert result["errors"], "the clients saw the receiver die"
    seen = Counter(body_index(b) for b in folded(root))
    assert set(acked) <= set(seen)  # nothing that got a 200 is lost
    assert max(seen.values()) == 1  # and nothing is folded twice
    # A new receiver on the same inbox; what was folded is not handed out again.
    proc2, port2 = start_receiver(root, ENV)
    try:
        more = post_bodies(port2, [status_body(i) for i in range(n, n + 200)], SECRET, clients=4)
    finally:
        proc2.terminate()
        proc2.communicate(timeout=30)
    assert len(more["acked"]) == 200
    second = Counter(body_index(b) for b in folded(root))
    assert set(second) == set(range(n, n + 200)) and max(second.values()) == 1
    assert folded(root) == []
    assert list((root / "inbox" / "folded").glob("seg-*.log"))  # sealed segments kept as the archive
