"""The businesses of the world plan: archetype, country, category, size, age, active window, volume
and behaviour rates, each drawn per business from the plan's generator in a fixed order; and the
coordinated rings (members, shared template family, shared target list)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from etl.contract import BUSINESS_CATEGORIES
from etl.synth.abuse import Abuse
from etl.synth.archetypes import (
    ARCHETYPE_SHARE,
    BLATANT,
    CATEGORY_SHARE,
    ELECTION,
    ELECTION_COVER_CATEGORIES,
    GROWING,
    LARGE,
    LARGE_CATEGORIES,
    MIN_COUNT,
    NEW,
    NORMAL,
    PROMO_CATEGORIES,
    RING,
    SCAMMER,
    SEASONAL,
    SPAM_CATEGORIES,
    SPAMMER,
    SUBTLE,
    TAKEOVER,
    TRANSACTIONAL,
    TRANSACTIONAL_CATEGORIES,
)
from etl.synth.codes import DAY
from etl.synth.content import FAM_ELECTION, FAM_SCAM, FAM_SPAM, N_RING_THEMES, N_STATIC_FAMILIES
from etl.synth.geography import N_COUNTRIES, USER_W, country_choice

# cold senders that draw strangers from their country (their volume is capped by its users)
COLD_SENDERS = (SPAMMER, SCAMMER, ELECTION, SUBTLE, RING, TAKEOVER)
_ASSIGN_ORDER = (SPAMMER, SCAMMER, ELECTION, LARGE, NEW, SUBTLE, TAKEOVER, SEASONAL, GROWING, TRANSACTIONAL)
_LARGER_MARKETS = np.where(USER_W >= 1.5, USER_W, 0.0)  # where rings and seasonal promos work
_LARGEST_MARKETS = np.where(USER_W >= 3.5, USER_W, 0.0)  # where the planted banks and airlines are


@dataclass
class Ring:
    """A coordinated ring: its members (business indices), campaign window (hours of the period),
    template family (theme and code), each member's number in the near-identical texts, and the
    shared target list: list_n users of the country at pool positions (off + j * stride) % pool."""

    members: np.ndarray
    country: int
    category: str
    a: float
    e: float
    code: str
    theme: int
    numbers: list[int]
    list_off: int
    list_stride: int
    list_q: np.ndarray  # per member: share of its recipients the list should make up
    list_n: int = 0  # fixed with the volumes (streams)


@dataclass
class Businesses:
    """Per business (index 0..n-1): what it is and how it behaves. Times of `created` are seconds
    from the period start; windows are hours of the period."""

    n: int
    arch: np.ndarray
    country: np.ndarray
    cat: list[str]
    family: np.ndarray  # content family: its category, or spammer / scammer / election / ring member
    employees: np.ndarray
    verified: np.ndarray
    created: np.ndarray
    win_a: np.ndarray  # active from creation (or the period start) to the end; a ring: its campaign
    win_e: np.ndarray
    bad_a: np.ndarray  # the archetype's window: bad actors' campaign, election burst, takeover's
    bad_e: np.ndarray  # scam blasts, seasonal promo week
    weight: np.ndarray  # relative volume
    new_msgs: np.ndarray  # fixed volume of new businesses
    cold_share: np.ndarray  # share of marketing sent cold by normal businesses
    fb_mult: np.ndarray  # feedback rate multiplier
    fail: np.ndarray
    phi: np.ndarray  # share of foreign customer slots
    late: np.ndarray  # share of answers given after 24 h
    answer: np.ndarray  # share of customer conversations answered
    mult: np.ndarray  # subtle spammers and ring members: their rates vs the category's median
    boost: np.ndarray  # seasonal promo: the promo week's marketing vs a usual week
    blast: np.ndarray  # takeover: the blast days' cold volume vs its usual daily volume
    growth: np.ndarray  # growing business: log of its volume growth over its window
    ring: np.ndarray  # ring index of a member, else -1
    rings: list[Ring] = field(default_factory=list)


def plan_businesses(
    rng: np.random.Generator, n_b: int, days: int, n_messages: int, pool_n: np.ndarray, primes: np.ndarray, abuse: Abuse
) -> Businesses:
    arch, groups = _archetypes(rng, n_b, abuse)
    country, cat, family = _countries_and_categories(rng, arch)
    rings = _plan_rings(rng, groups, days, primes, abuse)
    for r in rings:  # members share the ring's country and category; each has its own family
        country[r.members] = r.country
        for b in r.members:
            cat[b] = r.category
    ring_of = np.full(n_b, -1, dtype=np.int64)
    next_family = N_STATIC_FAMILIES
    for i, r in enumerate(rings):
        ring_of[r.members] = i
        family[r.members] = next_family + np.arange(len(r.members))
        next_family += len(r.members)
    employees, verified = _size(rng, arch)
    created = _created(rng, arch, days * DAY, rings)
    win_a = np.maximum(created, 0) / 3600.0
    win_e = np.full(n_b, float(days * 24))
    bad_a, bad_e = _bad_windows(rng, arch, win_a, win_e, days, abuse)
    for r in rings:
        bad_a[r.members], bad_e[r.members] = r.a, r.e
        win_a[r.members], win_e[r.members] = r.a, r.e
    subtle = arch == SUBTLE
    win_a[subtle], win_e[subtle] = bad_a[subtle], bad_e[subtle]
    weight, new_msgs = _volumes(rng, arch, country, pool_n, n_messages)
    behaviour = _behaviour(rng, arch, cat)
    extras = _archetype_knobs(rng, arch, win_a, win_e, abuse)
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
        **extras,
        ring=ring_of,
        rings=rings,
    )


def archetype_counts(n_b: int, abuse: Abuse) -> dict[int, int]:
    """How many businesses each archetype (but the rings) gets: round(share x n), at least
    MIN_COUNT (else 1) once there are 50 businesses (none for a share of 0)."""
    share = {**ARCHETYPE_SHARE, SUBTLE: abuse.subtle_share, TAKEOVER: abuse.takeover_share}
    counts = {}
    for a in _ASSIGN_ORDER:
        k = int(round(share[a] * n_b))
        if n_b >= 50 and share[a] > 0:
            k = max(k, MIN_COUNT.get(a, 1))
        counts[a] = k
    return counts


def ring_count(rng: np.random.Generator, n_b: int, abuse: Abuse) -> int:
    """Abuse.rings, else 1-2 rings from 100 businesses, 1 from 50, none below (one draw)."""
    drawn = int(rng.integers(1, 3))
    if abuse.rings is not None:
        return abuse.rings
    return drawn if n_b >= 100 else (1 if n_b >= 50 else 0)


def _archetypes(rng: np.random.Generator, n_b: int, abuse: Abuse) -> tuple[np.ndarray, list[np.ndarray]]:
    """Archetype per business, and the rings' members (businesses left after the others)."""
    arch = np.full(n_b, NORMAL, dtype=np.int64)
    counts = archetype_counts(n_b, abuse)
    order = rng.permutation(n_b)
    pos = 0
    for a in _ASSIGN_ORDER:
        arch[order[pos : pos + counts[a]]] = a
        pos += counts[a]
    n_rings = ring_count(rng, n_b, abuse)
    lo, hi = abuse.ring_size
    sizes = rng.integers(lo, hi + 1, max(n_rings, 0))
    groups = []
    for size in sizes:
        size = min(int(size), n_b - pos)
        if size < 2:
            break
        groups.append(np.sort(order[pos : pos + size]))
        arch[order[pos : pos + size]] = RING
        pos += size
    return arch, groups


def _plan_rings(
    rng: np.random.Generator, groups: list[np.ndarray], days: int, primes: np.ndarray, abuse: Abuse
) -> list[Ring]:
    """Per ring: country, category, a 7-20 day campaign, template family, members' numbers, the
    shared list's permutation and each member's target share of list recipients."""
    rings = []
    codes: set[str] = set()
    letters = "abcdefghjkmnpqrstuvwxyz"
    for members in groups:
        country = int(rng.choice(N_COUNTRIES, p=_LARGER_MARKETS / _LARGER_MARKETS.sum()))
        category = SPAM_CATEGORIES[int(rng.integers(len(SPAM_CATEGORIES)))]
        length = min(int(rng.integers(7, 21)), days)
        d0 = int(rng.integers(0, days - length + 1))
        while True:
            code = "".join(letters[int(i)] for i in rng.integers(0, len(letters), 3)) + str(int(rng.integers(2, 10)))
            if code not in codes:
                codes.add(code)
                break
        theme = int(rng.integers(N_RING_THEMES))
        numbers = [int(x) for x in rng.choice(np.arange(1000, 10000), size=len(members), replace=False)]
        list_off = int(rng.integers(0, 1 << 40))
        list_stride = int(primes[rng.integers(0, len(primes))])
        q = rng.uniform(*abuse.ring_overlap, len(members))
        rings.append(
            Ring(
                members=members,
                country=country,
                category=category,
                a=d0 * 24.0,
                e=(d0 + length) * 24.0,
                code=code,
                theme=theme,
                numbers=numbers,
                list_off=list_off,
                list_stride=list_stride,
                list_q=q,
            )
        )
    return rings


def _countries_and_categories(rng: np.random.Generator, arch: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray]:
    n_b = len(arch)
    b_country = country_choice(rng, n_b, power=0.7)
    b_country = np.where(arch == LARGE, country_choice(rng, n_b, power=1.2), b_country)
    largest = rng.choice(N_COUNTRIES, size=n_b, p=_LARGEST_MARKETS / _LARGEST_MARKETS.sum())
    b_country = np.where(arch == TRANSACTIONAL, largest, b_country)
    # bad actors and the look-alikes sized like a median business or more: markets by their users
    by_users = np.isin(arch, (*BLATANT, SUBTLE, TAKEOVER, GROWING))
    b_country = np.where(by_users, country_choice(rng, n_b, power=1.0), b_country)
    larger = rng.choice(N_COUNTRIES, size=n_b, p=_LARGER_MARKETS / _LARGER_MARKETS.sum())
    b_country = np.where(arch == SEASONAL, larger, b_country)
    cat_names = list(CATEGORY_SHARE)
    cat_p = np.array(list(CATEGORY_SHARE.values()))
    b_cat = [cat_names[i] for i in rng.choice(len(cat_names), size=n_b, p=cat_p / cat_p.sum())]
    pick = {
        SPAMMER: SPAM_CATEGORIES,
        SUBTLE: SPAM_CATEGORIES,
        LARGE: LARGE_CATEGORIES,
        SEASONAL: PROMO_CATEGORIES,
        TRANSACTIONAL: TRANSACTIONAL_CATEGORIES,
    }
    elections = 0
    for i in range(n_b):
        a = int(arch[i])
        if a in pick:
            b_cat[i] = pick[a][int(rng.integers(len(pick[a])))]
        elif a == SCAMMER:
            b_cat[i] = "finance"
        elif a == ELECTION:
            # every third election spammer (the 2nd, 5th, ...) is filed under an ordinary category
            elections += 1
            b_cat[i] = ELECTION_COVER_CATEGORIES[int(rng.integers(3))] if elections % 3 == 2 else "politics"
        elif a in (TAKEOVER, GROWING) and b_cat[i] in ("politics", "government"):
            b_cat[i] = "services"
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
    employees = np.where(np.isin(arch, (SPAMMER, SCAMMER, NEW, RING)), rng.integers(1, 15, n_b), employees)
    employees = np.where(arch == ELECTION, rng.integers(5, 300, n_b), employees)
    employees = np.where(arch == SUBTLE, rng.integers(2, 40, n_b), employees)
    employees = np.where(arch == GROWING, rng.integers(2, 30, n_b), employees)
    employees = np.where(arch == TRANSACTIONAL, rng.integers(500, 20_000, n_b), employees)
    p_ver = np.clip(0.03 + 0.14 * np.log10(employees), 0.02, 0.8)
    p_ver = np.select(
        [
            arch == LARGE,
            arch == SPAMMER,
            arch == SCAMMER,
            arch == NEW,
            arch == ELECTION,
            arch == RING,
            arch == SUBTLE,
            arch == TRANSACTIONAL,
        ],
        [1.0, 0.08, 0.0, 0.05, 0.3, 0.0, 0.1, 0.9],
        p_ver,
    )
    verified = rng.random(n_b) < p_ver
    return employees, verified


def _created(rng: np.random.Generator, arch: np.ndarray, period: int, rings: list[Ring]) -> np.ndarray:
    """created_at in seconds relative to the period start."""
    n_b = len(arch)
    created = -rng.integers(20 * DAY, 8 * 365 * DAY, n_b)
    during = (arch == NORMAL) & (rng.random(n_b) < 0.03)
    created = np.where(during, rng.integers(0, max(1, period // 2), n_b), created)
    recent = -rng.integers(DAY, 40 * DAY, n_b)
    created = np.where(np.isin(arch, (SPAMMER, SCAMMER)) & (rng.random(n_b) < 0.5), recent, created)
    # subtle spammers: half a few weeks to a year old; takeovers and transactional senders: years
    settled = -rng.integers(20 * DAY, 365 * DAY, n_b)
    created = np.where((arch == SUBTLE) & (rng.random(n_b) < 0.5), settled, created)
    old = -rng.integers(2 * 365 * DAY, 8 * 365 * DAY, n_b)
    created = np.where(np.isin(arch, (TAKEOVER, TRANSACTIONAL)), old, created)
    created = np.where(arch == GROWING, rng.integers(0, max(1, period // 2), n_b), created)
    new_lo = max(0, period - int(6 * DAY))
    new_hi = max(new_lo + 1, period - int(1.5 * DAY))
    if new_lo >= new_hi - 3600:
        new_lo, new_hi = int(period * 0.5), int(period * 0.8)
    created = np.where(arch == NEW, rng.integers(new_lo, new_hi, n_b), created)
    # ring members: within 3 days of each other, 4-40 days before their campaign (or the period)
    for r in rings:
        base = int(rng.integers(-40 * DAY, int(r.a * 3600) - 4 * DAY))
        created[r.members] = base + rng.integers(0, 3 * DAY, len(r.members))
    return created


def _bad_windows(
    rng: np.random.Generator, arch: np.ndarray, win_a: np.ndarray, win_e: np.ndarray, days: int, abuse: Abuse
) -> tuple[np.ndarray, np.ndarray]:
    """The archetype's own window: often part of the period for spammers and scammers, a burst of
    days for election spammers, most of the period for subtle spammers, the last days for
    takeovers, one week for a seasonal promo."""
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
    for i in np.flatnonzero(arch == SUBTLE):
        # 60% the whole period (from creation), else 70-95% of it
        share = rng.uniform(0.7, 0.95)
        if rng.random() >= 0.6 and days >= 4:
            length = max(1, int(round(share * days)))
            d0 = int(rng.integers(0, days - length + 1))
            bad_window_a[i] = max(d0 * 24.0, win_a[i])
            bad_window_e[i] = max((d0 + length) * 24.0, bad_window_a[i] + 24.0)
    lo, hi = abuse.takeover_days
    for i in np.flatnonzero(arch == TAKEOVER):
        length = min(int(rng.integers(lo, hi + 1)), max(1, days // 2))
        bad_window_a[i] = (days - length) * 24.0
    for i in np.flatnonzero(arch == SEASONAL):
        length = min(7, days)
        first = min(days // 3, days - length)
        d0 = int(rng.integers(first, days - length + 1))
        bad_window_a[i] = max(d0 * 24.0, win_a[i])
        bad_window_e[i] = (d0 + length) * 24.0
    return bad_window_a, np.minimum(bad_window_e, float(days * 24))


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
    if normal.any():
        country_w = np.bincount(b_country[normal], weights=w[normal], minlength=N_COUNTRIES)
        user_share = USER_W / USER_W[country_w > 0].sum()
        scale = np.where(country_w > 0, user_share / np.maximum(country_w / w[normal].sum(), 1e-12), 1)
        w = w * scale[b_country]
    normal_w = w[arch == NORMAL]
    med = float(np.median(normal_w)) if len(normal_w) else 1.0
    top = float(normal_w.max()) if len(normal_w) else 1.0
    w = np.where(arch == LARGE, top * rng.uniform(1.1, 1.5, n_b), w)
    w = np.where(arch == SPAMMER, med * rng.lognormal(np.log(2.5), 0.7, n_b), w)
    # scammers: low volume, high harm
    w = np.where(arch == SCAMMER, med * np.minimum(rng.lognormal(np.log(0.5), 0.35, n_b), 0.9), w)
    w = np.where(arch == ELECTION, med * rng.lognormal(np.log(3.5), 0.5, n_b), w)
    w = np.where(arch == SUBTLE, med * np.clip(rng.lognormal(0.0, 0.35, n_b), 0.6, 2.0), w)
    w = np.where(arch == RING, med * rng.uniform(0.3, 0.8, n_b), w)
    w = np.where(arch == TAKEOVER, np.clip(w, 0.7 * med, 4 * med), w)
    w = np.where(arch == SEASONAL, np.clip(w, med, 4 * med), w)
    w = np.where(arch == GROWING, med * rng.lognormal(np.log(1.2), 0.4, n_b), w)
    w = np.where(arch == TRANSACTIONAL, med * rng.uniform(3.0, 8.0, n_b), w)
    new_msgs = np.where(arch == NEW, np.minimum(rng.integers(90, 200, n_b), 0.004 * n_messages), 0.0)
    w = np.where(arch == NEW, 0.0, w)
    # cold senders draw strangers from their country: keep them from flooding a small one; the
    # planted warm senders keep their customers and app users within (half) its users
    bad = np.isin(arch, COLD_SENDERS)
    cap = np.select([bad, arch == TRANSACTIONAL, np.isin(arch, (SEASONAL, GROWING))], [1.2, 1.0, 0.5], np.inf)
    share_cap = cap * pool_n[b_country] / max(n_messages, 1)
    w_share = w / w.sum()
    w = np.where(w_share > share_cap, share_cap * w.sum(), w)
    return w, new_msgs


def _behaviour(rng: np.random.Generator, arch: np.ndarray, b_cat: list[str]) -> dict[str, np.ndarray]:
    """Cold marketing, feedback, failure, foreign-customer, late-answer and answer rates."""
    n_b = len(arch)
    elevated = (arch == NORMAL) & (rng.random(n_b) < 0.07)  # noisy but legitimate
    cold_some = (arch == NORMAL) & ~elevated & (rng.random(n_b) < 0.3)
    cold_share = np.where(
        elevated, rng.uniform(0.15, 0.35, n_b), np.where(cold_some, rng.uniform(0.02, 0.08, n_b), 0.0)
    )
    fb_mult = np.clip(rng.lognormal(0.0, 0.4, n_b), 0.4, 2.0)
    fb_mult = np.where(elevated, np.minimum(fb_mult * rng.uniform(2.0, 3.5, n_b), 4.0), fb_mult)
    fb_mult = np.where(arch == LARGE, 0.5 * rng.uniform(0.8, 1.2, n_b), fb_mult)
    fb_mult = np.where(arch == TRANSACTIONAL, np.minimum(fb_mult, 1.2), fb_mult)

    b_fail = np.select(
        [arch == SPAMMER, arch == SCAMMER, arch == SUBTLE, arch == RING],
        [
            rng.uniform(0.04, 0.1, n_b),
            rng.uniform(0.05, 0.12, n_b),
            rng.uniform(0.02, 0.05, n_b),
            rng.uniform(0.03, 0.08, n_b),
        ],
        rng.uniform(0.01, 0.03, n_b),
    )
    b_phi = rng.beta(1.2, 20, n_b)
    b_phi = np.where(np.array([c == "travel" for c in b_cat]), np.minimum(0.6, b_phi * 3), b_phi)
    b_phi = np.where(arch == RING, 0.0, b_phi)
    b_late = np.where(elevated, rng.uniform(0.02, 0.05, n_b), np.exp(rng.uniform(np.log(0.002), np.log(0.01), n_b)))
    b_late = np.select(
        [arch == SPAMMER, arch == SCAMMER, arch == LARGE, arch == SUBTLE, arch == RING],
        [
            rng.uniform(0.03, 0.08, n_b),
            rng.uniform(0.05, 0.12, n_b),
            np.full(n_b, 0.002),
            rng.uniform(0.01, 0.04, n_b),
            rng.uniform(0.05, 0.12, n_b),
        ],
        b_late,
    )
    b_answer = np.select(
        [arch == SPAMMER, arch == SCAMMER, arch == SUBTLE, arch == RING],
        [np.full(n_b, 0.4), np.full(n_b, 0.8), np.full(n_b, 0.7), np.full(n_b, 0.3)],
        rng.uniform(0.9, 0.98, n_b),
    )
    return {
        "cold_share": cold_share,
        "fb_mult": fb_mult,
        "fail": b_fail,
        "phi": b_phi,
        "late": b_late,
        "answer": b_answer,
    }


def _archetype_knobs(
    rng: np.random.Generator, arch: np.ndarray, win_a: np.ndarray, win_e: np.ndarray, abuse: Abuse
) -> dict[str, np.ndarray]:
    """The knob-driven draws: rate multipliers, promo boosts, takeover blasts, growth."""
    n_b = len(arch)
    mult = np.select(
        [arch == SUBTLE, arch == RING], [rng.uniform(*abuse.subtle_mult, n_b), rng.uniform(*abuse.ring_range, n_b)], 0.0
    )
    boost = np.where(arch == SEASONAL, rng.uniform(*abuse.promo_boost, n_b), 0.0)
    blast = np.where(arch == TAKEOVER, rng.uniform(4.0, 10.0, n_b), 0.0)
    weeks = np.maximum(win_e - win_a, 1.0) / 168.0
    growth = np.where(arch == GROWING, math.log(abuse.growth_per_week) * weeks, 0.0)
    return {"mult": mult, "boost": boost, "blast": blast, "growth": growth}
