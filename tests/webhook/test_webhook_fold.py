"""The inbox: records, torn tails, group commit, and folding exactly once, also after kill -9."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from trustdesk.webhook.app import GroupCommitter
from trustdesk.webhook.inbox import SegmentWriter, encode_record, fold_inbox, inbox_dir, is_sealed, scan, segments

REPO = Path(__file__).resolve().parents[2]


def bodies(start: int, n: int) -> list[bytes]:
    return [json.dumps({"object": "whatsapp_business_account", "n": i}).encode() for i in range(start, start + n)]


def fill(root: Path, items: list[bytes], per_batch: int = 50) -> None:
    writer = SegmentWriter(inbox_dir(root))
    for i in range(0, len(items), per_batch):
        writer.append([encode_record(b) for b in items[i : i + per_batch]])
    writer.close()


def numbers(batch) -> list[int]:
    return [json.loads(b)["n"] for b in batch.bodies()]


def test_a_live_segment_is_locked_and_sealed_once_its_writer_closes(tmp_path):
    writer = SegmentWriter(inbox_dir(tmp_path))
    writer.append([encode_record(b) for b in bodies(0, 3)])
    (seg,) = segments(inbox_dir(tmp_path))
    assert not is_sealed(seg)
    records, end, skipped = scan(seg, 0, sealed=False)
    assert [r.body for r in records] == bodies(0, 3) and end == seg.stat().st_size and skipped == 0
    writer.close()
    assert is_sealed(seg)


def test_a_torn_tail_is_skipped_in_a_sealed_segment_and_waited_for_in_a_live_one(tmp_path):
    fill(tmp_path, bodies(0, 5))
    (seg,) = segments(inbox_dir(tmp_path))
    whole = seg.stat().st_size
    torn = encode_record(bodies(5, 1)[0])
    with open(seg, "ab") as fh:
        fh.write(torn[: len(torn) // 2])  # the receiver died in the middle of a write
    records, end, skipped = scan(seg, 0, sealed=False)
    assert len(records) == 5 and end == whole and skipped == 0
    got = []
    result = fold_inbox(tmp_path, lambda b: got.extend(numbers(b)))
    assert got == [0, 1, 2, 3, 4] and result.skipped_bytes == len(torn) // 2
    assert result.archived == [seg.name] and not segments(inbox_dir(tmp_path))


def test_damage_in_the_middle_of_a_sealed_segment_skips_only_the_damaged_record(tmp_path):
    fill(tmp_path, bodies(0, 6), per_batch=6)
    (seg,) = segments(inbox_dir(tmp_path))
    data = bytearray(seg.read_bytes())
    second = len(encode_record(bodies(0, 1)[0]))
    data[second + 25] ^= 0xFF  # a flipped byte in record 1's body: its checksum fails
    seg.write_bytes(bytes(data))
    got = []
    fold_inbox(tmp_path, lambda b: got.extend(numbers(b)))
    assert got == [0, 2, 3, 4, 5]


def test_group_commit_acknowledges_concurrent_bodies_with_few_fsyncs(tmp_path):
    async def run():
        committer = GroupCommitter(inbox_dir(tmp_path))
        await committer.start()
        await asyncio.gather(*(committer.append(b) for b in bodies(0, 300)))
        await committer.stop()
        return committer

    c = asyncio.run(run())
    assert c.bodies == 300 and c.batches <= 3
    got = []
    fold_inbox(tmp_path, lambda b: got.extend(numbers(b)))
    assert sorted(got) == list(range(300))


def test_fold_hands_each_body_once_in_batches_and_a_failing_callback_keeps_the_batch(tmp_path):
    fill(tmp_path, bodies(0, 250))
    seen, ids = [], []

    def boom(batch):
        raise RuntimeError("the load failed")

    with pytest.raises(RuntimeError):
        fold_inbox(tmp_path, boom, max_bodies=100)

    def ok(batch):
        ids.append(batch.id)
        seen.extend(numbers(batch))

    result = fold_inbox(tmp_path, ok, max_bodies=100)
    assert seen == list(range(250)) and len(ids) == 3 and result.replayed == ids[:1]
    assert fold_inbox(tmp_path, ok).bodies == 0
    fill(tmp_path, bodies(250, 10))
    assert fold_inbox(tmp_path, ok).bodies == 10 and seen == list(range(260))


FOLDER = textwrap.dedent("""
    import os, signal, sqlite3, sys, json
    from pathlib import Path
    from trustdesk.webhook.inbox import fold_inbox

    root, db, kill_at = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("CREATE TABLE IF NOT EXISTS bodies (n INTEGER, batch TEXT)")
    con.execute("CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY)")
    con.execute("CREATE TABLE IF NOT EXISTS handed (id TEXT)")

    def load(batch):
        con.execute("INSERT INTO handed VALUES (?)", (batch.id,))
        if kill_at == "before-commit" and con.execute("SELECT count(*) FROM handed").fetchone()[0] == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        # The load's own transaction: the batch id is recorded with its rows, and a batch id seen
        # before is skipped, as the loader skips a file it has already loaded.
        con.execute("BEGIN IMMEDIATE")
        if con.execute("SELECT 1 FROM batches WHERE id = ?", (batch.id,)).fetchone():
            con.execute("ROLLBACK")
            return
        con.execute("INSERT INTO batches VALUES (?)", (batch.id,))
        con.executemany("INSERT INTO bodies VALUES (?, ?)",
                        [(json.loads(b)["n"], batch.id) for b in batch.bodies()])
        con.execute("COMMIT")
        if kill_at == "after-commit" and con.execute("SELECT count(*) FROM batches").fetchone()[0] == 2:
            os.kill(os.getpid(), signal.SIGKILL)  # committed, but the fold has not written its state

    fold_inbox(root, load, max_bodies=40)
""")


@pytest.mark.parametrize("kill_at", ["before-commit", "after-commit"])
def test_kill_9_of_the_folding_process_still_folds_every_body_exactly_once(tmp_path, kill_at):
    fill(tmp_path, bodies(0, 200), per_batch=30)
    db = tmp_path / "store.sqlite"
    script = tmp_path / "folder.py"
    script.write_text(FOLDER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.run(
        [sys.executable, str(script), str(tmp_path), str(db), kill_at],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == -9, first.stderr
    second = subprocess.run(
        [sys.executable, str(script), str(tmp_path), str(db), "never"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0, second.stderr
    con = sqlite3.connect(db)
    counts = dict(con.execute("SELECT n, count(*) FROM bodies GROUP BY n").fetchall())
    assert counts == {n: 1 for n in range(200)}
    handed = [r[0] for r in con.execute("SELECT id FROM handed")]
    # The batch that was in flight at the kill is handed again with the same id, and only it.
    assert len(handed) == len(set(handed)) + 1
    (again,) = [i for i in set(handed) if handed.count(i) == 2]
    assert handed.index(again) == 1
    # Every body is in exactly one batch id.
    per_batch = con.execute("SELECT count(DISTINCT batch) FROM bodies GROUP BY n").fetchall()
    assert {c for (c,) in per_batch} == {1}
