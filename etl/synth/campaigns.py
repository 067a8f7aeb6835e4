"""The Status ad campaigns of the world plan: advertisers, schedule, target countries, reach and
budget. Planned before the message volumes are fixed: the replies to ads become conversations.
Every draw comes from the campaigns' own generator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from etl.contract import AD_OBJECTIVES
from etl.synth.archetypes import LARGE, NORMAL, SEASONAL, TAKEOVER, TRANSACTIONAL
from etl.synth.businesses import Businesses
from etl.synth.draws import make_rng
from etl.synth.geography import CPM, ActivityCurves, country_choice, lam


@dataclass
class Campaigns:
    """Per campaign: its business, days (from the period's first day), targets and reach."""

    n: int
    b: np.ndarray
    start_day: np.ndarray
    end_day: np.ndarray  # inclusive
    objective: np.ndarray
    countries: list[list[int]]  # the advertiser's country first
    imps: np.ndarray  # expected impressions
    reach: np.ndarray  # audience slots
    ctr: np.ndarray
    rr: np.ndarray  # replies per click
    factor: np.ndarray  # price factor
    cpc: np.ndarray
    off: np.ndarray  # audience slot permutation
    stride: np.ndarray
    budget: np.ndarray
    ad_conv_units: float  # expected conversations opened by replies
    # in hours of the period, with the rhythm of the first target country
    c: np.ndarray
    a: np.ndarray
    e: np.ndarray
    La: np.ndarray
    Le: np.ndarray
    cflat: np.ndarray  # cumulative country weights + campaign index, flattened
    cidx: np.ndarray  # country per flattened entry


def plan_campaigns(
    seed: int,
    biz: Businesses,
    pool_n: np.ndarray,
    days: int,
    n_messages: int,
    primes: np.ndarray,
    curves: ActivityCurves,
) -> Campaigns:
    arng = make_rng(seed, "campaigns")
    camp_b = _campaign_businesses(arng, biz)
    n_camp = len(camp_b)
    camp_len = np.minimum(arng.integers(3, 22, n_camp), days)
    camp_sd = np.array([int(arng.integers(0, days - ln + 1)) for ln in camp_len], dtype=np.int64)
    camp_ed = camp_sd + camp_len - 1
    objective = arng.choice(len(AD_OBJECTIVES), size=n_camp, p=[0.35, 0.25, 0.40])
    camp_countries, camp_cw = _targets(arng, camp_b, biz.country)
    camp_share = arng.lognormal(0.0, 0.8, n_camp) * camp_len
    ad_events_total = 0.15 * n_messages
    camp_ctr = arng.uniform(0.01, 0.03, n_camp)
    camp_rr = np.select(
        [objective == 2, objective == 1],
        [arng.uniform(0.25, 0.45, n_camp), arng.uniform(0.02, 0.05, n_camp)],
        arng.uniform(0.03, 0.08, n_camp),
    )
    per_imp = 1 + camp_ctr * (1 + camp_rr)
    # campaigns in small countries run out of people: at most ~4 impressions per targeted user
    audience = np.array([pool_n[cs].sum() for cs in camp_countries], dtype=float)
    camp_imps = (
        np.minimum((ad_events_total * camp_share / max(camp_share.sum(), 1e-9)) / per_imp, 4.0 * audience)
        if n_camp
        else np.zeros(0)
    )
    freq_x = arng.uniform(1.0, 3.8, n_camp)
    camp_R = np.maximum(1, np.round(camp_imps / freq_x)).astype(np.int64)
    camp_factor = arng.lognormal(0.0, 0.3, n_camp)
    camp_cpc = np.where(objective == 1, arng.uniform(0.01, 0.04, n_camp) * camp_factor, 0.0)
    camp_off = arng.integers(0, 1 << 40, n_camp)
    camp_stride = primes[arng.integers(0, len(primes), n_camp)]
    mean_cpm = np.array([np.dot(CPM[cs], cw) for cs, cw in zip(camp_countries, camp_cw)]) if n_camp else np.zeros(0)
    budget = np.round(
        camp_imps * mean_cpm * camp_factor / 1000 * arng.uniform(1.05, 1.5, n_camp) + camp_imps * camp_ctr * camp_cpc, 2
    )
    camp_c = np.array([cs[0] for cs in camp_countries], dtype=np.int64)
    camp_a = camp_sd * 24.0
    camp_e = (camp_ed + 1) * 24.0
    cflat, cidx = _country_table(camp_countries, camp_cw)
    return Campaigns(
        n=n_camp,
        b=camp_b,
        start_day=camp_sd,
        end_day=camp_ed,
        objective=objective,
        countries=camp_countries,
        imps=camp_imps,
        reach=camp_R,
        ctr=camp_ctr,
        rr=camp_rr,
        factor=camp_factor,
        cpc=camp_cpc,
        off=camp_off,
        stride=camp_stride,
        budget=np.maximum(budget, 1.0),
        ad_conv_units=float(np.sum(camp_imps * camp_ctr * camp_rr)),
        c=camp_c,
        a=camp_a,
        e=camp_e,
        La=lam(curves, camp_c, camp_a) if n_camp else np.zeros(0),
        Le=lam(curves, camp_c, camp_e) if n_camp else np.zeros(0),
        cflat=cflat,
        cidx=cidx,
    )


def _campaign_businesses(arng: np.random.Generator, biz: Businesses) -> np.ndarray:
    """About a tenth of the established legitimate businesses (normal, large, seasonal promos,
    transactional senders, and the good accounts later taken over) advertise, 1-3 campaigns each."""
    eligible = np.flatnonzero(np.isin(biz.arch, (NORMAL, LARGE, SEASONAL, TRANSACTIONAL, TAKEOVER)) & (biz.created < 0))
    n_adv = min(len(eligible), max(1 if biz.n >= 10 else 0, int(round(0.1 * biz.n))))
    adv_p = biz.weight[eligible] ** 0.3
    advertisers = (
        np.sort(arng.choice(eligible, size=n_adv, replace=False, p=adv_p / adv_p.sum()))
        if n_adv
        else np.array([], dtype=np.int64)
    )
    camp_rows = []
    for b in advertisers:
        for _ in range(int(arng.integers(1, 4))):
            camp_rows.append(int(b))
    return np.array(camp_rows, dtype=np.int64)


def _targets(
    arng: np.random.Generator, camp_b: np.ndarray, b_country: np.ndarray
) -> tuple[list[list[int]], list[np.ndarray]]:
    """Per campaign, its countries (the advertiser's own first, up to two more) and their weights."""
    camp_countries: list[list[int]] = []
    camp_cw: list[np.ndarray] = []
    for i in range(len(camp_b)):
        own = int(b_country[camp_b[i]])
        extra = [int(c) for c in country_choice(arng, int(arng.integers(0, 3))) if c != own]
        cs = [own] + sorted(set(extra))
        camp_countries.append(cs)
        cw = np.array([1.0] + [0.3] * (len(cs) - 1))
        camp_cw.append(cw / cw.sum())
    return camp_countries, camp_cw


def _country_table(camp_countries: list[list[int]], camp_cw: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Campaign country draws: cumulative weights shifted by the campaign index, flattened, so
    that one searchsorted of (campaign + uniform) picks a country for any campaign."""
    n_camp = len(camp_countries)
    cflat = np.concatenate([np.cumsum(cw) + i for i, cw in enumerate(camp_cw)]) if n_camp else np.zeros(0)
    if n_camp:
        ends = np.cumsum([len(cs) for cs in camp_countries]) - 1
        cflat[ends] = np.arange(n_camp) + 1.0  # exact upper ends despite rounding
    cidx = np.array([c for cs in camp_countries for c in cs], dtype=np.int64)
    return cflat, cidx
