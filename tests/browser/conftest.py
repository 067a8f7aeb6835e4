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

CHROMIUM = os.environ.get("TRUSTDESK_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "browser-test-password"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


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

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = root / "serve.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cmd = [sys.executable, "-m", "trustdesk.cli", "--data-dir", str(self.root), "serve", "--no-demo",
               "--server.port", str(self.port), "--server.headless", "true",
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 90
        while time.time() < deadline:
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
            self.proc.wait(10)


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    from etl.generate import generate_world
    from etl.load import load_files
    from trustdesk import auth

    base = tmp_path_factory.mktemp("browser")
    generate_world(base / "w", seed=7, businesses=200, days=45, messages=150_000)
    root = base / "data"
    files = sorted(p for p in (base / "w").glob("*.csv") if p.name != "truth.csv")
    load_files(root, files, user="setup")
    for role in auth.ROLES:
        auth.upsert_account(root, role, role, PASSWORD)
    return base


@pytest.fixture(scope="session")
def server(world):
    srv = Server(world / "data")
    srv.start()
    yield srv
    srv.kill()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


RUNNING = (
    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
    " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')"
)


def wait_ready(page) -> None:
    """Streamlit has drawn the page (every page has a title) and has stopped running the script:
    the status widget says nothing for three checks in a row."""
    page.wait_for_selector('[data-testid="stApp"] h1')
    quiet = 0
    deadline = time.time() + 60
    while quiet < 3 and time.time() < deadline:
        page.wait_for_timeout(250)
        quiet = quiet + 1 if page.evaluate(RUNNING) else 0


def sign_in(page, url: str, role: str) -> None:
    page.goto(url)
    wait_ready(page)
    page.get_by_role("textbox", name="Name").fill(role)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector('[data-testid="stSidebarNav"]')
    wait_ready(page)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
