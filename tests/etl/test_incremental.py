"""Incremental builds (etl/build.py `run_models_incremental`) equal a full build of the same events,
table for table, whatever the order and split of the loads: by day, by kind, businesses defined
late, late rows for an old day, an old day re-sent, a settings or rate-card change (a full build,
said so). Each scenario loads a generated world in pieces, each load building incrementally; then
the same data directory is rebuilt in full and every table of the two warehouses is compared."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import polars as pl
import pytest

from etl import store
from etl.build import build_warehouse
from etl.contract import LOAD_KINDS
from etl.ingest.load import load_files
from etl.settings import Settings
from etl.synth import generate_world

TIME = {name: kind.time_column for name, kind in LOAD_KINDS.items()}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    logs = tmp_path_factory.mktemp("incremental") / "w"
    generate_world(logs, seed=21, businesses=40, days=24, messages=40_000)
    return logs


def _frames(logs: Path) -> dict[str, pl.DataFrame]:
    return {p.stem: pl.read_csv(p, infer_schema=False) for p in sorted(logs.glob("*.csv")) if p.name != "truth.csv"}


def _day(frame: pl.DataFrame, kind: str) -> pl.Series:
    column = TIME.get(kind) or ("starts_on" if kind == "ad_campaigns" else None)
    return frame[column].str.slice(0, 10) if column else pl.Series([""] * frame.height)


def _write(out: Path, pieces: list[tuple[str, pl.DataFrame]]) -> list[list[Path]]:
    """Each piece its own file and its own load, in the order given."""
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for i, (kind, frame) in enumerate(pieces):
        path = out / f"{i:02d}-{kind}.csv"
        frame.write_csv(path)
        files.append([path])
    return files


def _load_in_pieces(root: Path, batches: list[list[Path]]) -> list[dict]:
    builds = []
    for files in batches:
        results = load_files(root, files, user="test")
        assert all(r.status in ("loaded", "partial") for r in results), [(r.source, r.error) for r in results]
        builds.append(store.read_pointer(root))
    return builds


def _tables(con, db: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = ? "
        "AND schema_name = 'main' ORDER BY table_name, column_index",
        [db],
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, type_ in rows:
        out.setdefault(table, []).append((column, type_))
    return out


def assert_same_warehouse(a: Path, b: Path) -> None:
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS inc (READ_ONLY)", [str(a)])
        con.execute("ATTACH ? AS full_ (READ_ONLY)", [str(b)])
        inc, full = _tables(con, "inc"), _tables(con, "full_")
        assert inc.keys() == full.keys()
        for table in sorted(full):
            if table == "meta":
                continue
            assert inc[table] == full[table], f"{table}: columns differ"
            for x, y in (("inc", "full_"), ("full_", "inc")):
                n = con.execute(
                    f"SELECT count(*) FROM (SELECT * FROM {x}.main.{table} EXCEPT ALL SELECT * FROM {y}.main.{table})"
                ).fetchone()[0]
                assert n == 0, f"{table}: {n} rows of the {x} build are not in the {y} build"
            total = con.execute(f"SELECT count(*) FROM full_.main.{table}").fetchone()[0]
            assert total == con.execute(f"SELECT count(*) FROM inc.main.{table}").fetchone()[0]
    finally:
        con.close()


def _full_rebuild(root: Path) -> Path:
    with store.load_lock(root):
        con = store.connect_ingest(root)
        try:
            meta = build_warehouse(root, con, force=True)
        finally:
            con.close()
    assert meta["build"] == "full"
    return root / store.read_pointer(root)["file"]


def _check(root: Path, builds: list[dict], tmp_path: Path) -> None:
    assert builds[0]["build"] == "full"
    assert any(b["build"] == "incremental" for b in builds[1:]), [b["build_reason"] for b in builds]
    kept = tmp_path / "incremental.duckdb"
    shutil.copyfile(root / builds[-1]["file"], kept)
    assert_same_warehouse(kept, _full_rebuild(root))


def _reference(root: Path) -> None:
    from tests.worlds import MARKETS, RATE_CARD

    root.mkdir(parents=True, exist_ok=True)
    (root / "markets.csv").write_text(MARKETS)
    (root / "rate_card.csv").write_text(RATE_CARD)


def test_loaded_day_by_day_equals_a_full_build(world, tmp_path):
    frames = _frames(world)
    days = sorted(set(_day(frames["messages"], "messages")))
    cuts = [days[0], days[len(days) // 2], days[-3], days[-1]]
    pieces: list[tuple[str, pl.DataFrame]] = [(k, f) for k, f in frames.items() if not TIME.get(k)]
    for lo, hi in zip(cuts, [*cuts[1:], "9999"]):
        for kind, frame in frames.items():
            if TIME.get(kind):
                d = _day(frame, kind)
                part = frame.filter((d >= lo) & (d < hi) if hi != "9999" else d >= lo)
                if part.height:
                    pieces.append((kind, part))
    root = tmp_path / "data"
    builds = _load_in_pieces(root, _write(tmp_path / "in", pieces))
    _check(root, builds, tmp_path)


def test_events_before_their_businesses_and_feedback_first_equal_a_full_build(world, tmp_path):
    frames = _frames(world)
    order = ["reports", "blocks", "opt_outs", "messages", "ad_events", "ad_campaigns", "businesses"]
    half = frames["businesses"].height // 2
    pieces = [(k, frames[k]) for k in order if k != "businesses" and k in frames]
    pieces += [("businesses", frames["businesses"][:half]), ("businesses", frames["businesses"][half:])]
    root = tmp_path / "data"
    builds = _load_in_pieces(root, _write(tmp_path / "in", pieces))
    _check(root, builds, tmp_path)


def test_late_rows_for_an_old_day_and_an_old_day_resent_equal_a_full_build(world, tmp_path):
    frames = _frames(world)
    messages = frames["messages"]
    d = _day(messages, "messages")
    old_day = sorted(set(d))[3]
    # every other message of an old day arrives last, after later days were loaded; then that day
    # is sent again whole (its rows already loaded: duplicates, nothing new)
    late = messages.filter(d == old_day).gather_every(2)
    early = messages.join(late, on="message_id", how="anti")
    pieces = [(k, f) for k, f in frames.items() if k != "messages"]
    pieces += [("messages", early), ("messages", late), ("messages", messages.filter(d == old_day))]
    root = tmp_path / "data"
    builds = _load_in_pieces(root, _write(tmp_path / "in", pieces))
    assert builds[-1]["build"] == "reuse"  # the re-sent day changed no event
    assert builds[-2]["build"] == "incremental"
    _check(root, builds, tmp_path)


def test_a_setting_the_models_use_or_a_new_rate_card_builds_in_full_and_says_why(world, tmp_path):
    frames = _frames(world)
    root = tmp_path / "data"
    _reference(root)
    builds = _load_in_pieces(root, _write(tmp_path / "in", list(frames.items())[:2]))
    changed = replace(Settings.load(root), risk_window_days=5)
    with store.load_lock(root):
        con = store.connect_ingest(root)
        try:
            meta = build_warehouse(root, con, settings=changed)
            assert (meta["build"], meta["build_reason"]) == (
                "full",
                "the models, or the settings they use, changed since the previous build",
            )
            (root / "rate_card.csv").write_text(
                (root / "rate_card.csv").read_text() + "India,utility,0.002,2026-06-01\n"
            )
            meta = build_warehouse(root, con, settings=changed)
            assert (meta["build"], meta["build_reason"]) == ("full", "markets.csv or rate_card.csv changed")
        finally:
            con.close()
    assert builds[0]["build"] == "full"


def test_answers_late_inbound_and_webhook_statuses_loaded_later_equal_a_full_build(tmp_path):
    """The scope of a recomputed pair (etl/models/scopes/int_message_facts.sql) at its edges: an
    inbound answered days later, a late inbound that puts an outbound inside the service window,
    a late first inbound that makes earlier marketing no longer cold, marketing whose pair wrote
    first long before, and webhook statuses that arrive after their messages (a later archive)."""
    from tests.worlds import msg, write_kind

    samples = Path(__file__).resolve().parents[2] / "docs" / "samples"
    root = tmp_path / "data"
    _reference(root)
    src = tmp_path / "in"
    src.mkdir()
    waves = [
        [msg("a1", "2026-03-01T10:00:00Z", "b1", "u1", "inbound", "IN"),
         msg("c1", "2026-03-02T09:00:00Z", "b1", "u2", "outbound", "IN", "marketing", "promo", "delivered")],
        [msg("a2", "2026-03-02T20:00:00Z", "b1", "u1", "outbound", "IN", "marketing", "promo", "read"),
         msg("a3", "2026-03-04T10:00:00Z", "b1", "u1", "inbound", "IN")],
        [msg("a4", "2026-03-02T08:00:00Z", "b1", "u1", "inbound", "IN"),
         msg("c0", "2026-03-01T08:00:00Z", "b1", "u2", "inbound", "IN")],
        [msg("a5", "2026-03-05T09:00:00Z", "b1", "u1", "outbound", "IN", "utility", "", "delivered")],
        # marketing days after the pair's last message: not cold, by an inbound long before
        [msg("a6", "2026-03-09T09:00:00Z", "b1", "u1", "outbound", "IN", "marketing", "promo", "delivered")],
    ]  # fmt: skip
    batches = [[write_kind(src / f"wave{i}.csv", "messages", rows)] for i, rows in enumerate(waves)]
    lines = (samples / "whatsapp_webhook.jsonl").read_text().splitlines(keepends=True)
    half = len(lines) // 2
    for i, part in enumerate((lines[:half], lines[half:])):
        path = src / f"webhook{i}.jsonl"
        path.write_text("".join(part))
        batches.append([path])
    builds = _load_in_pieces(root, batches)
    assert [b["build"] for b in builds[1:]] == ["incremental"] * (len(batches) - 1)
    _check(root, builds, tmp_path)


def test_users_whose_country_a_later_load_changes_equal_a_full_build(tmp_path):
    """dim_users is recomputed only for the users a load names (etl/models/scopes/dim_users.sql):
    a user whose latest message moves them to another market, a user known only by a block, one known
    first only by a block and later by a message, one known only by ad events and later by a message, and their feedback
    rows (whose region follows the user's latest country) on days the later load does not touch."""
    from tests.worlds import ad, block, msg, report, write_kind

    root = tmp_path / "data"
    _reference(root)
    src = tmp_path / "in"
    src.mkdir()
    waves = [
        ("messages", [msg("m1", "2026-03-01T10:00:00Z", "b1", "u1", "inbound", "IN"),
                      msg("m2", "2026-03-01T11:00:00Z", "b1", "u2", "inbound", "BR")]),
        ("blocks", [block("k1", "2026-03-01T12:00:00Z", "u3", "b1", "spam"),
                    block("k2", "2026-03-01T12:30:00Z", "u1", "b1", "spam"),
                    block("k3", "2026-03-01T12:40:00Z", "u5", "b1", "spam")]),
        ("reports", [report("r1", "2026-03-01T13:00:00Z", "u2", "b1", "spam", "m2")]),
        ("ad_events", [ad("e1", "2026-03-01T09:00:00Z", "u4", "US", "impression")]),
        # later: u1 writes from Brazil, u3 (only a block so far) and u4 (only an ad) write
        ("messages", [msg("m3", "2026-03-05T10:00:00Z", "b1", "u1", "inbound", "BR"),
                      msg("m4", "2026-03-05T10:00:00Z", "b1", "u3", "inbound", "US"),
                      msg("m5", "2026-03-05T11:00:00Z", "b1", "u4", "inbound", "IN")]),
        ("ad_events", [ad("e2", "2026-03-06T09:00:00Z", "u2", "US", "impression")]),
    ]  # fmt: skip
    batches = [[write_kind(src / f"wave{i}.csv", kind, rows)] for i, (kind, rows) in enumerate(waves)]
    builds = _load_in_pieces(root, batches)
    assert [b["build"] for b in builds[1:]] == ["incremental"] * (len(batches) - 1)
    _check(root, builds, tmp_path)
    con = duckdb.connect(str(root / builds[-1]["file"]), read_only=True)
    try:
        regions = dict(con.execute("SELECT user_id, region FROM dim_users").fetchall())
        feedback = dict(con.execute("SELECT event_id, user_region FROM feedback_events").fetchall())
    finally:
        con.close()
    assert regions == {
        "u1": "Latin America",
        "u2": "Latin America",
        "u3": "North America",
        "u4": "Asia Pacific",
        "u5": "Other",
    }
    assert feedback["k2"] == "Latin America" and feedback["k1"] == "North America"


@pytest.mark.parametrize(
    ("model", "old", "new", "audit"),
    [
        ("marts/business_day.sql", "count(*) filter (where f.is_ok) as ok", "-count(*) filter (where f.is_ok) as ok",
         "non_negative_counts"),
        ("marts/dim_users.sql", "select * from final\n",
         "select * from final\nunion all select * from final where user_id = 'u9'\n", "unique_dim_users"),
    ],
)  # fmt: skip
def test_an_incremental_build_audits_the_rows_it_changed(tmp_path, monkeypatch, model, old, new, audit):
    """The audits of an incremental build read the rows it changed (a negative count on the new
    day, a user the new load names twice) and refuse the publish as a full build's would."""
    import etl.build
    from tests.etl.test_models import edit, models_copy
    from tests.worlds import msg, write_kind

    root = tmp_path / "data"
    _reference(root)
    src = tmp_path / "in"
    src.mkdir()
    first = write_kind(src / "a.csv", "messages", [msg("m1", "2026-03-01T10:00:00Z", "b1", "u1", "inbound", "IN")])
    later = write_kind(
        src / "b.csv",
        "messages",
        [msg("m2", "2026-03-02T10:00:00Z", "b1", "u9", "outbound", "IN", "marketing", "promo", "delivered")],
    )
    _load_in_pieces(root, [[first]])
    load_files(root, [later], user="test", rebuild=False)
    before = store.read_pointer(root)
    broken = models_copy(tmp_path)
    edit(broken / model, old, new)
    # the edited model as if it were the one the last build used, so that this build is incremental
    monkeypatch.setattr(etl.build, "fingerprint", lambda *args: before["fingerprint"])
    stages: list[str] = []
    with store.load_lock(root):
        con = store.connect_ingest(root)
        try:
            with pytest.raises(etl.build.AuditFailed, match=f"^audit {audit} "):
                build_warehouse(root, con, models_dir=broken, progress=lambda stage, x: stages.append(stage))
        finally:
            con.close()
    assert "updating business_day" in stages  # incremental ("building ..." in a full build)
    assert store.read_pointer(root) == before
