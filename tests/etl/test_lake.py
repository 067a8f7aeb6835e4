"""The open lake (etl/lake.py): every committed raw row is in exactly one Parquet file the manifest
lists, partitioned by kind and day; loads only add files; another engine (Polars) reads what DuckDB
stores; a sync killed with SIGKILL between its files and its manifest leaves the lake as before."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import polars as pl
import pytest

from etl import lake, store
from etl.contract import KIND_NAMES
from etl.ingest.load import load_files
from tests import worlds
from tests.worlds import block, msg, report, write_kind

DAY1 = "2026-03-01T10:00:00Z"
DAY2 = "2026-03-02T10:00:00Z"
DAY3 = "2026-03-03T23:59:59Z"

BUSINESSES = [
    dict(business_id="b1", name="Shop One", category="retail", country="IN"),
    dict(business_id="b2", name="Bank Two", category="finance", country="BR"),
]


def _messages(prefix: str, *days: str) -> list[dict]:
    rows = []
    for d in days:
        for i in range(5):
            rows.append(msg(f"{prefix}{d[:10]}-{i}", d, "b1", f"u{i}", "inbound", "IN"))
            rows.append(
                msg(f"{prefix}{d[:10]}-o{i}", d, "b2", f"u{i}", "outbound", "BR", "marketing", "promo", "delivered")
            )
    return rows


def _raw_equals_lake(root: Path) -> None:
    """Every kind: the manifest's files hold exactly the raw table's rows, each in its day's file."""
    con = duckdb.connect(str(root / store.INGEST_FILE), read_only=True)
    try:
        for kind in KIND_NAMES:
            paths = [str(p) for p in lake.files(root, kind)]
            raw = con.execute(f"SELECT count(*) FROM raw_{kind}").fetchone()[0]
            if not paths:
                assert raw == 0, f"{kind}: {raw} raw rows and no lake file"
                continue
            lake_rows = "read_parquet($paths, hive_partitioning = false, union_by_name = true)"
            missing = con.execute(
                f"SELECT count(*) FROM (SELECT * FROM raw_{kind} EXCEPT ALL SELECT * FROM {lake_rows})",
                {"paths": paths},
            ).fetchone()[0]
            extra = con.execute(
                f"SELECT count(*) FROM (SELECT * FROM {lake_rows} EXCEPT ALL SELECT * FROM raw_{kind})",
                {"paths": paths},
            ).fetchone()[0]
            assert (missing, extra) == (0, 0), f"{kind}: {missing} raw rows not in the lake, {extra} lake rows not raw"
    finally:
        con.close()


@pytest.fixture()
def two_loads(tmp_path):
    root, results = worlds.build(
        tmp_path,
        businesses=BUSINESSES,
        messages=_messages("a", DAY1, DAY2),
        reports=[report("r1", DAY2, "u1", "b2", "spam")],
    )
    assert all(r.status == "loaded" for r in results)
    return root


def test_every_raw_row_is_in_one_listed_file_of_its_kind_and_day(two_loads):
    root = two_loads
    _raw_equals_lake(root)
    manifest = lake.read_manifest(root)
    by_kind_day = {(f["kind"], f["day"]) for f in manifest["files"]}
    assert {("messages", "2026-03-01"), ("messages", "2026-03-02"), ("reports", "2026-03-02")} <= by_kind_day
    assert ("businesses", None) in by_kind_day  # a dimension without a time column: no day partition
    for f in manifest["files"]:
        path = lake.lake_dir(root) / f["path"]
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
        if f["day"]:
            assert f"/day={f['day']}/" in f"/{f['path']}"
            # the day in the path is the day of every row in the file (UTC)
            col = {"messages": "sent_at", "reports": "reported_at"}[f["kind"]]
            days = pl.read_parquet(path).select(pl.col(col).dt.date().unique())[col].to_list()
            assert [d.isoformat() for d in days] == [f["day"]]
        assert pl.read_parquet(path).height == f["rows"]


def test_another_engine_reads_the_lake_as_hive_partitions(two_loads):
    root = two_loads
    paths = [str(p) for p in lake.files(root, "messages")]
    frame = pl.read_parquet(paths, hive_partitioning=True)
    assert frame.height == 20
    assert set(frame["day"].cast(pl.Utf8)) == {"2026-03-01", "2026-03-02"}
    assert {"message_id", "sent_at", "load_id", "line", "row_hash"} <= set(frame.columns)


def test_a_load_adds_files_and_never_rewrites_a_day(two_loads, tmp_path):
    root = two_loads
    before = lake.read_manifest(root)
    stamps = {f["path"]: (lake.lake_dir(root) / f["path"]).stat().st_mtime_ns for f in before["files"]}
    late = write_kind(tmp_path / "late.csv", "messages", _messages("late", DAY1, DAY3))
    blocks = write_kind(tmp_path / "blocks.csv", "blocks", [block("k1", DAY3, "u2", "b2", "spam")])
    assert [r.status for r in load_files(root, [late, blocks], user="test")] == ["loaded", "loaded"]
    after = lake.read_manifest(root)
    assert after["through_load"] > before["through_load"]
    assert after["files"][: len(before["files"])] == before["files"]  # old entries kept as they were
    for path, mtime in stamps.items():
        assert (lake.lake_dir(root) / path).stat().st_mtime_ns == mtime
    new = {(f["kind"], f["day"]) for f in after["files"][len(before["files"]) :]}
    # the late rows for an old day went into a new file beside the day's first one
    assert new == {("messages", "2026-03-01"), ("messages", "2026-03-03"), ("blocks", "2026-03-03")}
    assert len(lake.files(root, "messages")) == 4
    _raw_equals_lake(root)


def test_a_reload_of_known_rows_adds_nothing(two_loads):
    root = two_loads
    before = lake.read_manifest(root)
    again = load_files(root, [root.parent / "in" / "messages.csv"], user="test")
    assert again[0].loaded == 0
    after = lake.read_manifest(root)
    assert after["files"] == before["files"]
    _raw_equals_lake(root)


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from etl import lake, store
    from etl.ingest.load import load_files

    moved = []
    real = lake._durable_move

    def move_then_die(src, dst):
        real(src, dst)
        moved.append(dst)
        if len(moved) == int(sys.argv[3]):
            os.kill(os.getpid(), signal.SIGKILL)

    lake._durable_move = move_then_die
    load_files(Path(sys.argv[1]), [Path(sys.argv[2])], user="test")
    """
)


@pytest.mark.parametrize("after_files", [1, 2])
def test_a_sync_killed_between_its_files_and_its_manifest_leaves_the_lake_as_before(two_loads, tmp_path, after_files):
    root = two_loads
    before = (lake.lake_dir(root) / lake.MANIFEST).read_bytes()
    new = write_kind(tmp_path / "more.csv", "messages", _messages("more", DAY2, DAY3))
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(root), str(new), str(after_files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -9, proc.stderr
    # The load had committed (its rows are in the store); the lake still says what it said before,
    # and every file it lists is whole.
    assert (lake.lake_dir(root) / lake.MANIFEST).read_bytes() == before
    listed = json.loads(before)["files"]
    for f in listed:
        assert pl.read_parquet(lake.lake_dir(root) / f["path"]).height == f["rows"]
    strays = {p.relative_to(lake.lake_dir(root)).as_posix() for p in lake.lake_dir(root).rglob("*.parquet")}
    assert strays - {f["path"] for f in listed}, "the kill came after a file was renamed into place"
    # The next build catches up: the stray files are gone and the lake equals the store again.
    with store.load_lock(root):
        con = store.connect_ingest(root)
        try:
            lake.sync(con, root)
        finally:
            con.close()
    manifest = lake.read_manifest(root)
    on_disk = {p.relative_to(lake.lake_dir(root)).as_posix() for p in lake.lake_dir(root).rglob("*.parquet")}
    assert on_disk == {f["path"] for f in manifest["files"]}
    assert not list(lake.lake_dir(root).glob(".tmp-*"))
    _raw_equals_lake(root)


def test_a_manifest_that_is_not_ours_is_one_sentence(tmp_path):
    (tmp_path / "lake").mkdir()
    (tmp_path / "lake" / "manifest.json").write_text("{not json")
    with pytest.raises(lake.LakeError) as err:
        lake.read_manifest(tmp_path)
    assert "manifest.json is not a lake manifest" in str(err.value) and "\n" not in str(err.value)
