"""The streams of the world plan: per business, the conversations with its customers and the
template traffic it sends (to customer slots, warm marketing, cold outreach), each with its window,
expected volume, message categories, reply rates, feedback rates and content (template family and
free-form pool). Archetypes add their own streams: a seasonal promo's week of marketing, a
takeover's scam blasts, a ring member's cold outreach to the ring's shared list.

Draws come from the plan's generator, after the businesses' draws. The subtle spammers' and ring
members' feedback rates are solved last (`calibrate`), without draws."""

from __future__ import annotations

import math

import numpy as np

from etl.synth.archetypes import (
    CATEGORY_MIX,
    ELECTION,
    GROWING,
    GROWING_MIX,
    LARGE,
    NEW,
    NORMAL,
    PROFILE_BY_ARCHETYPE,
    RING,
    SCAM_PROFILE,
    SCAMMER,
    SEASONAL,
    SPAMMER,
    SUBTLE,
    TAKEOVER,
    TRANSACTIONAL,
    TRANSACTIONAL_MIX,
)
from etl.synth.businesses import Businesses
from etl.synth.calibrate import calibrate
from etl.synth.codes import COLD, CONV, P_IN, P_OUT, SLOT, WARM
from etl.synth.content import FAM_SCAM, FAM_TAKEOVER, FF_SCAM, FF_SPAM, FF_SUBTLE, FF_TAKEOVER
from etl.synth.geography import ActivityCurves, lam

_LEGIT = (NORMAL, LARGE, NEW, SEASONAL, GROWING, TRANSACTIONAL, TAKEOVER)  # a takeover's own traffic
_FIELDS = (
    "kind",
    "b",
    "c",
    "a",
    "e",
    "msgs",
    "cat",
    "slots",
    "slot0",
    "target",
    "psi",
    "reply",
    "reply_answer",
    "p_block",
    "p_report",
    "p_opt",
    "profile",
    "reply_pool",
    "family",
    "ff",
    "quad",
    "growth",
    "list_off",
    "list_stride",
    "list_n",
    "list_p",
)


def conv_len(answer):
    """Expected messages of a conversation that is answered with probability `answer`."""
    return 1 / P_IN + answer * (1 / P_OUT)


class Streams:
    """The stream table, one row per stream, built business by business."""

    def __init__(self, biz: Businesses) -> None:
        self.biz = biz
        self.cols: dict[str, list] = {k: [] for k in _FIELDS}
        self.b_K = np.zeros(biz.n, dtype=np.int64)  # conversational customer slots
        self.b_conv = np.zeros(biz.n, dtype=np.int64)  # CONV stream of the business
        self.V = np.zeros(biz.n)  # planned messages per business

    def add(
        self,
        kind,
        b,
        a,
        e,
        msgs,
        cat=(0, 0, 0, 0),
        slots=0,
        slot0=0,
        target=-1,
        psi=0.0,
        reply=0.0,
        reply_answer=0.0,
        p_block=0.0,
        p_report=0.0,
        p_opt=0.0,
        reply_pool=0,
        family=None,
        ff=None,
        profile=None,
        quad=True,
        ring_list=(0, 0, 0, 0.0),
    ) -> int:
        """A stream of business b; family, free-form pool and feedback profile default to the
        business's. WARM streams place their volume quadratically (marketing grows with the
        customers who wrote so far) unless quad is False (a promo week)."""
        biz = self.biz
        prof = PROFILE_BY_ARCHETYPE[int(biz.arch[b])] if profile is None else profile
        if prof == 0 and biz.cat[b] == "politics":
            prof = 1
        fam = int(biz.family[b]) if family is None else family
        if ff is None:
            ff = FF_SCAM if fam == FAM_SCAM else FF_SPAM
        list_off, list_stride, list_n, list_p = ring_list
        for key, val in (
            ("kind", kind),
            ("b", b),
            ("c", biz.country[b]),
            ("a", a),
            ("e", e),
            ("msgs", msgs),
            ("cat", cat),
            ("slots", slots),
            ("slot0", slot0),
            ("target", target),
            ("psi", psi),
            ("reply", reply),
            ("reply_answer", reply_answer),
            ("p_block", p_block),
            ("p_report", p_report),
            ("p_opt", p_opt),
            ("profile", prof),
            ("reply_pool", reply_pool),
            ("family", fam),
            ("ff", ff),
            ("quad", bool(quad) and kind == WARM),
            ("growth", float(biz.growth[b])),
            ("list_off", list_off),
            ("list_stride", list_stride),
            ("list_n", list_n),
            ("list_p", list_p),
        ):
            self.cols[key].append(val)
        return len(self.cols["kind"]) - 1

    def set(self, key: str, s: int, value) -> None:
        self.cols[key][s] = value

    def plan_fields(self, curves: ActivityCurves) -> dict[str, np.ndarray]:
        """The stream columns as the plan's s_* arrays (and the businesses' slot counts)."""
        S = self.cols
        s_c = np.array(S["c"], dtype=np.int64)
        s_e = np.array(S["e"], dtype=float)
        s_a = np.minimum(np.array(S["a"], dtype=float), s_e - 1e-6)
        cat_cum = np.cumsum(np.array(S["cat"], dtype=float), axis=1)
        cat_cum[:, -1] = np.where(cat_cum[:, -1] > 0, 1.0, 0.0)
        s_b = np.array(S["b"], dtype=np.int64)
        return dict(
            b_K=self.b_K,
            b_conv=self.b_conv,
            s_kind=np.array(S["kind"], dtype=np.int64),
            s_b=s_b,
            s_c=s_c,
            s_a=s_a,
            s_e=s_e,
            s_La=lam(curves, s_c, s_a),
            s_Le=lam(curves, s_c, s_e),
            s_units=np.array(S["msgs"], dtype=float),
            s_cat_cum=cat_cum,
            s_slots=np.array(S["slots"], dtype=np.int64),
            s_slot0=np.array(S["slot0"], dtype=np.int64),
            s_target=np.array(S["target"], dtype=np.int64),
            s_psi=np.array(S["psi"], dtype=float),
            s_reply=np.array(S["reply"], dtype=float),
            s_reply_answer=np.array(S["reply_answer"], dtype=float),
            s_p_block=np.array(S["p_block"], dtype=float),
            s_p_report=np.array(S["p_report"], dtype=float),
            s_p_opt=np.array(S["p_opt"], dtype=float),
            s_profile=np.array(S["profile"], dtype=np.int64),
            s_reply_pool=np.array(S["reply_pool"], dtype=np.int64),
            s_family=np.array(S["family"], dtype=np.int64),
            s_ff=np.array(S["ff"], dtype=np.int64),
            s_quad=np.array(S["quad"], dtype=bool),
            s_growth=np.array(S["growth"], dtype=float),
            s_conv=self.b_conv[s_b],
            s_list_off=np.array(S["list_off"], dtype=np.int64),
            s_list_stride=np.array(S["list_stride"], dtype=np.int64),
            s_list_n=np.array(S["list_n"], dtype=np.int64),
            s_list_p=np.array(S["list_p"], dtype=float),
        )


def plan_streams(
    rng: np.random.Generator, biz: Businesses, n_messages: int, ad_conv_units: float, pool_n: np.ndarray
) -> Streams:
    streams = Streams(biz)
    w = biz.weight
    total_w = float(w.sum())
    # a reply conversation adds messages to the template that caused it; reserve for ad replies
    budget_msgs = max(0.0, n_messages - biz.new_msgs.sum() - ad_conv_units * conv_len(0.9))
    V = np.where(biz.arch == NEW, biz.new_msgs, w / total_w * budget_msgs)
    streams.V = V
    for b in range(biz.n):
        A = int(biz.arch[b])
        mix = _message_mix(rng, A, biz.cat[b])
        Vb = V[b]
        if A == TAKEOVER:  # its usual traffic, then the blasts on top
            x = biz.blast[b] * (biz.bad_e[b] - biz.bad_a[b]) / max(biz.win_e[b] - biz.win_a[b], 1.0)
            Vb = V[b] / (1 + x)
        promo = 0.0
        if A == SEASONAL:  # the promo week's extra marketing, out of its volume
            x = (biz.boost[b] - 1) * mix[3] * _warm_share(biz, b)
            promo = V[b] * x / (1 + x)
            Vb = V[b] - promo
        K = _add_conversations(rng, streams, b, Vb * mix[0], A)
        if A in _LEGIT:
            _add_legit_templates(rng, streams, b, Vb, mix, K)
            if A == SEASONAL:
                _add_promo(rng, streams, b, promo, K)
            elif A == TAKEOVER:
                _add_blasts(rng, streams, b, V[b] - Vb)
        elif A == SUBTLE:
            _add_subtle(rng, streams, b, Vb, mix, K)
        elif A == RING:
            _add_ring_member(streams, b, Vb, mix)
        else:
            _add_bad_templates(rng, streams, b, Vb, mix, K)
    _ring_lists(streams, pool_n)
    calibrate(streams, pool_n)
    return streams


def _warm_share(biz: Businesses, b: int) -> float:
    """The share of a business's warm marketing that falls in its archetype window (warm
    marketing grows as the square of the window's progress)."""
    span = max(biz.win_e[b] - biz.win_a[b], 1.0)
    ga = min(max((biz.bad_a[b] - biz.win_a[b]) / span, 0.0), 1.0)
    ge = min(max((biz.bad_e[b] - biz.win_a[b]) / span, 0.0), 1.0)
    return ge**2 - ga**2


def _message_mix(rng: np.random.Generator, A: int, cat: str) -> tuple:
    """Shares of conversations, utility, authentication and marketing in a business's volume."""
    if A in _LEGIT:
        base = TRANSACTIONAL_MIX[cat] if A == TRANSACTIONAL else GROWING_MIX if A == GROWING else CATEGORY_MIX[cat]
        mix = rng.dirichlet(np.array(base) * (100 if A == TRANSACTIONAL else 30) + 0.05)
        conv_f, util_f, auth_f, mkt_f = mix
    elif A == SUBTLE:
        conv_f, util_f, auth_f, mkt_f = 0.10, rng.uniform(0.08, 0.18), 0.0, 0.0
    else:
        conv_f = {SPAMMER: 0.08, SCAMMER: 0.10, ELECTION: 0.10, RING: 0.05}[A]
        util_f = {SPAMMER: 0.05, SCAMMER: 0.0, ELECTION: 0.0, RING: 0.0}[A]
        auth_f, mkt_f = 0.0, 0.0
    return conv_f, util_f, auth_f, mkt_f


def _feedback_rates(A: int, m: float) -> dict[int, tuple]:
    """(block, report, opt-out) probabilities per message of each stream kind of a business with
    feedback multiplier m."""
    if A == NEW:
        # a handful of users: one or two blocks make a high rate on a tiny base
        conv_p = slot_p = warm_p = cold_p = (0.012, 0.003, 0.03)
    else:
        conv_p = (0.00022 * m, 0.00006 * m, 0.0)
        slot_p = (0.0006 * m, 0.00015 * m, 0.0)
        warm_p = (0.003 * m, 0.0007 * m, 0.012 * m)
        cold_p = (0.015 * m, 0.004 * m, 0.04 * m)
    if A in (SPAMMER, SCAMMER):
        conv_p = (0.01 * m, 0.005 * m, 0.0)
    return {CONV: conv_p, SLOT: slot_p, WARM: warm_p, COLD: cold_p}


def _add_conversations(rng: np.random.Generator, streams: Streams, b: int, conv_msgs: float, A: int) -> int:
    """The CONV stream: K customer slots first write to the business once, then come back."""
    biz = streams.biz
    n_conv = conv_msgs / conv_len(biz.answer[b])
    nu = rng.uniform(0.55, 0.85)
    K = int(round(nu * n_conv)) if n_conv >= 0.5 else 0
    if K == 0 and n_conv > 0:
        K = 1
    streams.b_K[b] = K
    conv_p = _feedback_rates(A, biz.fb_mult[b])[CONV]
    streams.b_conv[b] = streams.add(
        CONV, b, biz.win_a[b], biz.win_e[b], n_conv, slots=K, p_block=conv_p[0], p_report=conv_p[1]
    )
    return K


def _add_legit_templates(rng: np.random.Generator, streams: Streams, b: int, V: float, mix: tuple, K: int) -> None:
    """Utility/authentication to its audience, warm marketing, and some cold marketing."""
    biz = streams.biz
    _, util_f, auth_f, mkt_f = mix
    a, e = biz.win_a[b], biz.win_e[b]
    rates = _feedback_rates(int(biz.arch[b]), biz.fb_mult[b])
    reply, ans = 0.02, 0.6
    per_msg = 1 + (1 - biz.fail[b]) * reply * conv_len(ans)
    ua = util_f + auth_f
    if ua > 0:
        p_auth = auth_f / ua
        # the audience of utility/authentication templates: the conversational customers
        # and more (app users), each getting a handful of templates over the period; a bank's or
        # airline's app users get one or two a month
        slots = max(5.0, K * rng.uniform(1.5, 4.0), V * ua / rng.uniform(3.0, 6.0))
        if biz.arch[b] == TRANSACTIONAL:
            slots = max(slots, V * ua / rng.uniform(1.5, 3.0))
        streams.add(
            SLOT,
            b,
            a,
            e,
            V * ua / per_msg,
            cat=(0, 1 - p_auth, p_auth, 0),
            slots=int(math.ceil(slots)),
            reply=reply,
            reply_answer=ans,
            p_block=rates[SLOT][0],
            p_report=rates[SLOT][1],
        )
    # marketing: warm to the users who wrote first, the rest cold to strangers of its own country
    cold = biz.cold_share[b]
    for kind, share, reach in ((WARM, 1 - cold, {}), (COLD, cold, {"target": int(biz.country[b]), "psi": 0.1})):
        volume = V * mkt_f * share
        if volume > 0:
            p_block, p_report, p_opt = rates[kind]
            streams.add(
                kind,
                b,
                a,
                e,
                volume / per_msg,
                cat=(1, 0, 0, 0),
                **reach,
                reply=reply,
                reply_answer=ans,
                p_block=p_block,
                p_report=p_report,
                p_opt=p_opt,
            )


def _add_promo(rng: np.random.Generator, streams: Streams, b: int, volume: float, K: int) -> None:
    """A seasonal promo week: 60-80% warm to its customers, the rest to past customers (slots
    beyond K, who did not write in the period); customers who get a sale opt out (1.5x its warm
    opt-out rate) rather than block or report (0.2x its warm rates)."""
    biz = streams.biz
    if volume <= 0:
        return
    p_block, p_report, p_opt = _feedback_rates(SEASONAL, biz.fb_mult[b])[WARM]
    reply, ans = 0.02, 0.6
    per_msg = 1 + (1 - biz.fail[b]) * reply * conv_len(ans)
    warm_share = rng.uniform(0.6, 0.8)
    rates = dict(reply=reply, reply_answer=ans, p_block=0.2 * p_block, p_report=0.2 * p_report, p_opt=1.5 * p_opt)
    a, e = biz.bad_a[b], biz.bad_e[b]
    streams.add(WARM, b, a, e, volume * warm_share / per_msg, cat=(1, 0, 0, 0), quad=False, **rates)
    past = max(5, int(math.ceil(K * rng.uniform(0.3, 0.8))))
    streams.add(SLOT, b, a, e, volume * (1 - warm_share) / per_msg, cat=(1, 0, 0, 0), slots=past, slot0=K, **rates)


def _add_blasts(rng: np.random.Generator, streams: Streams, b: int, volume: float) -> None:
    """A takeover's scam blasts in its last days: cold marketing and utility templates asking for
    payment, links and codes, and free-form, to strangers of its country."""
    biz = streams.biz
    reply, ans = 0.05, 0.3
    fail = rng.uniform(0.04, 0.09)
    per_msg = 1 + (1 - fail) * reply * conv_len(ans)
    streams.add(
        COLD,
        b,
        biz.bad_a[b],
        biz.bad_e[b],
        volume / per_msg,
        cat=(0.45, 0.35, 0, 0.20),
        target=int(biz.country[b]),
        psi=0.05,
        reply=reply,
        reply_answer=ans,
        p_block=rng.uniform(0.04, 0.09),
        p_report=rng.uniform(0.03, 0.07),
        p_opt=rng.uniform(0.03, 0.08),
        reply_pool=1,
        family=FAM_TAKEOVER,
        ff=FF_TAKEOVER,
        profile=SCAM_PROFILE,
    )


def _add_subtle(rng: np.random.Generator, streams: Streams, b: int, V: float, mix: tuple, K: int) -> None:
    """A subtle spammer: cold marketing templates of its category (6% free-form) to strangers of
    its country, utility to its few customers; rates are solved by `calibrate`."""
    biz = streams.biz
    conv_f, util_f, _, _ = mix
    reply, ans = 0.03, 0.5
    per_msg = 1 + (1 - biz.fail[b]) * reply * conv_len(ans)
    a, e = biz.bad_a[b], biz.bad_e[b]
    p_opt = min(0.5, 0.012 * biz.mult[b])
    streams.add(
        COLD,
        b,
        a,
        e,
        V * (1 - conv_f - util_f) / per_msg,
        cat=(0.94, 0, 0, 0.06),
        target=int(biz.country[b]),
        psi=0.03,
        reply=reply,
        reply_answer=ans,
        p_opt=p_opt,
        reply_pool=1,
        ff=FF_SUBTLE,
    )
    streams.add(
        SLOT, b, a, e, V * util_f / per_msg, cat=(0, 1, 0, 0), slots=max(5, 2 * K), reply=reply, reply_answer=ans
    )


def _add_ring_member(streams: Streams, b: int, V: float, mix: tuple) -> None:
    """A ring member: the ring's templates (80% marketing, 20% utility) cold to its country, part
    to the ring's shared list (`_ring_lists`); rates are solved by `calibrate`."""
    biz = streams.biz
    conv_f = mix[0]
    reply, ans = 0.03, 0.2
    per_msg = 1 + (1 - biz.fail[b]) * reply * conv_len(ans)
    p_opt = min(0.5, 0.012 * biz.mult[b])
    streams.add(
        COLD,
        b,
        biz.bad_a[b],
        biz.bad_e[b],
        V * (1 - conv_f) / per_msg,
        cat=(0.8, 0.2, 0, 0),
        target=int(biz.country[b]),
        reply=reply,
        reply_answer=ans,
        p_opt=p_opt,
        reply_pool=1,
    )


def _ring_lists(streams: Streams, pool_n: np.ndarray) -> None:
    """Each ring's shared target list, worked through from the top: a member sends a share
    list_q of its cold messages to the list, one each to its first list_n = list_q x (its cold
    messages) users, so two members share the top of the list (the smaller one's part of it)."""
    S = streams.cols
    biz = streams.biz
    cold_of = {b: s for s, (k, b) in enumerate(zip(S["kind"], S["b"])) if k == COLD and biz.ring[b] >= 0}
    for r in biz.rings:
        cap = max(1, int(0.5 * pool_n[r.country]))  # list positions stay distinct users
        for b, q in zip(r.members, r.list_q):
            s = cold_of[b]
            m = int(min(max(1, round(q * S["msgs"][s])), cap))
            streams.set("list_off", s, r.list_off)
            streams.set("list_stride", s, r.list_stride)
            streams.set("list_n", s, m)
            streams.set("list_p", s, float(q))
            r.list_n = max(r.list_n, m)


def _add_bad_templates(rng: np.random.Generator, streams: Streams, b: int, V: float, mix: tuple, K: int) -> None:
    """Cold outreach in the bad actor's window, and for spammers a little utility traffic."""
    biz = streams.biz
    A = int(biz.arch[b])
    conv_f, util_f, _, _ = mix
    reply = {SPAMMER: 0.04, SCAMMER: 0.05, ELECTION: 0.03}[A]
    ans = {SPAMMER: 0.15, SCAMMER: 0.7, ELECTION: 0.1}[A]
    per_msg = 1 + (1 - biz.fail[b]) * reply * conv_len(ans)
    cold_f = 1 - conv_f - util_f
    cat = {SPAMMER: (0.93, 0, 0, 0.07), SCAMMER: (0.45, 0.35, 0, 0.20), ELECTION: (1.0, 0, 0, 0)}[A]
    # every archetype's rate is drawn, then the business's own is kept: the draw order is fixed
    p_block = {SPAMMER: rng.uniform(0.06, 0.14), SCAMMER: rng.uniform(0.05, 0.12), ELECTION: rng.uniform(0.04, 0.1)}[A]
    p_report = {SPAMMER: rng.uniform(0.03, 0.08), SCAMMER: rng.uniform(0.04, 0.1), ELECTION: rng.uniform(0.03, 0.07)}[A]
    p_opt = {SPAMMER: rng.uniform(0.05, 0.12), SCAMMER: rng.uniform(0.02, 0.05), ELECTION: rng.uniform(0.05, 0.1)}[A]
    psi = {SPAMMER: 0.1, SCAMMER: 0.05, ELECTION: 0.0}[A]
    streams.add(
        COLD,
        b,
        biz.bad_a[b],
        biz.bad_e[b],
        V * cold_f / per_msg,
        cat=cat,
        target=int(biz.country[b]),
        psi=psi,
        reply=reply,
        reply_answer=ans,
        p_block=p_block,
        p_report=p_report,
        p_opt=p_opt,
        reply_pool=1,
    )
    if util_f > 0:
        streams.add(
            SLOT,
            b,
            biz.win_a[b],
            biz.win_e[b],
            V * util_f / per_msg,
            cat=(0, 1, 0, 0),
            slots=max(5, K),
            reply=reply,
            reply_answer=ans,
            p_block=p_block / 3,
            p_report=p_report / 3,
        )
