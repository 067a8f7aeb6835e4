"""The businesses of the world plan: archetype, country, category, size, age, active window, volume
and behaviour rates, each drawn per business from the plan's generator in a fixed order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from etl.contract import BUSINESS_CATEGORIES
from etl.synth.archetypes import (
    ARCHETYPE_SHARE,
    CATEGORY_SHARE,
    ELECTION,
    LARGE,
    LARGE_CATEGORIES,
    NEW,
    NORMAL,
    SCAMMER,
    SPAM_CATEGORIES,
    SPAMMER,
)
from etl.synth.codes import DAY
from etl.synth.content import FAM_ELECTION, FAM_SCAM, FAM_SPAM
from etl.synth.geography import N_COUNTRIES, USER_W, country_choice


@dataclass
class Businesses:
    """Per business (index 0..n-1): what it is and how it behaves. Times of `created` are seconds
    from the period start; windows are hours of the period."""

    n: int
    arch: np.ndarray
    country: np.ndarray
    cat: list[str]
    family: np.ndarray  # content family: its category, or spammer / scammer / election
    employees: np.ndarray
    verified: np.ndarray
    created: np.ndarray
    win_a: np.ndarray  # active from creation (or the period start) to the end
    win_e: np.ndarray
    bad_a: np.ndarray  # the bad actors' campaign window
    bad_e: np.ndarray
    weight: np.ndarray  # relative volume
    new_msgs: np.ndarray  # fixed volume of new businesses
    cold_share: np.ndarray  # share of marketing sent cold by normal businesses
    fb_mult: np.ndarray  # feedback rate multiplier
    fail: np.ndarray
    phi: np.ndarray  # share of foreign customer slots
    late: np.ndarray  # share of answers given after 24 h
    answer: np.ndarray  # share of customer conversations answered


def plan_businesses(rng: np.random.Generator, n_b: int, days: int, n_messages: int, pool_n: np.ndarray) -> Businesses:
    arch = _archetypes(rng, n_b)
    country, cat, family = _countries_and_categories(rng, arch)
    employees, verified = _size(rng, arch)
    created = _created(rng, arch, days * DAY)
    win_a = np.maximum(created, 0) / 3600.0
    win_e = np.full(n_b, float(days * 24))
    bad_a, bad_e = _bad_windows(rng, arch, win_a, win_e, days)
    weight, new_msgs = _volumes(rng, arch, country, pool_n, n_messages)
    behaviour = _behaviour(rng, arch, cat)
    return Businesses(
        n=n_b,
        arch=arch,
        country=country,
        cat=cat,
        family=family,
        employees=employees,
        verified=verified,
        created=created,
        win_a=win_a,
        win_e=win_e,
        bad_a=bad_a,
        bad_e=bad_e,
        weight=weight,
        new_msgs=new_msgs,
        **behaviour,
    )


def _archetypes(rng: np.random.Generator, n_b: int) -> np.ndarray:
    arch = np.full(n_b, NORMAL, dtype=np.int64)
    counts = {}
    for a, share in ARCHETYPE_SHARE.items():
        k = int(round(share * n_b))
        if n_b >= 50:
            k = max(k, 1)
        counts[a] = k
    order = rng.permutation(n_b)
    pos = 0
    for a in (SPAMMER, SCAMMER, ELECTION, LARGE, NEW):
        arch[order[pos : pos + counts[a]]] = a
        pos += counts[a]
    return arch


def _countries_and_categories(rng: np.random.Generator, arch: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray]:
    n_b = len(arch)
    b_country = country_choice(rng, n_b, power=0.7)
    b_country = np.where(arch == LARGE, country_choice(rng, n_b, power=1.2), b_country)
    bad = np.isin(arch, (SPAMMER, SCAMMER, ELECTION))
    b_country = np.where(bad, country_choice(rng, n_b, power=1.0), b_country)
    cat_names = list(CATEGORY_SHARE)
    cat_p = np.array(list(CATEGORY_SHARE.values()))
    b_cat = [cat_names[i] for i in rng.choice(len(cat_names), size=n_b, p=cat_p / cat_p.sum())]
    for i in range(n_b):
        if arch[i] == SPAMMER:
            b_cat[i] = SPAM_CATEGORIES[int(rng.integers(len(SPAM_CATEGORIES)))]
        elif arch[i] == SCAMMER:
            b_cat[i] = "finance"
        elif arch[i] == ELECTION:
            b_cat[i] = "politics"
        elif arch[i] == LARGE:
            b_cat[i] = LARGE_CATEGORIES[int(rng.integers(len(LARGE_CATEGORIES)))]
    cat_idx = np.array([BUSINESS_CATEGORIES.index(c) for c in b_cat])
    family = cat_idx.copy()
    family[arch == SPAMMER] = FAM_SPAM
    family[arch == SCAMMER] = FAM_SCAM
    family[arch == ELECTION] = FAM_ELECTION
    return b_country, b_cat, family


def _size(rng: np.random.Generator, arch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Employees and the verified badge (likelier the larger the business)."""
    n_b = len(arch)
    employees = np.clip(np.round(rng.lognormal(np.log(12), 1.6, n_b)), 1, 250_000).astype(np.int64)
    employees = np.where(arch == LARGE, rng.integers(2_000, 80_000, n_b), employees)
    employees = np.where(np.isin(arch, (SPAMMER, SCAMMER, NEW)), rng.integers(1, 15, n_b), employees)
    employees = np.where(arch == ELECTION, rng.integers(5, 300, n_b), employees)
    p_ver = np.clip(0.03 + 0.14 * np.log10(employees), 0.02, 0.8)
    p_ver = np.select(
        [arch == LARGE, arch == SPAMMER, arch == SCAMMER, arch == NEW, arch == ELECTION],
        [1.0, 0.08, 0.0, 0.05, 0.3],
        p_ver,
    )
    verified = rng.random(n_b) < p_ver
    return employees, verified


def _created(rng: np.random.Generator, arch: np.ndarray, period: int) -> np.ndarray:
    """created_at in seconds relative to the period start."""
    n_b = len(arch)
    created = -rng.integers(20 * DAY, 8 * 365 * DAY, n_b)
    during = (arch == NORMAL) & (rng.random(n_b) < 0.03)
    created = np.where(during, rng.integers(0, max(1, period // 2), n_b), created)
    recent = -rng.integers(DAY, 40 * DAY, n_b)
    created = np.where(np.isin(arch, (SPAMMER, SCAMMER)) & (rng.random(n_b) < 0.5), recent, created)
    new_lo = max(0, period - int(6 * DAY))
    new_hi = max(new_lo + 1, period - int(1.5 * DAY))
    if new_lo >= new_hi - 3600:
        new_lo, new_hi = int(period * 0.5), int(period * 0.8)
    return np.where(arch == NEW, rng.integers(new_lo, new_hi, n_b), created)


def _bad_windows(
    rng: np.random.Generator, arch: np.ndarray, win_a: np.ndarray, win_e: np.ndarray, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """The window in which a bad actor sends: often part of the period; an election burst of days."""
    bad_window_a = win_a.copy()
    bad_window_e = win_e.copy()
    for i in np.flatnonzero(np.isin(arch, (SPAMMER, SCAMMER))):
        if rng.random() < (0.4 if arch[i] == SPAMMER else 0.7) and days > 12:
            length = int(rng.integers(10, min(40, days) + 1))
            d0 = int(rng.integers(0, days - length + 1))
            bad_window_a[i] = max(d0 * 24.0, win_a[i])
            bad_window_e[i] = (d0 + length) * 24.0
            if bad_window_e[i] - bad_window_a[i] < 24:
                bad_window_a[i] = win_a[i]
                bad_window_e[i] = win_e[i]
    for i in np.flatnonzero(arch == ELECTION):
        length = int(rng.integers(2, 6))
        length = min(length, days)
        d0 = int(rng.integers(0, days - length + 1))
        bad_window_a[i] = d0 * 24.0
        bad_window_e[i] = (d0 + length) * 24.0
    return bad_window_a, bad_window_e


def _volumes(
    rng: np.random.Generator, arch: np.ndarray, b_country: np.ndarray, pool_n: np.ndarray, n_messages: int
) -> tuple[np.ndarray, np.ndarray]:
    """Heavy-tailed weights, bad actors of varied size, large_legit above every normal business;
    new businesses get a fixed number of messages instead."""
    n_b = len(arch)
    w = rng.lognormal(0.0, 1.15, n_b)
    # a country's businesses together send about its share of users (the pools must hold their
    # customers); the heavy tail lives inside each country
    normal = arch == NORMAL
    country_w = np.bincount(b_country[normal], weights=w[normal], minlength=N_COUNTRIES)
    user_share = USER_W / USER_W[country_w > 0].sum()
    scale = np.where(country_w > 0, user_share / np.maximum(country_w / w[normal].sum(), 1e-12), 1)
    w = w * scale[b_country]
    normal_w = w[arch == NORMAL]
    med = float(np.median(normal_w)) if len(normal_w) else 1.0
    top = float(normal_w.max()) if len(normal_w) else 1.0
    w = np.where(arch == LARGE, top * rng.uniform(1.1, 1.5, n_b), w)
    w = np.where(arch == SPAMMER, med * rng.lognormal(np.log(2.5), 0.7, n_b), w)
    w = np.where(arch == SCAMMER, med * rng.lognormal(np.log(2.0), 0.7, n_b), w)
    w = np.where(arch == ELECTION, med * rng.lognormal(np.log(3.5), 0.5, n_b), w)
    new_msgs = np.where(arch == NEW, np.minimum(rng.integers(90, 200, n_b), 0.004 * n_messages), 0.0)
    w = np.where(arch == NEW, 0.0, w)
    # cold senders draw strangers from their country: keep them from flooding a small one
    bad = np.isin(arch, (SPAMMER, SCAMMER, ELECTION))
    share_cap = 1.2 * pool_n[b_country] / max(n_messages, 1)
    w_share = w / w.sum()
    w = np.where(bad & (w_share > share_cap), share_cap * w.sum(), w)
    return w, new_msgs


def _behaviour(rng: np.random.Generator, arch: np.ndarray, b_cat: list[str]) -> dict[str, np.ndarray]:
    """Cold marketing, feedback, failure, foreign-customer, late-answer and answer rates."""
    n_b = len(arch)
    elevated = (arch == NORMAL) & (rng.random(n_b) < 0.07)  # noisy but legitimate
    cold_some = (arch == NORMAL) & ~elevated & (rng.random(n_b) < 0.2)
    cold_share = np.where(
        elevated, rng.uniform(0.15, 0.35, n_b), np.where(cold_some, rng.uniform(0.02, 0.08, n_b), 0.0)
    )
    fb_mult = np.clip(rng.lognormal(0.0, 0.4, n_b), 0.4, 2.0)
    fb_mult = np.where(elevated, np.minimum(fb_mult * rng.uniform(2.0, 3.5, n_b), 4.0), fb_mult)
    fb_mult = np.where(arch == LARGE, 0.5 * rng.uniform(0.8, 1.2, n_b), fb_mult)

    b_fail = np.select(
        [arch == SPAMMER, arch == SCAMMER],
        [rng.uniform(0.04, 0.1, n_b), rng.uniform(0.05, 0.12, n_b)],
        rng.uniform(0.01, 0.03, n_b),
    )
    b_phi = rng.beta(1.2, 20, n_b)
    b_phi = np.where(np.array([c == "travel" for c in b_cat]), np.minimum(0.6, b_phi * 3), b_phi)
    b_late = np.where(elevated, rng.uniform(0.02, 0.05, n_b), np.exp(rng.uniform(np.log(0.002), np.log(0.01), n_b)))
    b_late = np.select(
        [arch == SPAMMER, arch == SCAMMER, arch == LARGE],
        [rng.uniform(0.03, 0.08, n_b), rng.uniform(0.05, 0.12, n_b), np.full(n_b, 0.002)],
        b_late,
    )
    b_answer = np.select(
        [arch == SPAMMER, arch == SCAMMER], [np.full(n_b, 0.4), np.full(n_b, 0.8)], rng.uniform(0.9, 0.98, n_b)
    )
    return {
        "cold_share": cold_share,
        "fb_mult": fb_mult,
        "fail": b_fail,
        "phi": b_phi,
        "late": b_late,
        "answer": b_answer,
    }
