"""One time slice of the period: its messages (new and returning customers, templates, replies to
templates and to ads) as column arrays sorted by time, with the feedback and ad events they cause.

Everything that links slices is a pure function of (business, customer slot) or (user, time): slot
j first writes to its business at the j-th K-quantile of the business's activity curve, and warm
marketing picks only slots whose first contact lies an hour or more before the send time. A
stream's progress is its country's activity curve over its window, bent by its growth (a growing
business: volume exp(growth * progress)). Every draw of slice k comes from the generator seeded
with (seed, "slice", k), in a fixed order."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import polars as pl

from etl.synth.ads import ad_frame, ad_slice
from etl.synth.codes import COLD, CONV, DAY, FAILED, NULLCAT, NULLSTATUS, P_IN, P_OUT, SERV, SLOT, UTIL, WARM
from etl.synth.columns import gather, id_series
from etl.synth.content import Content
from etl.synth.draws import hash01, make_rng, pick
from etl.synth.feedback import feedback_chunk
from etl.synth.geography import lam, lam_inv, to_seconds
from etl.synth.lookups import Lookups, ts_series
from etl.synth.plan import Plan, list_users, slot_users, user_country, user_series
from etl.synth.rows import Chunk, Rows, seg_positions, time_order

_READ_P = np.array([0.45, 0.62, 0.70, 0.75])  # share of delivered messages read, per category
_SENT_P = 0.04


def _statuses(rng: np.random.Generator, cat: np.ndarray, fail: np.ndarray) -> np.ndarray:
    u = rng.random(len(cat))
    read_cut = fail + _SENT_P + (1 - fail - _SENT_P) * _READ_P[cat]
    return np.where(u < fail, FAILED, np.where(u < fail + _SENT_P, 0, np.where(u < read_cut, 2, 1))).astype(np.int64)


def _pool_pick(content: Content, u: np.ndarray, off: np.ndarray, cnt: np.ndarray) -> np.ndarray:
    return content.pool_items[off + (u * cnt).astype(np.int64)]


def _conversations(
    plan: Plan,
    content: Content,
    lk: Lookups,
    rng: np.random.Generator,
    b: np.ndarray,
    u: np.ndarray,
    t0: np.ndarray,
    in_off: np.ndarray,
    in_cnt: np.ndarray,
    answer: np.ndarray,
) -> Rows:
    """Users write first (1+ inbound messages); most conversations get 1+ free-form answers."""
    n = len(b)
    n_in = rng.geometric(P_IN, n)
    answered = rng.random(n) < answer
    n_out = np.where(answered, rng.geometric(P_OUT, n), 0)
    late = rng.random(n) < plan.b_late[b]
    first = np.where(
        late, rng.uniform(24.2 * 3600, 72 * 3600, n), np.minimum(rng.lognormal(np.log(420.0), 1.4, n), 20 * 3600.0)
    )

    def expand(counts, t_first, gap_median):
        pos = seg_positions(counts)
        conv = np.repeat(np.arange(n), counts)
        gaps = np.where(pos == 0, 0.0, rng.lognormal(np.log(gap_median), 1.0, len(pos)))
        cs = np.cumsum(gaps)
        starts = np.cumsum(counts) - counts
        base = cs[starts[counts > 0]]
        within = cs - np.repeat(base, counts[counts > 0])
        return conv, (t_first[conv] + within).astype(np.int64)

    ci, ti = expand(n_in, t0.astype(float), 35.0)
    co, to = expand(n_out, t0 + first, 50.0)
    bi, bo = b[ci], b[co]
    m_in, m_out = len(ci), len(co)
    txt_in = _pool_pick(content, rng.random(m_in), in_off[ci], in_cnt[ci])
    txt_out = _pool_pick(content, rng.random(m_out), lk.b_srv_off[bo], lk.b_srv_cnt[bo])
    cat_out = np.full(m_out, SERV, dtype=np.int64)
    return Rows(
        t=np.concatenate([ti, to]),
        b=np.concatenate([bi, bo]),
        u=np.concatenate([u[ci], u[co]]),
        d=np.concatenate([np.zeros(m_in, np.int64), np.ones(m_out, np.int64)]),
        cat=np.concatenate([np.full(m_in, NULLCAT, np.int64), cat_out]),
        tpl=np.full(m_in + m_out, -1, dtype=np.int64),
        st=np.concatenate([np.full(m_in, NULLSTATUS, np.int64), _statuses(rng, cat_out, plan.b_fail[bo])]),
        txt=np.concatenate([txt_in, txt_out]),
        src=plan.b_conv[np.concatenate([bi, bo])],
    )


def _stream_g(plan: Plan, T: float) -> np.ndarray:
    """Share (0..1) of each stream's units that lies before hour T."""
    tc = np.clip(T, plan.s_a, plan.s_e)
    g = (lam(plan, plan.s_c, tc) - plan.s_La) / (plan.s_Le - plan.s_La)
    return _grow(np.clip(g, 0.0, 1.0), plan.s_growth)


def _grow(g: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Share of units before activity progress g when volume grows as exp(r * progress)."""
    m = r > 0
    if not m.any():
        return g
    g = g.copy()
    g[m] = np.expm1(r[m] * g[m]) / np.expm1(r[m])
    return g


def _ungrow(g: np.ndarray, r: np.ndarray) -> np.ndarray:
    """The activity progress at which a share g of the units lies before (inverse of `_grow`)."""
    m = r > 0
    if not m.any():
        return g
    g = g.copy()
    g[m] = np.log1p(g[m] * np.expm1(r[m])) / r[m]
    return g


@dataclass
class _Units:
    """The units drawn from the streams in a slice: returning conversations and template messages."""

    sid: np.ndarray  # stream
    b: np.ndarray
    user: np.ndarray  # -1: nobody to write to (yet)
    t: np.ndarray  # seconds
    conv: np.ndarray  # a returning customer's conversation
    early: np.ndarray  # warm marketing before anybody wrote: sent as utility instead

    @property
    def valid(self) -> np.ndarray:
        return self.user >= 0


def make_chunk(
    plan: Plan, content: Content, lk: Lookups, seed: int, k: int, T0: float, T1: float, counters: dict[str, int]
) -> Chunk:
    """Slice k, hours [T0, T1) of the period; counters number the rows across slices."""
    rng = make_rng(seed, "slice", k)
    end = plan.days * DAY
    G0, G1 = _stream_g(plan, T0), _stream_g(plan, T1)
    ads, ad_seeds = ad_slice(plan, rng, T0, T1, end)  # their replies become conversations
    units = _stream_units(plan, rng, G0, G1)
    new = _new_customers(plan, G0, G1)
    templates = _template_messages(plan, content, lk, rng, units)
    convs = _slice_conversations(plan, content, lk, rng, units, new, templates, ad_seeds)

    rows = Rows.concat([templates, convs])
    keep = np.flatnonzero(rows.t < end)
    rows = rows.take(keep[time_order(rows.t[keep])])
    nmsg = len(rows.t)
    msg_num = counters["messages"] + np.arange(nmsg, dtype=np.int64)
    counters["messages"] += nmsg

    chunk: Chunk = {"messages": (nmsg, partial(_messages_frame, plan, content, lk, rows, msg_num))}
    chunk.update(feedback_chunk(plan, lk, rng, rows, msg_num, end, counters))
    chunk["ad_events"] = ad_frame(plan, lk, ads, counters)
    return chunk


def _stream_units(plan: Plan, rng: np.random.Generator, G0: np.ndarray, G1: np.ndarray) -> _Units:
    """Units of every stream in the slice, placed in time along the stream's activity curve (warm
    marketing grows with the customers who wrote so far), and the user each goes to."""
    S = len(plan.s_kind)
    kind = plan.s_kind
    span = plan.s_Le - plan.s_La
    K_s = plan.b_K[plan.s_b]
    quad = plan.s_quad
    rate = np.where(quad, plan.s_units * (G1**2 - G0**2), plan.s_units * (G1 - G0))
    rate = np.where(kind == CONV, np.maximum(plan.s_units - K_s, 0) * (G1 - G0), rate)
    cnt = rng.poisson(np.maximum(rate, 0))
    sid = np.repeat(np.arange(S), cnt)
    n = len(sid)
    u1 = rng.random(n)
    dG = (G1 - G0)[sid]
    g = np.where(quad[sid], np.sqrt(G0[sid] ** 2 + u1 * (G1**2 - G0**2)[sid]), G0[sid] + u1 * dG)
    t_h = lam_inv(plan, plan.s_c[sid], plan.s_La[sid] + _ungrow(g, plan.s_growth[sid]) * span[sid])
    sb = plan.s_b[sid]
    sk = kind[sid]
    u2 = rng.random(n)
    user = np.full(n, -1, dtype=np.int64)
    # returning customers: a slot that already wrote before
    J = np.floor(g * K_s[sid]).astype(np.int64)
    conv_m = sk == CONV
    # warm marketing: a slot whose first contact (on its business's CONV stream) is at least an
    # hour earlier
    warm_m = sk == WARM
    if warm_m.any():
        wi = np.flatnonzero(warm_m)
        s_w = sid[wi]
        cs = plan.s_conv[s_w]
        tc = np.clip(t_h[wi] - 1.0, plan.s_a[cs], plan.s_e[cs])
        gw = np.clip((lam(plan, plan.s_c[cs], tc) - plan.s_La[cs]) / span[cs], 0, 1)
        J[wi] = np.floor(_grow(gw, plan.s_growth[cs]) * K_s[s_w]).astype(np.int64)
    slot_m = conv_m | warm_m
    j = (u2 * J).astype(np.int64)
    walk_in = conv_m & (J == 0)
    j = np.where(walk_in, K_s[sid] + (u2 * np.maximum(K_s[sid], 1)).astype(np.int64), j)
    user = np.where(slot_m & ((J > 0) | walk_in), slot_users(plan, sb, j), user)
    # warm marketing before anybody wrote: a utility message to the business's audience instead
    early = warm_m & (J == 0)
    j_early = (u2 * np.maximum(5, 2 * K_s[sid])).astype(np.int64)
    user = np.where(early, slot_users(plan, sb, j_early), user)
    tpl_slot = sk == SLOT
    j2 = plan.s_slot0[sid] + (u2 * plan.s_slots[sid]).astype(np.int64)
    user = np.where(tpl_slot, slot_users(plan, sb, j2), user)
    cold = np.flatnonzero(sk == COLD)
    if len(cold):
        user[cold] = _cold_recipients(plan, rng, sid[cold], t_h[cold], G0, G1)
    return _Units(sid=sid, b=sb, user=user, t=to_seconds(t_h), conv=conv_m, early=early)


def _cold_recipients(
    plan: Plan, rng: np.random.Generator, sid: np.ndarray, t_h: np.ndarray, G0: np.ndarray, G1: np.ndarray
) -> np.ndarray:
    """Strangers: random users of the target country, a share psi of them from anywhere. A ring
    member sends a share list_p to its ring's list instead, working through its first list_n
    positions in order over its window: the slice's list messages, in time order, take the
    positions of the slice's part [G0, G1) of the stream's units."""
    tgt = plan.s_target[sid]
    u3 = rng.random(len(sid))
    local = plan.pool_start[tgt] + (u3 * plan.pool_n[tgt]).astype(np.int64)
    anywhere = (rng.random(len(sid)) * plan.n_users).astype(np.int64)
    user = np.where(rng.random(len(sid)) < plan.s_psi[sid], anywhere, local)
    on_list = rng.random(len(sid)) < plan.s_list_p[sid]
    if on_list.any():
        li = np.flatnonzero(on_list)
        ls = sid[li]
        order = np.lexsort((t_h[li], ls))
        li, ls = li[order], ls[order]
        first = np.ones(len(ls), dtype=bool)
        first[1:] = ls[1:] != ls[:-1]
        starts = np.flatnonzero(first)
        counts = np.diff(np.append(starts, len(ls)))
        rank = np.arange(len(ls)) - np.repeat(starts, counts)
        g = G0[ls] + (rank + 0.5) / np.repeat(counts, counts) * (G1 - G0)[ls]
        j = np.minimum((g * plan.s_list_n[ls]).astype(np.int64), plan.s_list_n[ls] - 1)
        user[li] = list_users(plan, ls, tgt[li], j)
    return user


def _new_customers(plan: Plan, G0: np.ndarray, G1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The slots whose first contact falls in this slice: (business, user, time in seconds)."""
    kind = plan.s_kind
    span = plan.s_Le - plan.s_La
    K_s = plan.b_K[plan.s_b]
    conv_s = np.flatnonzero((kind == CONV) & (K_s > 0) & (G1 > G0))
    jlo = np.floor(G0[conv_s] * K_s[conv_s]).astype(np.int64)
    jhi = np.minimum(K_s[conv_s] - 1, np.floor(G1[conv_s] * K_s[conv_s]).astype(np.int64))
    ncand = np.maximum(jhi - jlo + 1, 0)
    cs = np.repeat(conv_s, ncand)
    jj = np.repeat(jlo, ncand) + seg_positions(ncand)
    bb = plan.s_b[cs]
    gj = (jj + hash01(bb, jj, 0x51075)) / K_s[cs]
    inside = (gj >= G0[cs]) & (gj < G1[cs])
    cs, jj, bb, gj = cs[inside], jj[inside], bb[inside], gj[inside]
    t_new = to_seconds(lam_inv(plan, plan.s_c[cs], plan.s_La[cs] + _ungrow(gj, plan.s_growth[cs]) * span[cs]))
    return bb, slot_users(plan, bb, jj), t_new


def _template_messages(plan: Plan, content: Content, lk: Lookups, rng: np.random.Generator, units: _Units) -> Rows:
    """The template (and free-form outreach) messages among the units, with their status."""
    ti = np.flatnonzero(units.valid & ~units.conv)
    ts, tb, tu, tt = units.sid[ti], units.b[ti], units.user[ti], units.t[ti]
    m = len(ti)
    tcat = np.where(units.early[ti], UTIL, pick(plan.s_cat_cum[ts], rng.random(m)))
    fam = plan.s_family[ts]
    free = tcat == SERV
    c3 = np.minimum(tcat, 2)
    choice = content.fam_off[fam, c3] + (rng.random(m) * content.fam_cnt[fam, c3]).astype(np.int64)
    tpl = np.where(free, -1, content.fam_tpl[choice])
    u5 = rng.random(m)
    ff = plan.s_ff[ts]
    txt = np.where(
        free,
        _pool_pick(content, u5, lk.ff_off[ff], lk.ff_cnt[ff]),
        _pool_pick(content, u5, content.fam_txt_off[choice], content.fam_txt_cnt[choice]),
    )
    tst = _statuses(rng, tcat, plan.b_fail[tb])
    return Rows(t=tt, b=tb, u=tu, d=np.ones(m, np.int64), cat=tcat, tpl=tpl, st=tst, txt=txt, src=ts)


def _slice_conversations(
    plan: Plan,
    content: Content,
    lk: Lookups,
    rng: np.random.Generator,
    units: _Units,
    new: tuple,
    templates: Rows,
    ad_seeds: tuple,
) -> Rows:
    """Conversations opened by new customers, returning customers, replies to templates and to ads."""
    bb, u_new, t_new = new
    ri = np.flatnonzero(units.valid & units.conv)
    sb, user, t_s = units.b, units.user, units.t
    ts, tb, tu, tt = templates.src, templates.b, templates.u, templates.t
    rep = (templates.st != FAILED) & (rng.random(len(ts)) < plan.s_reply[ts])
    rp = plan.s_reply_pool[ts[rep]]
    ad_b, ad_u, ad_t = ad_seeds
    c_b = np.concatenate([bb, sb[ri], tb[rep], ad_b])
    c_u = np.concatenate([u_new, user[ri], tu[rep], ad_u])
    delay = rng.lognormal(np.log(1200.0), 1.2, int(rep.sum())).astype(np.int64) + 5
    c_t = np.concatenate([t_new, t_s[ri], tt[rep] + delay, ad_t])
    c_in_off = np.concatenate([lk.b_in_off[bb], lk.b_in_off[sb[ri]], lk.reply_off[rp], np.full(len(ad_b), lk.ad_off)])
    c_in_cnt = np.concatenate([lk.b_in_cnt[bb], lk.b_in_cnt[sb[ri]], lk.reply_cnt[rp], np.full(len(ad_b), lk.ad_cnt)])
    c_ans = np.concatenate(
        [plan.b_answer[bb], plan.b_answer[sb[ri]], plan.s_reply_answer[ts[rep]], np.full(len(ad_b), 0.9)]
    )
    return _conversations(plan, content, lk, rng, c_b, c_u, c_t, c_in_off, c_in_cnt, c_ans)


def _messages_frame(plan: Plan, content: Content, lk: Lookups, rows: Rows, msg_num: np.ndarray) -> pl.DataFrame:
    country = user_country(plan, rows.u, rows.t)
    return pl.DataFrame(
        [
            id_series("message_id", "m", msg_num, 10),
            ts_series(lk, rows.t, "sent_at"),
            gather(lk.e_business, rows.b, "business_id"),
            user_series(plan, rows.u),
            gather(lk.e_direction, rows.d, "direction"),
            gather(lk.e_country, country, "user_country"),
            gather(lk.e_category, rows.cat, "category"),
            gather(lk.e_template, np.where(rows.tpl < 0, len(content.templates), rows.tpl), "template"),
            gather(lk.e_status, rows.st, "status"),
            gather(lk.e_text, rows.txt, "text"),
        ]
    )
