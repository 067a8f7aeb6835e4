"""The Upload page and its read/write side: the same store as `trustdesk load`, broken files said in
a sentence, nothing written before Load, analysts refused on the server side, limits, temp files,
loads that do not block readers, and a file far larger than DuckDB's memory limit."""

from __future__ import annotations

import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from etl import store
from etl.ingest.load import load_files
from etl.settings import REPO_ROOT, Settings
from tests.corpus import CASES
from tests.etl.test_corpus import REJECTED
from tests.worlds import log_files, sign_in_apptest
from trustdesk.accounts.auth import PermissionDenied, Principal
from trustdesk.cli.data import print_results
from trustdesk.data import uploads
from trustdesk.data.loads import summary_lines
from trustdesk.warehouse import open_current
from trustdesk.web.navigation import page_path

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


@contextmanager
def paused_load(root, staged):
    """Load `staged` as MOD in another thread, held inside the loader (the load lock taken, file 1
    being written) for the length of the block; the load's results, complete once the block ends."""
    inside, go_on = threading.Event(), threading.Event()

    def pause(done, text):
        if text.startswith("file 1 of 1: writing"):
            inside.set()
            go_on.wait(60)

    results: list = []
    loader = threading.Thread(target=lambda: results.extend(uploads.load(root, MOD, [staged], progress=pause)))
    loader.start()
    try:
        assert inside.wait(60)
        yield results
    finally:
        go_on.set()
        loader.join(120)


def upload_page(root, monkeypatch, files, who: Principal = MOD) -> AppTest:
    """The Upload page as the app serves it (its links to other pages need the app's navigation)."""
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=300)
    sign_in_apptest(at, root, who)
    at.run()
    at.switch_page("pages/data/upload.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Upload"
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

LOAD_COLUMNS = (
    "load_id, file_name, sha256, file_bytes, kind, status, rows_read, loaded, duplicates, "
    "quarantined, unknown_columns, error, top_reasons"
)


def warehouse_tables(root: Path) -> dict[str, pl.DataFrame]:
    wh = open_current(root)
    try:
        names = [r[0] for r in wh.con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
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
    res = td("generate", "--out", str(world), "--seed", "5", "--businesses", "40", "--days", "6", "--messages", "6000")
    assert res.returncode == 0, res.stderr
    files = log_files(world)

    by_cli = tmp_path / "cli"
    res = td("load", *map(str, files), root=by_cli)
    assert res.returncode == 0, res.stderr

    by_upload = tmp_path / "upload"
    at = upload_page(by_upload, monkeypatch, [(f.name, f.read_bytes()) for f in files])
    assert store.read_pointer(by_upload) is None  # checked, nothing written yet
    at.button(key="load").click().run()
    assert not at.exception, at.exception
    # the command line's text, less its pointer to `trustdesk quarantine` (the page links instead)
    # and its last lines on the build it published (the page says that in its own status line)
    built = ("full build: ", "incremental build: ", "nothing changed: ", "warehouse version ")
    assert res.stdout.splitlines()[-2:] == [
        "full build: there is no previous warehouse to start from",
        "warehouse version 1 built",
    ]
    assert at.code[0].value.splitlines() == [
        line for line in res.stdout.splitlines() if not line.lstrip().startswith(("see them", *built))
    ]

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
        t.value for t in at.text
    ]
    at.selectbox(key=box.key).select("blocks").run()
    at.button(key="load").click().run()
    assert not at.exception
    assert ingest(root, "SELECT kind, loaded, quarantined, loaded_by FROM loads") == [("blocks", 1, 1, "maria")]


HEADER = b"block_id,blocked_at,user_id,business_id,reason\n"


def _links(at: AppTest) -> list:
    return [e.proto for e in at.get("page_link")]


def test_a_file_that_would_load_nothing_turns_load_off_and_says_why(tmp_path, monkeypatch):
    root = tmp_path / "data"
    bad = HEADER + b"".join(b"k%d,never,u1,b1,spam\n" % i for i in range(3))
    at = upload_page(root, monkeypatch, [("bad.csv", bad)])
    assert {m.label: m.value for m in at.metric}["Would load"] == "0"
    load = at.button(key="load")
    assert load.disabled and load.proto.type != "primary"
    why = (
        "Load is off: no row of this file would load (3 rows would be quarantined). Fix what the check "
        "above says and upload the corrected file."
    )
    assert why in [w.value for w in at.warning] and load.proto.help == why
    assert (
        "Nothing from this file would load: 3 rows would be quarantined (the reasons below say why, with line "
        "numbers)." in [w.value for w in at.warning]
    )
    # one good file with it: Load is back, as the primary button
    good = HEADER + b"k9,2026-03-01T10:00:00Z,u1,b1,spam\n"
    at.file_uploader(key="upload_files").set_value([("bad.csv", bad, "text/csv"), ("good.csv", good, "text/csv")]).run()
    assert not at.exception
    load = at.button(key="load")
    assert not load.disabled and load.proto.type == "primary"
    assert not any(w.value.startswith("Load is off") for w in at.warning)


def test_the_check_groups_reasons_with_counts_and_line_numbers(tmp_path, monkeypatch):
    root = tmp_path / "data"
    # five rows reuse the id x1 (the first one loads), one has no timestamp
    data = (
        HEADER
        + b"".join(b"x1,2026-03-0%dT10:00:00Z,u1,b1,spam\n" % (i + 1) for i in range(6))
        + b"k9,never,u1,b1,spam\n"
    )
    at = upload_page(root, monkeypatch, [("ids.csv", data)])
    (reasons,) = [d.value for d in at.dataframe if "reason" in d.value.columns and "rows" in d.value.columns]
    assert reasons.to_dict("records") == [
        {"reason": "block_id conflicts with a row already read", "rows": 5, "first_lines": "3, 4, 5, 6, 7"},
        {
            "reason": "blocked_at: a value is not a timestamp (ISO 8601 like 2026-03-01T14:05:00Z, or Unix seconds)",
            "rows": 1,
            "first_lines": "8",
        },
    ]
    assert not any("x1" in r for r in reasons["reason"])


def test_the_result_links_to_its_load_on_the_quarantine_page(tmp_path, monkeypatch):
    root = tmp_path / "data"
    first = HEADER + b"k1,2026-03-01T10:00:00Z,u1,b1,spam\nk2,never,u1,b1,spam\n"
    second = HEADER + b"k3,2026-03-01T10:00:00Z,u1,b1,spam\nk4,soon,u1,b1,spam\nk5,later,u1,b1,spam\n"
    at = upload_page(root, monkeypatch, [("first.csv", first)])
    at.button(key="load").click().run()
    at.file_uploader(key="upload_files_1").set_value([("second.csv", second, "text/csv")]).run()
    at.button(key="load").click().run()
    assert not at.exception
    assert "trustdesk quarantine" not in at.code[0].value
    (link,) = [link for link in _links(at) if link.page == "quarantine"]
    assert link.query_string == "load=2" and link.label == (
        "See the 2 quarantined rows of load 2 on the Quarantine page"
    )
    assert not any(uploads.upload_dir(root).iterdir())  # the load removed its staged copy
    assert [f.key for f in at.file_uploader] == ["upload_files_2"]  # and the uploader starts empty
    # the link opens the Quarantine page on that load
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    q = AppTest.from_file(str(page_path("quarantine")), default_timeout=60)
    sign_in_apptest(q, root, MOD)
    q.query_params["load"] = "2"
    q.run()
    assert not q.exception
    assert q.sidebar.selectbox(key="q_load").value == 2
    assert list(q.dataframe[0].value["load_id"]) == [2, 2]
    q.sidebar.selectbox(key="q_load").set_value(None).run()
    assert list(q.dataframe[0].value["load_id"]) == [2, 2, 1]  # newest load first
    assert "load" not in q.query_params


def test_rows_naming_undefined_businesses_are_said_with_where_to_see_them(tmp_path, monkeypatch):
    root = tmp_path / "data"
    data = HEADER + b"k1,2026-03-01T10:00:00Z,u1,b7,spam\nk2,2026-03-01T10:00:00Z,u2,b8,spam\n"
    at = upload_page(root, monkeypatch, [("blocks.csv", data)])
    assert (
        "Note: 2 rows name 2 businesses that no loaded file defines; they are loaded and show as unknown "
        "until a businesses file defines them; the Data quality page lists them (businesses and campaigns no "
        "file has defined)." in [t.value for t in at.text]
    )
    at.button(key="load").click().run()
    assert any("2 rows name 2 businesses that no loaded file defines" in line for line in at.code[0].value.splitlines())
    assert "data_quality" in [link.page for link in _links(at)]


def test_the_page_states_the_limit_and_refuses_a_file_over_it(tmp_path, monkeypatch):
    root = tmp_path / "data"
    Settings(upload_max_mb=1).save(root)
    at = upload_page(root, monkeypatch, [("big.csv", BLOCKS + b"x" * (2 << 20))])
    assert "up to 1 MiB per file (setting upload_max_mb)" in at.caption[0].value
    assert (
        "big.csv: is 2.0 MiB, larger than the 1 MiB upload limit; "
        "split the export or load it with `trustdesk load`" in [t.value for t in at.text]
    )
    assert not uploads.upload_dir(root).exists()  # never written to disk


def _multipart_bytes(file_bytes: int, name: str) -> int:
    """The size of the request a browser sends for one file (a multipart form, as Streamlit's
    uploader does), for a file of `file_bytes` bytes."""
    from urllib3 import encode_multipart_formdata

    body, _ = encode_multipart_formdata({"file": (name, b"x", "text/csv")})
    return len(body) - 1 + file_bytes


@pytest.mark.parametrize("setting, server", [(1024, 1024), (200, 1024), (1024, 200), (1024, None)])
def test_the_stated_limit_is_the_one_enforced(tmp_path, setting, server):
    """A file of exactly the stated number of MiB passes every check on its way (the browser's,
    Streamlit's limit on the request, staging); one byte more is refused with the sentence."""
    root = tmp_path / "data"
    Settings(upload_max_mb=setting).save(root)
    limit = uploads.upload_limit(root, server)
    assert limit.mib == (min(setting, server - 1) if server else setting)
    words = limit.words()
    assert words.startswith(f"{limit.mib:,} MiB per file")
    assert ("server.maxUploadSize" in words) == (server is not None and server <= setting)
    # the browser side: Streamlit counts 10**6 bytes to its MB outside Windows, 2**20 on Windows
    assert limit.widget_mb * 10**6 >= limit.bytes and limit.widget_mb * 2**20 >= limit.bytes
    # Streamlit's server refuses a request larger than server.maxUploadSize MiB
    request = _multipart_bytes(limit.bytes, "é" * 100 + ".csv")
    assert request <= limit.request_bytes
    if server:
        assert limit.request_bytes <= server * 2**20
    exactly, over = Upload("ok.csv", BLOCKS), Upload("big.csv", BLOCKS)
    exactly.size, over.size = limit.bytes, limit.bytes + 1
    assert uploads.stage(root, MOD, exactly, limit.mib).error is None
    assert uploads.stage(root, MOD, over, limit.mib).error == (
        f"big.csv: is {(limit.bytes + 1) / 2**20:,.1f} MiB, larger than the {limit.mib:,} MiB upload limit; "
        "split the export or load it with `trustdesk load`"
    )


def test_the_page_reads_the_server_limit_at_run_time(tmp_path, monkeypatch):
    from streamlit import config as st_config

    root = tmp_path / "data"
    before = st_config.get_option("server.maxUploadSize")
    st_config.set_option("server.maxUploadSize", 50)
    try:
        at = upload_page(root, monkeypatch, [])
        assert "up to 49 MiB per file (Streamlit's server.maxUploadSize is 50 MiB" in at.caption[0].value
        assert at.file_uploader(key="upload_files").proto.max_upload_size_mb == uploads.upload_limit(root, 50).widget_mb
    finally:
        st_config.set_option("server.maxUploadSize", before)


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
    at = AppTest.from_file(str(page_path("upload")), default_timeout=60)
    sign_in_apptest(at, tmp_path, ANALYST)
    at.run()
    assert not at.exception and not at.file_uploader and "needs the moderator role" in at.error[0].value


@pytest.mark.parametrize(
    "name, kept",
    [
        ("blocks.csv", "blocks.csv"),
        ("../../etc/passwd.csv", "passwd.csv"),
        ("C:\\Users\\me\\b.csv", "b.csv"),
        ("..", "upload.csv"),
        ("", "upload.csv"),
        ("é" * 150 + ".csv", None),
    ],
)
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


def _age(staged, seconds: float) -> None:
    """Make a staged copy look as if it was staged `seconds` ago."""
    import os
    import time

    then = time.time() - seconds
    os.utime(staged.path.parent, (then, then))


def test_staged_copies_expire_after_a_short_time(tmp_path):
    root = tmp_path / "data"
    assert uploads.STAGED_MAX_AGE_S <= 15 * 60
    old, recent = (uploads.stage(root, MOD, Upload(f"{n}.csv", BLOCKS)) for n in ("old", "recent"))
    uploads.release([old, recent])  # their session's run ended; nobody uses them now
    _age(old, uploads.STAGED_MAX_AGE_S + 60)
    _age(recent, uploads.STAGED_MAX_AGE_S - 60)
    new = uploads.stage(root, MOD, Upload("new.csv", BLOCKS))  # staging sweeps
    assert not old.path.parent.exists() and recent.path.exists() and new.path.exists()
    assert uploads.sweep_staged(root, 0) == 1  # recent; new is in use
    assert sorted(p.name for p in uploads.upload_dir(root).iterdir()) == sorted(
        [new.path.parent.name, new.path.parent.name + ".lock"]
    )
    uploads.discard([new])
    assert not any(uploads.upload_dir(root).iterdir())


def test_sweeping_with_zero_while_another_session_loads_is_safe(tmp_path):
    root = tmp_path / "data"
    loading = uploads.stage(root, MOD, Upload("b.csv", _blocks(tmp_path / "b.csv", 5, "b").read_bytes()))
    idle = uploads.stage(root, MOD, Upload("idle.csv", BLOCKS))
    uploads.release([loading, idle])  # between two runs of their sessions
    with paused_load(root, loading) as results:
        assert uploads.sweep_staged(root, 0) == 1  # the idle copy; the one being loaded is skipped
        assert loading.path.exists() and not idle.path.parent.exists()
    assert [(r.status, r.loaded) for r in results] == [("loaded", 5)]
    assert not any(uploads.upload_dir(root).iterdir())  # the finished load removed its copy


def test_a_swept_copy_is_staged_again_from_the_uploader(tmp_path):
    root = tmp_path / "data"
    batch = uploads.UploadBatch(root)
    with batch.in_use(MOD, [Upload("b.csv", BLOCKS, "id-1")]) as (staged,):
        first = staged.path
        check = batch.check(MOD, staged)
        assert uploads.sweep_staged(root, 0) == 0  # in use during the run
    assert uploads.sweep_staged(root, 0) == 1  # the run ended: an expired copy goes
    with batch.in_use(MOD, [Upload("b.csv", BLOCKS, "id-1")]) as (staged,):
        assert staged.path != first and staged.path.read_bytes() == BLOCKS
        assert batch.check(MOD, staged) is check
        [res] = batch.load(MOD, {"id-1": None})
    assert (res.status, res.loaded) == ("partial", 1)
    assert not any(uploads.upload_dir(root).iterdir())


def test_a_session_s_files_go_when_it_ends_or_drops_them(tmp_path):
    root = tmp_path / "data"
    batch = uploads.UploadBatch(root)
    with batch.in_use(MOD, [Upload("a.csv", BLOCKS, "a"), Upload("b.csv", BLOCKS, "b")]) as staged:
        a, b = (s.path for s in staged)
    with batch.in_use(MOD, [Upload("b.csv", BLOCKS, "b")]):  # a.csv taken off the uploader
        assert not a.exists() and b.exists()
    batch.close()  # the session ended
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
    print_results(results, "text")
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
    staged = uploads.stage(root, MOD, Upload("b.csv", _blocks(tmp_path / "b.csv", 5, "b").read_bytes()))
    with paused_load(root, staged) as results:
        monkeypatch.setenv("TRUSTDESK_DATA", str(root))
        at = AppTest.from_file(str(page_path("load_history")), default_timeout=60)
        sign_in_apptest(at, root, ANALYST)
        at.run()
        assert not at.exception
        assert {m.label: m.value for m in at.metric}["Loads"] == "1"
    assert [r.loaded for r in results] == [5]
    at.run()
    assert {m.label: m.value for m in at.metric}["Loads"] == "2"


def test_two_uploads_at_once_in_one_process_serialise(tmp_path):
    root = tmp_path / "data"
    files = [
        uploads.stage(root, MOD, Upload(f"{p}.csv", _blocks(tmp_path / f"{p}.csv", 2000, p).read_bytes()))
        for p in ("x", "y")
    ]
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
    pl.DataFrame(
        {
            "message_id": pl.Series(np.arange(n)).cast(pl.String).str.pad_start(10, "0"),
            "sent_at": (1772323200 + rng.integers(0, 86400 * 20, n)).astype(str),
            "business_id": pl.Series(np.arange(n) % 300).cast(pl.String),
            "user_id": pl.Series(np.arange(n) % 90001).cast(pl.String),
            "direction": "outbound",
            "user_country": "IN",
            "category": "marketing",
            "template": "promo",
            "status": "delivered",
            "text": "x" * 360,
        }
    ).write_csv(path)
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
    assert at.main.text[-1].value == (
        "DuckDB ran out of memory loading b.csv (setting duckdb_memory_limit is 8MB); "
        "nothing of it was loaded; raise the setting and load it again"
    )
    res = td("load", str(tmp_path / "b.csv"), root=root)
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines() == ["trustdesk: " + at.main.text[-1].value]
