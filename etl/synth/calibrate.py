"""Expected business-level feedback of the planned streams, and the subtle spammers' and ring
members' rates solved from them (no draws).

For every business the plan's streams give, in expectation: delivered outbound messages, blocks,
reports and reached users (distinct users with a delivered outbound message: customer slots hit by
answers, utility and warm marketing as Poisson counts, cold recipients drawn from the country's
pool, and a ring member's part of its ring's list). Its block rate is blocks / reached users and its report rate reports
per 1000 delivered outbound messages, as docs/metrics.md measures them. A subtle spammer or ring
member gets per-message rates that make its own expected rates `mult` times the median normal
business of its category (per stream weights: cold 1, utility 0.5, conversations 0.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from etl.synth.archetypes import NORMAL, RING, SUBTLE
from etl.synth.codes import COLD, CONV, P_OUT, SLOT, WARM

if TYPE_CHECKING:
    from etl.synth.streams import Streams

_WEIGHT = {COLD: 1.0, SLOT: 0.5, WARM: 1.0}
_CONV_WEIGHT = 0.3
_FALLBACK = (0.003, 0.3)  # block rate, reports per 1000: the documented normal medians


def expected_feedback(streams: Streams, pool_n: np.ndarray) -> dict[str, np.ndarray]:
    """Per business: expected delivered outbound messages, weighted deliveries (for calibration),
    blocks, reports and reached users."""
    biz = streams.biz
    S = streams.cols
    kind = np.array(S["kind"], dtype=np.int64)
    sb = np.array(S["b"], dtype=np.int64)
    units = np.array(S["msgs"], dtype=float)
    slots = np.array(S["slots"], dtype=float)
    slot0 = np.array(S["slot0"], dtype=np.int64)
    reply = np.array(S["reply"], dtype=float)
    ra = np.array(S["reply_answer"], dtype=float)
    pb = np.array(S["p_block"], dtype=float)
    pr = np.array(S["p_report"], dtype=float)
    target = np.array(S["target"], dtype=np.int64)
    list_n = np.array(S["list_n"], dtype=float)
    list_p = np.array(S["list_p"], dtype=float)
    n_b = biz.n
    keep = 1 - biz.fail[sb]
    tpl = kind != CONV
    conv = ~tpl
    d = np.where(tpl, units * keep, 0.0)  # delivered templates
    # answers to customers, and to the replies templates get (both on the CONV stream's rates)
    answers = np.where(conv, units * biz.answer[sb] / P_OUT, d * reply * ra / P_OUT) * keep
    out_conv = np.bincount(sb, weights=answers, minlength=n_b)
    d_tpl = np.bincount(sb, weights=d, minlength=n_b)
    conv_s = streams.b_conv
    w = np.array([_WEIGHT.get(int(k), 0.0) for k in kind])
    weighted = np.bincount(sb, weights=d * w, minlength=n_b) + _CONV_WEIGHT * out_conv
    blocks = np.bincount(sb, weights=d * pb, minlength=n_b) + out_conv * pb[conv_s]
    reports = np.bincount(sb, weights=d * pr, minlength=n_b) + out_conv * pr[conv_s]

    K = streams.b_K.astype(float)
    safe_K = np.maximum(K, 1.0)
    conv_units = units[conv_s]
    lam_low = np.where(K > 0, conv_units * biz.answer * (1 - biz.fail) / safe_K, 0.0)
    warm = kind == WARM
    lam_low += np.bincount(sb[warm], weights=d[warm], minlength=n_b) / safe_K
    aud = (kind == SLOT) & (slot0 == 0)
    S_b = np.zeros(n_b)
    np.maximum.at(S_b, sb[aud], slots[aud])
    m_slot = np.bincount(sb[aud], weights=d[aud], minlength=n_b)
    lam_slot = np.where(S_b > 0, m_slot / np.maximum(S_b, 1.0), 0.0)
    reach = K * -np.expm1(-(lam_low + lam_slot)) + np.maximum(S_b - K, 0.0) * -np.expm1(-lam_slot)
    cold = kind == COLD
    P = np.where(cold, pool_n[np.maximum(target, 0)], 1).astype(float)
    # a ring member reaches its part of the ring's list once each (delivered: keep of it)
    cold_reach = np.where(cold, P * -np.expm1(-(1 - list_p) * d / P) + list_n * keep, 0.0)
    reach += np.bincount(sb, weights=cold_reach, minlength=n_b)
    return {"delivered": d_tpl + out_conv, "weighted": weighted, "blocks": blocks, "reports": reports, "reach": reach}


def category_medians(streams: Streams, ex: dict[str, np.ndarray]) -> dict[str, tuple[float, float]]:
    """Per category: the median normal business's expected block rate and reports per 1000."""
    biz = streams.biz
    cats = np.array(biz.cat)
    ok = (biz.arch == NORMAL) & (ex["reach"] > 0) & (ex["delivered"] > 0)
    br = np.where(ok, ex["blocks"] / np.maximum(ex["reach"], 1e-9), 0.0)
    rr = np.where(ok, 1000 * ex["reports"] / np.maximum(ex["delivered"], 1e-9), 0.0)
    overall = (float(np.median(br[ok])), float(np.median(rr[ok]))) if ok.any() else _FALLBACK
    out = {}
    for c in sorted(set(biz.cat)):
        m = ok & (cats == c)
        out[c] = (float(np.median(br[m])), float(np.median(rr[m]))) if m.sum() >= 3 else overall
    return out


def calibrate(streams: Streams, pool_n: np.ndarray) -> None:
    """Set the subtle spammers' and ring members' per-message rates from the category medians."""
    biz = streams.biz
    ex = expected_feedback(streams, pool_n)
    medians = category_medians(streams, ex)
    S = streams.cols
    for s, (k, b) in enumerate(zip(S["kind"], S["b"])):
        if biz.arch[b] not in (SUBTLE, RING):
            continue
        med_br, med_rr = medians[biz.cat[b]]
        weighted = max(ex["weighted"][b], 1e-9)
        x = biz.mult[b] * med_br * ex["reach"][b] / weighted
        y = biz.mult[b] * med_rr / 1000 * ex["delivered"][b] / weighted
        w = _CONV_WEIGHT if k == CONV else _WEIGHT.get(k, 0.0)
        S["p_report"][s] = min(0.5, y * w)
        S["p_block"][s] = min(0.9, max(x * w, 0.5 * S["p_report"][s]))
