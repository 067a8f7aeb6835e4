"""Real-browser fixtures: Debian's Chromium driven by Playwright against `trustdesk serve`.

Never a downloaded browser: Chromium comes from apt (`./dev test` installs it where it can).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.worlds import synthetic
from trustdesk.accounts import auth

CHROMIUM = os.environ.get("TRUSTDESK_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "browser-test-password"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() and shutil.which(CHROMIUM):
        return
    reason = f"browser tests skipped: {CHROMIUM} not found (install Debian's chromium: apt-get install chromium)"
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=reason))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`trustdesk serve` on a free port; can be killed and started again on the same data."""

    def __init__(self, root: Path, *extra: str):
        self.root = root
        self.extra = list(extra)  # more Streamlit options, e.g. "--server.maxUploadSize", "2"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = root / "serve.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "trustdesk.cli",
            "--data-dir",
            str(self.root),
            "serve",
            "--no-demo",
            "--server.port",
            str(self.port),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            *self.extra,
        ]
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"trustdesk serve exited with {self.proc.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"trustdesk serve did not become healthy; see {self.log}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)


@pytest.fixture(scope="session")
def world(tmp_path_factory):

    base = synthetic(
        tmp_path_factory.mktemp("browser"), user="setup", seed=7, businesses=200, days=45, messages=150_000
    )
    root = base / "data"
    for role in auth.ROLES:
        auth.upsert_account(root, role, role, PASSWORD)
    return base


@pytest.fixture(scope="session")
def server(world):
    srv = Server(world / "data")
    srv.start()
    yield srv
    srv.kill()


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module: Playwright's sync API runs an event loop in this thread while
    it is open, and tests outside tests/browser that run asyncio themselves must not find one."""
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait for their condition; a loaded machine only makes them slower, never wrong.
    expect.set_options(timeout=90_000)

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    yield pg
    context.close()


READY = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
      && app.getAttribute('data-test-connection-state') === 'CONNECTED'
      && !!app.querySelector('h1');
}"""


def wait_ready(page, timeout_s: float = 120) -> None:
    """Streamlit is connected, has drawn a page (every page has a title) and is not running the
    script. A run can start another (a callback, a query-parameter write), so the ready state
    must hold on three checks in a row; each check waits for the condition, however slow the
    machine."""
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while quiet < 3:
        left_ms = max(1_000, (deadline - time.monotonic()) * 1000)
        page.wait_for_function(READY, timeout=left_ms, polling=100)
        quiet += 1
        if quiet < 3:
            page.wait_for_timeout(150)
            if not page.evaluate(READY):
                quiet = 0


def sign_in(page, url: str, role: str) -> None:
    page.goto(url)
    wait_ready(page)
    page.get_by_role("textbox", name="Name").fill(role)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=120_000)
    wait_ready(page)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def choose(page, label: str, option: str, timeout_s: float = 120) -> None:
    """Pick `option` in the select box `label`. A rerun that lands while the list is open closes it,
    so open it again until the option can be clicked."""
    deadline = time.monotonic() + timeout_s
    while True:
        wait_ready(page)
        page.get_by_role("combobox", name=label, exact=True).click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=10_000)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            page.keyboard.press("Escape")
