"""`trustdesk serve` stops like a service: SIGTERM or SIGINT to the process it started ends the
server and frees the port (issue 10), and its options are checked before it starts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.browser.conftest import free_port
from trustdesk.web.serve import OptionError, parse_options


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_trustdesk_serve_stops_the_server(tmp_path, sig):
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trustdesk.cli",
            "--data-dir",
            str(tmp_path / "data"),
            "serve",
            "--no-demo",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not _healthy(f"http://127.0.0.1:{port}"):
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server never became healthy"
            time.sleep(0.3)
        proc.send_signal(sig)  # to the process that was started, as a service manager does
        proc.wait(120)
        deadline = time.monotonic() + 60
        while _port_open(port) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert not _port_open(port), "a child process still serves the port"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # nothing of the group may be left behind
        except ProcessLookupError:
            pass


def test_options_are_typed_like_streamlits():
    assert parse_options(["--server.port", "8600", "--server.headless=true"]) == {
        "server.port": 8600,
        "server.headless": True,
    }
    assert parse_options(["run", "app.py", "--browser.gatherUsageStats", "false"]) == {
        "browser.gatherUsageStats": False
    }
    with pytest.raises(OptionError, match="needs a whole number"):
        parse_options(["--server.port", "eighty"])
    with pytest.raises(OptionError, match="unknown Streamlit option"):
        parse_options(["--server.nope", "1"])
