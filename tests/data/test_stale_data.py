"""A load that committed but whose marts were never published is said on every page (issue 15.11)."""

from __future__ import annotations

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from etl import store
from etl.settings import REPO_ROOT
from tests.worlds import BLOCKS, BUSINESSES, MESSAGES, REPORTS, build, sign_in_apptest
from trustdesk.accounts.auth import PermissionDenied, Principal
from trustdesk.data import maintenance


def interrupted_build(tmp_path):
    """The state a loader killed between its commit and its publish leaves behind."""
    root, _ = build(tmp_path, businesses=BUSINESSES, messages=MESSAGES, blocks=BLOCKS, reports=REPORTS)
    con = duckdb.connect(str(root / store.INGEST_FILE))
    con.execute("UPDATE store_meta SET version = version + 1")
    con.close()
    return root


def run(root, monkeypatch, page, who):
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=120)
    sign_in_apptest(at, root, who)
    at.run()
    assert not at.exception, at.exception
    return at


def test_every_page_says_the_data_is_behind_and_an_admin_rebuilds(tmp_path, monkeypatch):
    root = interrupted_build(tmp_path)
    at = run(root, monkeypatch, "app.py", Principal("pm", "analyst"))
    said = [w.value for w in at.sidebar.warning]
    assert any("The dashboard shows older data" in w and "newer than the marts" in w for w in said), said
    assert not [b for b in at.sidebar.button if b.key == "rebuild_marts"]  # analysts may not rebuild

    at = run(root, monkeypatch, "app.py", Principal("ada", "admin"))
    before = store.read_pointer(root)["version"]
    [rebuild] = [b for b in at.sidebar.button if b.key == "rebuild_marts"]
    rebuild.click().run()
    assert not at.exception, at.exception
    assert store.read_pointer(root)["version"] == before + 1
    at = run(root, monkeypatch, "app.py", Principal("ada", "admin"))
    assert not any("older data" in w.value for w in at.sidebar.warning)
    with pytest.raises(PermissionDenied):
        maintenance.rebuild(root, Principal("pm", "analyst"))
    before = store.read_pointer(root)["version"]
    assert maintenance.rebuild(root, Principal("ada", "admin"))["version"] == before + 1
    assert maintenance.data_warnings(root) == []


def test_a_current_warehouse_shows_no_warning(tmp_path, monkeypatch):
    root, _ = build(tmp_path, businesses=BUSINESSES, messages=MESSAGES)
    at = run(root, monkeypatch, "app.py", Principal("pm", "analyst"))
    assert not any("older data" in w.value for w in at.sidebar.warning)
