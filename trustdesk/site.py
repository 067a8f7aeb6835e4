"""Where the dashboard's own files are: `app.py`, `pages/`, `.streamlit/config.toml` and the docs the
dashboard offers (settings, samples).

Run from a checkout they are the checkout's; an installed wheel carries a copy inside the package
(`trustdesk/_site`, written by setup.py), so `trustdesk serve` works from any directory.
"""

from __future__ import annotations

from pathlib import Path

from etl.settings import REPO_ROOT

INSTALLED = Path(__file__).resolve().parent / "_site"


def site_root() -> Path:
    if (REPO_ROOT / "app.py").is_file() and (REPO_ROOT / "pages").is_dir():
        return REPO_ROOT
    return INSTALLED


def app_file() -> Path:
    return site_root() / "app.py"
