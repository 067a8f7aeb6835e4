"""A wheel, not the checkout: `pip install .` carries app.py, the pages, the SQL and the reference
data, and `trustdesk demo` / `trustdesk serve` work from a directory outside the checkout.

The wheel is built from a copy of the tracked files (a stale `build/` cannot leak into it) and
installed with `--no-deps` into a fresh virtual environment. Its dependencies come from this test
environment through a plain path entry (a `.pth` line), which makes them importable without
making this environment's editable TrustDesk importable: the checkout's own `.pth` hook is not
run for a directory added that way, and the test checks that `trustdesk` is the installed copy.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from etl.settings import REPO_ROOT
from tests.browser.conftest import free_port

pytestmark = pytest.mark.slow

SKIP = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    "out",
    "screenshots",
    "*.duckdb*",
)


def _run(*cmd, cwd: Path, timeout: int = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    res = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert res.returncode == 0, f"{cmd} failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the TrustDesk wheel in it; its bin/ directory."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    shutil.copytree(REPO_ROOT, src, ignore=SKIP)
    for stray in (src / "data").iterdir():
        if stray.suffix != ".csv":
            shutil.rmtree(stray) if stray.is_dir() else stray.unlink()
    _run(sys.executable, "-m", "pip", "wheel", src, "--no-deps", "-q", "-w", tmp / "dist", cwd=tmp)
    wheel = next((tmp / "dist").glob("trustdesk-*.whl"))
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel, cwd=tmp)
    fresh_site = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp).stdout.strip()
    )
    (fresh_site / "trustdesk_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv / "bin"


def test_the_wheel_carries_the_site_and_the_reference_data(installed, tmp_path):
    where = _run(
        installed / "python",
        "-c",
        "import trustdesk, etl.settings as s; from trustdesk.site import site_root;"
        "print(trustdesk.__file__); print(site_root()); print(s.SHIPPED_DATA)",
        cwd=tmp_path,
    ).stdout.split()
    package, site, data = (Path(p) for p in where)
    venv = installed.parent
    assert venv in package.parents and venv in site.parents and venv in data.parents, where
    assert (site / "app.py").is_file() and (site / ".streamlit" / "config.toml").is_file()
    assert {p.name for p in (site / "pages").rglob("*.py")} >= {
        "overview.py",
        "review_queue.py",
        "upload.py",
        "settings.py",
    }
    assert (data / "markets.csv").is_file() and (data / "rate_card.csv").is_file()
    models = _run(
        installed / "python",
        "-c",
        "import etl, trustdesk.warehouse as w, pathlib as p;"
        "print(len(list(p.Path(etl.__file__).parent.joinpath('models').rglob('*.sql'))));"
        "print(len(list(p.Path(w.__file__).parent.joinpath('sql').rglob('*.sql'))))",
        cwd=tmp_path,
    ).stdout.split()
    assert int(models[0]) >= 10 and int(models[1]) >= 20, models


def test_demo_and_serve_from_outside_the_checkout(installed, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("TRUSTDESK_DATA", "PYTHONPATH")}
    demo = _run(installed / "trustdesk", "--data-dir", work / "d", "demo", cwd=work, env=env, timeout=900)
    assert "demo data ready" in demo.stderr
    status = _run(installed / "trustdesk", "--data-dir", work / "d", "status", cwd=work, env=env)
    assert "warehouse version" in status.stdout

    port = free_port()
    log = open(tmp_path / "serve.log", "w")
    server = subprocess.Popen(
        [
            installed / "trustdesk",
            "--data-dir",
            work / "d",
            "serve",
            "--no-demo",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        healthy = False
        while time.monotonic() < deadline and server.poll() is None and not healthy:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    healthy = r.read() == b"ok"
            except OSError:
                time.sleep(0.5)
        assert healthy, (tmp_path / "serve.log").read_text()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert r.status == 200 and b"<html" in r.read().lower()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        log.close()

    # The installed app itself renders: its sign-in form, from the installed app.py and pages.
    script = (
        "import sys; from streamlit.testing.v1 import AppTest; from trustdesk.site import app_file;"
        "at = AppTest.from_file(str(app_file()), default_timeout=120).run();"
        "assert not at.exception, at.exception;"
        "print(' | '.join(b.label for b in at.button) + ' | ' + ' | '.join(t.label for t in at.text_input))"
    )
    rendered = _run(installed / "python", "-c", script, cwd=work, env={**env, "TRUSTDESK_DATA": str(work / "d")})
    assert "Password" in rendered.stdout, rendered.stdout
