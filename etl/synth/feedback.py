"""Feedback in a time slice: reports, blocks and opt-outs by users shortly after an outbound
message reached them, at the rates of the message's stream."""

from __future__ import annotations

import numpy as np
import polars as pl

from etl.synth.archetypes import BLOCK_PROFILES, REPORT_PROFILES
from etl.synth.codes import DAY, FAILED, MKT
from etl.synth.columns import gather, id_series
from etl.synth.draws import pick
from etl.synth.lookups import Lookups, ts_series
from etl.synth.plan import Plan, user_series
from etl.synth.rows import Chunk, Rows, time_order

_REPORT_CUM = np.cumsum(REPORT_PROFILES, axis=1)
_BLOCK_CUM = np.cumsum(BLOCK_PROFILES, axis=1)
_REPORT_CUM[:, -1] = 1.0
_BLOCK_CUM[:, -1] = 1.0


def feedback_chunk(
    plan: Plan,
    lk: Lookups,
    rng: np.random.Generator,
    rows: Rows,
    msg_num: np.ndarray,
    end: int,
    counters: dict[str, int],
) -> Chunk:
    """The reports, blocks and opt-outs of the slice's messages (rows, numbered msg_num)."""
    o = np.flatnonzero((rows.d == 1) & (rows.st != FAILED))
    s = rows.src[o]
    pr = plan.s_p_report[s]
    pb = np.maximum(plan.s_p_block[s] - 0.5 * pr, 0.0)  # half of the reporters also block
    po = plan.s_p_opt[s] * (rows.cat[o] == MKT)
    u = rng.random(len(o))
    is_rep = u < pr
    is_blk = (u < 0.5 * pr) | ((u >= pr) & (u < pr + pb))
    is_opt = (u >= pr + pb) & (u < pr + pb + po)
    out = _Out(plan, lk, end, counters)
    reports, t_rep_by_row = _reports(out, rng, rows, msg_num, o[is_rep])
    blocks = _blocks(out, rng, rows, o[is_blk], is_rep[is_blk], t_rep_by_row)
    opt_outs = _opt_outs(out, rng, rows, o[is_opt])
    return {"reports": reports, "blocks": blocks, "opt_outs": opt_outs}


class _Out:
    """Numbers a file's rows of the slice and builds its frame in the writer thread."""

    def __init__(self, plan: Plan, lk: Lookups, end: int, counters: dict[str, int]) -> None:
        self.plan, self.lk, self.end, self.counters = plan, lk, end, counters

    def number(self, t: np.ndarray, counter: str) -> tuple[np.ndarray, np.ndarray]:
        """The rows before the period end in time order, and their running numbers."""
        keep = np.flatnonzero(t < self.end)
        keep = keep[time_order(t[keep])]
        num = self.counters[counter] + np.arange(len(keep), dtype=np.int64)
        self.counters[counter] += len(keep)
        return keep, num

    def event_columns(
        self, id_name: str, prefix: str, num: np.ndarray, t: np.ndarray, time_name: str, u: np.ndarray, b: np.ndarray
    ) -> list[pl.Series]:
        """The id, time, user and business columns every feedback file starts with."""
        return [
            id_series(id_name, prefix, num, 9),
            ts_series(self.lk, t, time_name),
            user_series(self.plan, u),
            gather(self.lk.e_business, b, "business_id"),
        ]


def _delay(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    """Lognormal reaction times in seconds, at most three days."""
    return np.minimum(rng.lognormal(np.log(median), sigma, n), 3 * DAY).astype(np.int64)


def _reports(out: _Out, rng: np.random.Generator, rows: Rows, msg_num: np.ndarray, r: np.ndarray):
    """Reports of rows r; 85% name the message. Also each row's report time, for the blocks."""
    t_rep = rows.t[r] + 2 + _delay(rng, 300.0, 1.3, len(r))
    reason = pick(_REPORT_CUM[out.plan.s_profile[rows.src[r]]], rng.random(len(r)))
    with_msg = rng.random(len(r)) < 0.85
    t_rep_by_row = np.zeros(len(rows.t), dtype=np.int64)
    t_rep_by_row[r] = t_rep
    kr, nr = out.number(t_rep, "report")

    def build() -> pl.DataFrame:
        msg_ids = id_series("message_id", "m", msg_num[r[kr]], 10)
        msg_ids = pl.select(pl.when(pl.Series(with_msg[kr])).then(msg_ids)).to_series()
        return pl.DataFrame(
            [
                *out.event_columns("report_id", "r", nr, t_rep[kr], "reported_at", rows.u[r[kr]], rows.b[r[kr]]),
                gather(out.lk.e_report, reason[kr], "reason"),
                msg_ids.alias("message_id"),
            ]
        )

    return (len(kr), build), t_rep_by_row


def _blocks(
    out: _Out, rng: np.random.Generator, rows: Rows, bi: np.ndarray, also_rep: np.ndarray, t_rep_by_row: np.ndarray
):
    """Blocks of rows bi: right after the report when both, else on their own."""
    t_blk = np.where(
        also_rep, t_rep_by_row[bi] + rng.integers(2, 30, len(bi)), rows.t[bi] + 2 + _delay(rng, 240.0, 1.4, len(bi))
    )
    b_reason = pick(_BLOCK_CUM[out.plan.s_profile[rows.src[bi]]], rng.random(len(bi)))
    # a user blocks a business once: keep the earliest block per pair in the slice
    key = rows.b[bi] * out.plan.n_users + rows.u[bi]
    order = np.lexsort((t_blk, key))
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    keep = np.sort(order[first])
    bi, t_blk, b_reason = bi[keep], t_blk[keep], b_reason[keep]
    kb, nb = out.number(t_blk, "block")

    def build() -> pl.DataFrame:
        return pl.DataFrame(
            [
                *out.event_columns("block_id", "k", nb, t_blk[kb], "blocked_at", rows.u[bi[kb]], rows.b[bi[kb]]),
                gather(out.lk.e_block, b_reason[kb], "reason"),
            ]
        )

    return len(kb), build


def _opt_outs(out: _Out, rng: np.random.Generator, rows: Rows, oi: np.ndarray):
    """Opt-outs of rows oi, a few resumed days later."""
    t_stop = rows.t[oi] + 2 + _delay(rng, 600.0, 1.3, len(oi))
    resume = rng.random(len(oi)) < 0.08
    t_res = t_stop[resume] + rng.integers(DAY, 20 * DAY, int(resume.sum()))
    op_b = np.concatenate([rows.b[oi], rows.b[oi][resume]])
    op_u = np.concatenate([rows.u[oi], rows.u[oi][resume]])
    op_t = np.concatenate([t_stop, t_res])
    op_a = np.concatenate([np.zeros(len(oi), np.int64), np.ones(int(resume.sum()), np.int64)])
    ko, no = out.number(op_t, "opt_out")

    def build() -> pl.DataFrame:
        return pl.DataFrame(
            [
                *out.event_columns("opt_out_id", "o", no, op_t[ko], "changed_at", op_u[ko], op_b[ko]),
                gather(out.lk.e_action, op_a[ko], "action"),
            ]
        )

    return len(ko), build
