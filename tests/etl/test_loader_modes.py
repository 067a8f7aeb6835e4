"""The data directory holds message texts and user ids: what the loader writes there is the
owner's only (directories 0700, files 0600), whatever the umask of the process."""

from __future__ import annotations

import gzip
import os
import stat

import pytest

from etl import store
from etl.build import build_warehouse
from etl.ingest.load import ensure_schema, load_files

BLOCKS = "block_id,blocked_at,user_id,business_id,reason\nk1,2026-03-01T10:00:00Z,u1,b1,spam\n"


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _modes(root):
    return {
        str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")] if not p.is_symlink()
    }


def _loose(root) -> dict:
    """What someone other than the owner could read or enter."""
    return {name: oct(mode) for name, mode in _modes(root).items() if mode & 0o077}


def test_a_load_and_a_rebuild_leave_nothing_readable_by_others(tmp_path, loose_umask):
    root = tmp_path / "data"
    plain = tmp_path / "blocks.csv"
    plain.write_text(BLOCKS)
    packed = tmp_path / "more.csv.gz"
    packed.write_bytes(gzip.compress(BLOCKS.replace("k1", "k2").encode()))
    os.chmod(packed, 0o644)
    results = load_files(root, [plain, packed], user="t")
    assert [r.status for r in results] == ["loaded", "loaded"]
    modes = _modes(root)
    assert modes["."] == 0o700 and modes["warehouse"] == 0o700 and modes["tmp"] == 0o700
    assert modes["ingest.duckdb"] == 0o600 and modes["CURRENT"] == 0o600
    assert any(name.startswith("warehouse/wh-") for name in modes)
    assert _loose(root) == {}
    with store.load_lock(root):  # the rebuild (`trustdesk rebuild`) publishes a new warehouse file
        con = store.connect_ingest(root)
        try:
            ensure_schema(con)
            build_warehouse(root, con, force=True)
        finally:
            con.close()
        assert _modes(root)["load.lock"] == 0o600
    assert len([n for n in _modes(root) if n.startswith("warehouse/wh-")]) == 2
    assert _loose(root) == {}


def test_an_existing_open_data_directory_is_closed(tmp_path, loose_umask):
    root = tmp_path / "data"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    plain = tmp_path / "blocks.csv"
    plain.write_text(BLOCKS)
    load_files(root, [plain], user="t")
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_private_helpers(tmp_path, loose_umask):
    os.chmod(tmp_path, 0o755)
    d = store.private_dir(tmp_path / "a" / "b")
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert stat.S_IMODE(d.parent.stat().st_mode) == 0o700  # the parent it made
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755  # one that was there is not its business
    f = d / "x.sqlite"
    f.write_text("")
    assert stat.S_IMODE(store.private_file(f).stat().st_mode) == 0o600
    store.private_file(d / "missing")  # not there yet: nothing to do, no error
