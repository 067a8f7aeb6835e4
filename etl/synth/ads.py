"""Status ads in a time slice: impressions, clicks and replies per campaign, and the replies that
open a chat with the advertiser (they become conversations of the slice)."""

from __future__ import annotations

import numpy as np
import polars as pl

from etl.synth.columns import gather, id_series
from etl.synth.draws import hash01
from etl.synth.geography import CPM, lam, lam_inv, to_seconds
from etl.synth.lookups import Lookups, ts_series
from etl.synth.plan import Plan, user_country, user_series
from etl.synth.rows import time_order


def ad_slice(plan: Plan, rng: np.random.Generator, T0: float, T1: float, end: int):
    """Status ad events of the slice, and the replies that open a chat with the advertiser."""
    cp = plan.campaigns
    if cp.n == 0:
        return None, (np.zeros(0, np.int64),) * 3
    span = cp.Le - cp.La

    def g(T):
        tc = np.clip(T, cp.a, cp.e)
        return np.clip((lam(plan, cp.c, tc) - cp.La) / span, 0.0, 1.0)

    G0, G1 = g(T0), g(T1)
    cnt = rng.poisson(cp.imps * (G1 - G0))
    cid = np.repeat(np.arange(cp.n), cnt)
    n = len(cid)
    gg = G0[cid] + rng.random(n) * (G1 - G0)[cid]
    t = to_seconds(lam_inv(plan, cp.c[cid], cp.La[cid] + gg * span[cid]))
    j = (rng.random(n) * cp.reach[cid]).astype(np.int64)
    h = hash01(cid, j, 0xAD)
    c = cp.cidx[np.searchsorted(cp.cflat, cid + h, side="right")]
    user = plan.pool_start[c] + (cp.off[cid] + j * cp.stride[cid]) % plan.pool_n[c]
    cost = CPM[c] * cp.factor[cid] / 1000.0 * rng.lognormal(0.0, 0.25, n)

    click = rng.random(n) < cp.ctr[cid]
    ci = np.flatnonzero(click)
    t_click = t[ci] + 1 + rng.lognormal(np.log(15.0), 0.8, len(ci)).astype(np.int64)
    reply = rng.random(len(ci)) < cp.rr[cid[ci]]
    ri = ci[reply]
    t_reply = t_click[reply] + 1 + rng.lognormal(np.log(40.0), 0.8, len(ri)).astype(np.int64)

    ev_cid = np.concatenate([cid, cid[ci], cid[ri]])
    ev_u = np.concatenate([user, user[ci], user[ri]])
    ev_t = np.concatenate([t, t_click, t_reply])
    ev_kind = np.concatenate([np.zeros(n, np.int64), np.ones(len(ci), np.int64), np.full(len(ri), 2, np.int64)])
    cpc = cp.cpc[cid[ci]]
    ev_cost = np.concatenate([cost, np.where(cpc > 0, cpc, np.nan), np.full(len(ri), np.nan)])
    limit = np.minimum(cp.e[ev_cid] * 3600, end)
    keep = ev_t < limit
    ev_cid, ev_u, ev_t, ev_kind, ev_cost = (x[keep] for x in (ev_cid, ev_u, ev_t, ev_kind, ev_cost))
    order = time_order(ev_t)
    ads = (ev_cid[order], ev_u[order], ev_t[order], ev_kind[order], ev_cost[order])
    # the reply opens a chat: the user writes to the advertiser a few seconds later
    keep_r = t_reply < np.minimum(cp.e[cid[ri]] * 3600, end)
    seeds = (cp.b[cid[ri]][keep_r], user[ri][keep_r], t_reply[keep_r] + rng.integers(3, 60, int(keep_r.sum())))
    return ads, seeds


def ad_frame(plan: Plan, lk: Lookups, ads, counters: dict[str, int]):
    if ads is None:
        return 0, lambda: pl.DataFrame()
    cid, u, t, kind, cost = ads
    num = counters["ad_event"] + np.arange(len(t), dtype=np.int64)
    counters["ad_event"] += len(t)

    def build() -> pl.DataFrame:
        return pl.DataFrame(
            [
                id_series("event_id", "e", num, 10),
                ts_series(lk, t, "occurred_at"),
                gather(lk.e_campaign, cid, "campaign_id"),
                user_series(plan, u),
                gather(lk.e_country, user_country(plan, u, t), "user_country"),
                gather(lk.e_event, kind, "event"),
                pl.Series("cost_usd", cost, nan_to_null=True),
            ]
        )

    return len(t), build
