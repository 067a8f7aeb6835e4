"""The streams of the world plan: per business, the conversations with its customers and the
template traffic it sends (to customer slots, warm marketing, cold outreach), each with its window,
expected volume, message categories, reply rates and feedback rates.

Draws come from the plan's generator, after the businesses' draws."""

from __future__ import annotations

import math

import numpy as np

from etl.synth.archetypes import CATEGORY_MIX, ELECTION, LARGE, NEW, NORMAL, PROFILE_BY_ARCHETYPE, SCAMMER, SPAMMER
from etl.synth.businesses import Businesses
from etl.synth.codes import COLD, CONV, P_IN, P_OUT, SLOT, WARM
from etl.synth.geography import ActivityCurves, lam

_LEGIT = (NORMAL, LARGE, NEW)
_FIELDS = (
    "kind",
    "b",
    "c",
    "a",
    "e",
    "msgs",
    "cat",
    "slots",
    "target",
    "psi",
    "reply",
    "reply_answer",
    "p_block",
    "p_report",
    "p_opt",
    "profile",
    "reply_pool",
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

    def add(
        self,
        kind,
        b,
        a,
        e,
        msgs,
        cat=(0, 0, 0, 0),
        slots=0,
        target=-1,
        psi=0.0,
        reply=0.0,
        reply_answer=0.0,
        p_block=0.0,
        p_report=0.0,
        p_opt=0.0,
        reply_pool=0,
    ) -> int:
        prof = PROFILE_BY_ARCHETYPE[int(self.biz.arch[b])]
        if prof == 0 and self.biz.cat[b] == "politics":
            prof = 1
        for key, val in (
            ("kind", kind),
            ("b", b),
            ("c", self.biz.country[b]),
            ("a", a),
            ("e", e),
            ("msgs", msgs),
            ("cat", cat),
            ("slots", slots),
            ("target", target),
            ("psi", psi),
            ("reply", reply),
            ("reply_answer", reply_answer),
            ("p_block", p_block),
            ("p_report", p_report),
            ("p_opt", p_opt),
            ("profile", prof),
            ("reply_pool", reply_pool),
        ):
            self.cols[key].append(val)
        return len(self.cols["kind"]) - 1

    def plan_fields(self, curves: ActivityCurves) -> dict[str, np.ndarray]:
        """The stream columns as the plan's s_* arrays (and the businesses' slot counts)."""
        S = self.cols
        s_c = np.array(S["c"], dtype=np.int64)
        s_e = np.array(S["e"], dtype=float)
        s_a = np.minimum(np.array(S["a"], dtype=float), s_e - 1e-6)
        cat_cum = np.cumsum(np.array(S["cat"], dtype=float), axis=1)
        cat_cum[:, -1] = np.where(cat_cum[:, -1] > 0, 1.0, 0.0)
        return dict(
            b_K=self.b_K,
            b_conv=self.b_conv,
            s_kind=np.array(S["kind"], dtype=np.int64),
            s_b=np.array(S["b"], dtype=np.int64),
            s_c=s_c,
            s_a=s_a,
            s_e=s_e,
            s_La=lam(curves, s_c, s_a),
            s_Le=lam(curves, s_c, s_e),
            s_units=np.array(S["msgs"], dtype=float),
            s_cat_cum=cat_cum,
            s_slots=np.array(S["slots"], dtype=np.int64),
            s_target=np.array(S["target"], dtype=np.int64),
            s_psi=np.array(S["psi"], dtype=float),
            s_reply=np.array(S["reply"], dtype=float),
            s_reply_answer=np.array(S["reply_answer"], dtype=float),
            s_p_block=np.array(S["p_block"], dtype=float),
            s_p_report=np.array(S["p_report"], dtype=float),
            s_p_opt=np.array(S["p_opt"], dtype=float),
            s_profile=np.array(S["profile"], dtype=np.int64),
            s_reply_pool=np.array(S["reply_pool"], dtype=np.int64),
        )


def plan_streams(rng: np.random.Generator, biz: Businesses, n_messages: int, ad_conv_units: float) -> Streams:
    streams = Streams(biz)
    w = biz.weight
    total_w = float(w.sum())
    # a reply conversation adds messages to the template that caused it; reserve for ad replies
    budget_msgs = max(0.0, n_messages - biz.new_msgs.sum() - ad_conv_units * conv_len(0.9))
    V = np.where(biz.arch == NEW, biz.new_msgs, w / total_w * budget_msgs)
    for b in range(biz.n):
        A = int(biz.arch[b])
        mix = _message_mix(rng, A, biz.cat[b])
        K = _add_conversations(rng, streams, b, V[b] * mix[0], A)
        if A in _LEGIT:
            _add_legit_templates(rng, streams, b, V[b], mix, K)
        else:
            _add_bad_templates(rng, streams, b, V[b], mix, K)
    return streams


def _message_mix(rng: np.random.Generator, A: int, cat: str) -> tuple:
    """Shares of conversations, utility, authentication and marketing in a business's volume."""
    if A in _LEGIT:
        mix = rng.dirichlet(np.array(CATEGORY_MIX[cat]) * 30 + 0.05)
        conv_f, util_f, auth_f, mkt_f = mix
    else:
        conv_f = {SPAMMER: 0.08, SCAMMER: 0.10, ELECTION: 0.10}[A]
        util_f = {SPAMMER: 0.05, SCAMMER: 0.0, ELECTION: 0.0}[A]
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
        # and more (app users), each getting a handful of templates over the period
        slots = max(5.0, K * rng.uniform(1.5, 4.0), V * ua / rng.uniform(3.0, 6.0))
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
