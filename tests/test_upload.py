"""The Upload page and its read/write side: the same store as `trustdesk load`, broken files said in
a sentence, nothing written before Load, analysts refused on the server side, limits, temp files,
loads that do not block readers, and a file far larger than DuckDB's memory limit."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from etl import store
from etl.load import load_files
from tests.corpus import CASES
from tests.test_corpus import REJECTED
from trustdesk import cli, uploads
from trustdesk.auth import PermissionDenied, Principal
from trustdesk.config import REPO_ROOT, Settings
from trustdesk.loads import summary_lines
from trustdesk.warehouse import open_current

MOD = Principal("maria", "moderator")
ANALYST = Principal("ana", "analyst")
BLOCKS = b"block_id,blocked_at,user_id,business_id,reason\nk1,2026-03-01T10:00:00Z,u1,b1,spam\nk2,never,u1,b1,spam\n"


class Upload:
    """What st.file_uploader hands the page: a BytesIO-like file with an id, a name and a size."""

    def __init__(self, name: str, data: bytes, file_id: str | None = None):
        import io

        self._buf = io.BytesIO(data)
        self.name, self.size, self.file_id = name, len(data), file_id or name

    def seek(self, offset, whence=0):
        return self._buf.seek(offset, whence)

    def read(self, size=-1):
        return self._buf.read(size)


class FileUpload(Upload):
    """An upload streamed from a file on disk rather than held in memory."""

    def __init__(self, fh, path: Path):
        self._buf, self.name, self.size, self.file_id = fh, path.name, path.stat().st_size, path.name


def upload_page(root, monkeypatch, files, who: Principal = MOD) -> AppTest:
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(REPO_ROOT / "pages" / "upload.py"), default_timeout=300)
    at.session_state["principal"] = who
    at.run()
    assert not at.exception, at.exception
    at.file_uploader(key="upload_files").set_value([(n, d, "text/csv") for n, d in files])
    at.run()
    assert not at.exception, at.exception
    return at


def td(*args, root=None):
    cmd = [sys.executable, "-m", "trustdesk.cli"] + (["--data-dir", str(root)] if root else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def ingest(root: Path, sql: str):
    con = duckdb.connect(str(root / store.INGEST_FILE), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- the same store

LOAD_COLUMNS = ("load_id, file_name, sha256, file_bytes, kind, status, rows_read, loaded, duplicates, "
                "quarantined, unknown_columns, error, top_reasons")


def warehouse_tables(root: Path) -> dict[str, pl.DataFrame]:
    wh = open_current(root)
    try:
        names = [r[0] for r in wh.con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        out = {}
        for name in names:
            if name == "loads":
                out[name] = wh.query(f"SELECT {LOAD_COLUMNS} FROM loads ORDER BY load_id")
            elif name == "meta":
                out[name] = wh.query("SELECT * FROM meta WHERE key NOT IN ('built_at') ORDER BY key")
            else:
                out[name] = wh.query(f'SELECT * FROM "{name}" ORDER BY ALL')
        return out
    finally:
        wh.close()


def test_uploading_a_generated_world_gives_the_store_trustdesk_load_gives(tmp_path, monkeypatch):
    world = tmp_path / "world"
    res = td("generate", "--out", str(world), "--seed", "5", "--businesses", "40", "--days", "6",
             "--messages", "6000")
    assert res.returncode == 0, res.stderr
    files = sorted(world.glob("*.csv"))  # as `trustdesk load world/*.csv`: truth.csv is refused
    assert "truth.csv" in [f.name for f in files]

    by_cli = tmp_path / "cli"
    res = td("load", *map(str, files), root=by_cli)
    assert res.returncode == 2, res.stderr  # truth.csv is no log

    by_upload = tmp_path / "upload"
    at = upload_page(by_upload, monkeypatch, [(f.name, f.read_bytes()) for f in files])
    assert store.read_pointer(by_upload) is None  # checked, nothing written yet
    assert "truth.csv: its header (business_id, archetype) matches no kind" in " ".join(t.value for t in at.text)
    at.button(key="load").click().run()
    assert not at.exception, at.exception
    assert at.code[0].value.splitlines() == res.stdout.splitlines()

    cli_tables, upload_tables = warehouse_tables(by_cli), warehouse_tables(by_upload)
    assert cli_tables.keys() == upload_tables.keys()
    assert {"business_day", "dim_businesses", "rows_by_day", "loads", "quarantine"} <= cli_tables.keys()
    for name, expected in cli_tables.items():
        assert upload_tables[name].equals(expected), name
    kinds = ("businesses", "messages", "reports", "blocks", "opt_outs", "ad_campaigns", "ad_events")
    for kind in kinds:
        sql = f"SELECT * FROM raw_{kind} ORDER BY ALL"
        assert ingest(by_upload, sql) == ingest(by_cli, sql), kind
    who = ingest(by_upload, "SELECT DISTINCT loaded_by FROM loads")
    assert who == [("maria",)]
    assert not any(uploads.upload_dir(by_upload).iterdir())  # staged copies removed


# --------------------------------------------------------------------------- broken files

SMALL_BROKEN = sorted(n for n, (data, kind) in CASES.items() if kind is None and len(data) < 1 << 20)


def test_broken_files_say_what_is_wrong_and_nothing_raises(tmp_path, monkeypatch):
    at = upload_page(tmp_path / "data", monkeypatch, [(n, CASES[n][0]) for n in SMALL_BROKEN])
    shown = [t.value for t in at.text]
    for name in SMALL_BROKEN:
        if name in REJECTED:
            assert f"{name}: {REJECTED[name]}" in shown, name
    assert len(at.error) == sum(n in REJECTED for n in SMALL_BROKEN)
    assert all(e.value.startswith("Rejected as a whole") for e in at.error)
    at.button(key="load").click().run()
    assert not at.exception, at.exception
    text = at.code[0].value.splitlines()
    for name in SMALL_BROKEN:
        if name in REJECTED:
            assert f"{name}: REJECTED: {name}: {REJECTED[name]}" in text


def test_kind_can_be_changed_before_loading(tmp_path, monkeypatch):
    root = tmp_path / "data"
    at = upload_page(root, monkeypatch, [("export.csv", BLOCKS)])
    [box] = [s for s in at.selectbox if s.label == "Kind"]
    assert box.value == "auto" and box.options[0] == "detect from the header (blocks)"
    assert {m.label: m.value for m in at.metric}["Would be quarantined"] == "1"
    box.select("reports").run()
    assert "export.csv: the header lacks the required columns report_id, reported_at for reports" in [
        t.value for t in at.text]
    at.selectbox(key=box.key).select("blocks").run()
    at.button(key="load").click().run()
    assert not at.exception
    assert ingest(root, "SELECT kind, loaded, quarantined, loaded_by FROM loads") == [("blocks", 1, 1, "maria")]


def test_the_page_states_the_limit_and_refuses_a_file_over_it(tmp_path, monkeypatch):
    root = tmp_path / "data"
    Settings(upload_max_mb=1).save(root)
    at = upload_page(root, monkeypatch, [("big.csv", BLOCKS + b"x" * (2 << 20))])
    assert "up to 1 MB per file" in at.caption[0].value
    assert "big.csv: is 2 MB, larger than the 1 MB upload limit (setting upload_max_mb); " \
           "split the export or load it with `trustdesk load`" in [t.value for t in at.text]
    assert not uploads.upload_dir(root).exists()  # never written to disk


def test_limit_is_the_setting_capped_by_the_server():
    import tomllib

    server = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    assert server == Settings().upload_max_mb  # the two limits agree out of the box
    assert uploads.limit_mb(Path("/nonexistent"), 200) == 200
    assert uploads.limit_mb(Path("/nonexistent"), None) == Settings().upload_max_mb


# --------------------------------------------------------------------------- roles, names, temp files

def test_analysts_are_refused_on_the_server_side(tmp_path):
    root = tmp_path / "data"
    staged = uploads.stage(root, MOD, Upload("b.csv", BLOCKS))
    for who, words in ((ANALYST, "the analyst role may not upload files"), (None, "sign in to upload files")):
        with pytest.raises(PermissionDenied, match=words):
            uploads.stage(root, who, Upload("b.csv", BLOCKS))
        with pytest.raises(PermissionDenied, match=words):
            uploads.check(root, who, staged)
        with pytest.raises(PermissionDenied, match=words):
            uploads.load(root, who, [staged])
        with pytest.raises(PermissionDenied, match=words):
            uploads.UploadBatch(root).sync(who, [Upload("b.csv", BLOCKS)])
    assert not (root / store.INGEST_FILE).exists() or ingest(root, "SELECT count(*) FROM loads") == [(0,)]


def test_the_analyst_sees_no_uploader(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTDESK_DATA", str(tmp_path))
    at = AppTest.from_file(str(REPO_ROOT / "pages" / "upload.py"), default_timeout=60)
    at.session_state["principal"] = ANALYST
    at.run()
    assert not at.exception and not at.file_uploader and "needs the moderator role" in at.error[0].value


@pytest.mark.parametrize("name, kept", [
    ("blocks.csv", "blocks.csv"), ("../../etc/passwd.csv", "passwd.csv"), ("C:\\Users\\me\\b.csv", "b.csv"),
    ("..", "upload.csv"), ("", "upload.csv"), ("é" * 150 + ".csv", None),
])
def test_uploaded_names_stay_inside_the_upload_directory(tmp_path, name, kept):
    root = tmp_path / "data"
    staged = uploads.stage(root, MOD, Upload(name, BLOCKS))
    assert staged.path.parent.parent == uploads.upload_dir(root)
    assert staged.path.read_bytes() == BLOCKS and staged.name == name
    if kept:
        assert staged.path.name == kept
    else:
        assert staged.path.name.endswith(".csv") and len(staged.path.name.encode()) <= 200
    uploads.discard([staged])
    assert not any(uploads.upload_dir(root).iterdir())


def test_dry_run_then_load_keeps_the_name_and_cleans_up(tmp_path):
    root = tmp_path / "data"
    batch = uploads.UploadBatch(root)
    [staged] = batch.sync(MOD, [Upload("Export (May).csv", BLOCKS, "id-1")])
    check = batch.check(MOD, staged)
    assert (check.result.kind, check.result.loaded, check.result.quarantined) == ("blocks", 1, 1)
    assert check.result.load_id is None and check.preview.shape == (2, 5)
    assert batch.check(MOD, staged) is check  # kept between reruns
    assert ingest(root, "SELECT count(*) FROM loads") == [(0,)] and store.read_pointer(root) is None
    [res] = batch.load(MOD, {"id-1": None})
    assert (res.file, res.status, res.loaded) == ("Export (May).csv", "partial", 1)
    assert ingest(root, "SELECT file_name, loaded_by FROM loads") == [("Export (May).csv", "maria")]
    assert not any(uploads.upload_dir(root).iterdir())
    again = batch.check(MOD, batch.sync(MOD, [Upload("Export (May).csv", BLOCKS, "id-1")])[0])
    assert again is not check and again.result.already_loaded.startswith("this file was already loaded on ")


def test_summary_is_the_text_trustdesk_load_prints(tmp_path, capsys):
    root = tmp_path / "data"
    (tmp_path / "b.csv").write_bytes(BLOCKS + b"k3,2026-03-01T10:00:00Z,u1,b1,spam,extra\n")
    (tmp_path / "e.csv").write_bytes(b"")
    results = load_files(root, [tmp_path / "b.csv", tmp_path / "e.csv", tmp_path / "b.csv"], user="t")
    cli._print_results(results, "text")
    assert capsys.readouterr().out.splitlines() == summary_lines(results)


def test_preview_survives_anything():
    import tempfile

    for name, (data, _) in CASES.items():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            frame = uploads.preview(path)
            assert frame.height <= uploads.PREVIEW_ROWS
            assert all(t == pl.String for t in frame.schema.values())


# --------------------------------------------------------------------------- concurrency

def test_a_load_in_progress_does_not_block_readers(tmp_path, monkeypatch):
    """While one session's load waits inside the loader (holding the load lock), another session's
    page renders from the published warehouse; the new data shows once the load completes."""
    root = tmp_path / "data"
    load_files(root, [_blocks(tmp_path / "a.csv", 10, "a")], user="t")
    inside, release = threading.Event(), threading.Event()

    def pause(done, text):
        if text.startswith("file 1 of 1: writing"):
            inside.set()
            release.wait(60)

    staged = uploads.stage(root, MOD, Upload("b.csv", _blocks(tmp_path / "b.csv", 5, "b").read_bytes()))
    results = []
    loader = threading.Thread(target=lambda: results.extend(uploads.load(root, MOD, [staged], progress=pause)))
    loader.start()
    try:
        assert inside.wait(60)
        monkeypatch.setenv("TRUSTDESK_DATA", str(root))
        at = AppTest.from_file(str(REPO_ROOT / "pages" / "load_history.py"), default_timeout=60)
        at.session_state["principal"] = ANALYST
        at.run()
        assert not at.exception
        assert {m.label: m.value for m in at.metric}["Loads"] == "1"
    finally:
        release.set()
        loader.join(120)
    assert [r.loaded for r in results] == [5]
    at.run()
    assert {m.label: m.value for m in at.metric}["Loads"] == "2"


def test_two_uploads_at_once_in_one_process_serialise(tmp_path):
    root = tmp_path / "data"
    files = [uploads.stage(root, MOD, Upload(f"{p}.csv", _blocks(tmp_path / f"{p}.csv", 2000, p).read_bytes()))
             for p in ("x", "y")]
    results: list = []
    threads = [threading.Thread(target=lambda s=s: results.extend(uploads.load(root, MOD, [s]))) for s in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert sorted((r.file, r.loaded) for r in results) == [("x.csv", 2000), ("y.csv", 2000)]
    wh = open_current(root)
    assert wh.scalar("SELECT count(*) FROM loads") == 2
    wh.close()


def _blocks(path: Path, n: int, prefix: str) -> Path:
    rows = "".join(f"{prefix}{i},2026-03-01T10:00:00Z,u{i},b1,spam\n" for i in range(n))
    path.write_text("block_id,blocked_at,user_id,business_id,reason\n" + rows)
    return path


# --------------------------------------------------------------------------- bigger than memory

@pytest.mark.slow
def test_an_upload_four_times_the_memory_limit_loads(tmp_path):
    """64 MB for DuckDB, a 260 MB file: read in 16 MB buffers by one thread, the rest spilled."""
    root = tmp_path / "data"
    Settings(duckdb_memory_limit="64MB").save(root)
    n = 650_000
    rng = np.random.default_rng(3)
    path = tmp_path / "messages.csv"
    pl.DataFrame({
        "message_id": pl.Series(np.arange(n)).cast(pl.String).str.pad_start(10, "0"),
        "sent_at": (1772323200 + rng.integers(0, 86400 * 20, n)).astype(str),
        "business_id": pl.Series(np.arange(n) % 300).cast(pl.String),
        "user_id": pl.Series(np.arange(n) % 90001).cast(pl.String),
        "direction": "outbound", "user_country": "IN", "category": "marketing", "template": "promo",
        "status": "delivered", "text": "x" * 360,
    }).write_csv(path)
    assert path.stat().st_size > 4 * 64 * 2**20
    with open(path, "rb") as fh:
        staged = uploads.stage(root, MOD, FileUpload(fh, path))
    [res] = uploads.load(root, MOD, [staged])
    assert (res.status, res.rows_read, res.loaded) == ("loaded", n, n)
    wh = open_current(root)
    assert wh.scalar("SELECT sum(messages) FROM business_day") == n
    wh.close()


def test_too_little_memory_is_one_sentence_on_the_page_and_the_command(tmp_path, monkeypatch):
    root = tmp_path / "data"
    Settings(duckdb_memory_limit="8MB").save(root)
    big = _blocks(tmp_path / "b.csv", 600_000, "k").read_bytes()  # 25 MB: more than DuckDB may hold
    at = upload_page(root, monkeypatch, [("b.csv", big)])
    assert at.error[0].value == "Nothing was loaded:"
    assert at.text[-1].value == ("DuckDB ran out of memory loading b.csv (setting duckdb_memory_limit is 8MB); "
                                 "nothing of it was loaded; raise the setting and load it again")
    res = td("load", str(tmp_path / "b.csv"), root=root)
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines() == ["trustdesk: " + at.text[-1].value]
