"""The world plan: everything that is O(users + businesses + campaigns), fixed before any slice.

A business's customers are slots j = 0..K-1 mapped to users by an affine permutation of its
country's user pool (`slot_users`); users are laid out by home country and a few move once.
`plan_world` draws, in this order: users (their own generator), businesses and then streams (the
plan's generator), campaigns (their own), and last the businesses' slot permutations (the plan's).
The rings' template families (`extra_families`) join the content tables (`build_content`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from etl.synth.abuse import Abuse
from etl.synth.archetypes import ARCHETYPES, NORMAL
from etl.synth.businesses import Businesses, plan_businesses
from etl.synth.campaigns import Campaigns, plan_campaigns
from etl.synth.codes import DAY
from etl.synth.columns import fixed_width, id_matrix
from etl.synth.content import ExtraFamily, ring_families
from etl.synth.dimensions import DimensionRows
from etl.synth.draws import alloc, big_primes, hash01, make_rng
from etl.synth.geography import N_COUNTRIES, USER_W, ActivityCurves, activity_curves, country_choice
from etl.synth.streams import plan_streams


@dataclass
class Plan(ActivityCurves):
    """What the slices need, as flat arrays for vectorised lookups (hours, cum and guide come from
    ActivityCurves, so that `lam` and `lam_inv` take the plan itself)."""

    days: int
    start: dt.date
    n_users: int
    # users
    home: np.ndarray  # home country per user
    moved_at: np.ndarray  # second of the period from which the user has new_country
    new_country: np.ndarray
    pool_start: np.ndarray  # users are laid out by home country
    pool_n: np.ndarray
    user_ids: np.ndarray  # (n_users, 10) uint8
    # businesses
    n_b: int
    b_ids: list[str]
    b_arch: np.ndarray
    b_country: np.ndarray
    b_family: np.ndarray
    b_fail: np.ndarray
    b_phi: np.ndarray  # share of foreign customer slots
    b_off: np.ndarray
    b_stride: np.ndarray
    b_off2: np.ndarray
    b_stride2: np.ndarray
    b_K: np.ndarray  # conversational customer slots
    b_conv: np.ndarray  # CONV stream of the business
    b_late: np.ndarray  # share of answers given after 24 h
    b_answer: np.ndarray  # share of customer conversations answered
    # streams
    s_kind: np.ndarray
    s_b: np.ndarray
    s_c: np.ndarray  # country whose rhythm the stream follows
    s_a: np.ndarray  # active window in hours [a, e)
    s_e: np.ndarray
    s_La: np.ndarray
    s_Le: np.ndarray
    s_units: np.ndarray  # expected units over the window (conversations or templates)
    s_cat_cum: np.ndarray  # (S, 4) cumulative category probabilities of template streams
    s_slots: np.ndarray  # slot range of SLOT streams: [slot0, slot0 + slots)
    s_slot0: np.ndarray
    s_target: np.ndarray  # COLD: target country
    s_psi: np.ndarray  # COLD: share of recipients drawn from all countries
    s_reply: np.ndarray  # probability a recipient answers a template
    s_reply_answer: np.ndarray  # probability the business answers that reply
    s_p_block: np.ndarray
    s_p_report: np.ndarray
    s_p_opt: np.ndarray
    s_profile: np.ndarray  # feedback reason profile
    s_reply_pool: np.ndarray  # 0 normal, 1 bad
    s_family: np.ndarray  # content family of the stream's templates
    s_ff: np.ndarray  # free-form outreach pool
    s_quad: np.ndarray  # WARM placed quadratically (grows with the customers so far)
    s_growth: np.ndarray  # log volume growth over the window (0: follows the activity curve)
    s_conv: np.ndarray  # the CONV stream of the stream's business
    s_list_off: np.ndarray  # COLD: a ring's shared list (list_n users), picked with share list_p
    s_list_stride: np.ndarray
    s_list_n: np.ndarray
    s_list_p: np.ndarray
    # campaigns
    campaigns: Campaigns
    # output rows of the dimensions
    b_cat: list[str]
    campaign_ids: list[str]
    n_truth: int
    dimensions: Callable[[], dict[str, pl.DataFrame]]
    extra_families: list[ExtraFamily]


@dataclass
class _Users:
    n: int
    pool_n: np.ndarray
    pool_start: np.ndarray
    home: np.ndarray
    user_ids: np.ndarray
    moved_at: np.ndarray
    new_country: np.ndarray


def plan_world(seed: int, n_b: int, days: int, n_messages: int, start: dt.date, abuse: Abuse | None = None) -> Plan:
    """The plan of a world of n_b businesses and about n_messages messages over days from start,
    with the abuse knobs (defaults when None)."""
    abuse = abuse or Abuse()
    rng = make_rng(seed, "plan")
    hours = days * 24
    epoch_start = int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp())
    primes = np.array(big_primes(), dtype=np.int64)
    users = _plan_users(seed, n_messages, days * DAY)
    curves = activity_curves(start, hours)
    biz = plan_businesses(rng, n_b, days, n_messages, users.pool_n, primes, abuse)
    camps = plan_campaigns(seed, biz, users.pool_n, days, n_messages, primes, curves)
    streams = plan_streams(rng, biz, n_messages, camps.ad_conv_units, users.pool_n)
    extra = [fam for r in biz.rings for fam in ring_families(r.code, r.theme, r.numbers)]

    width = max(5, len(str(n_b)))
    b_ids = [f"b{i + 1:0{width}d}" for i in range(n_b)]
    cwidth = max(5, len(str(camps.n)))
    campaign_ids = [f"c{i + 1:0{cwidth}d}" for i in range(camps.n)]
    truth_rows = [(b_ids[i], ARCHETYPES[biz.arch[i]]) for i in range(n_b) if biz.arch[i] != NORMAL]
    dims = DimensionRows(
        seed=seed,
        start=start,
        epoch_start=epoch_start,
        b_ids=b_ids,
        biz=biz,
        campaign_ids=campaign_ids,
        campaigns=camps,
        truth_rows=truth_rows,
    )
    business_fields = _business_fields(rng, biz, primes)
    return Plan(
        hours=hours,
        cum=curves.cum,
        guide=curves.guide,
        days=days,
        start=start,
        n_users=users.n,
        home=users.home,
        moved_at=users.moved_at,
        new_country=users.new_country,
        pool_start=users.pool_start,
        pool_n=users.pool_n.astype(np.int64),
        user_ids=users.user_ids,
        n_b=n_b,
        b_ids=b_ids,
        **business_fields,
        **streams.plan_fields(curves),
        campaigns=camps,
        b_cat=biz.cat,
        campaign_ids=campaign_ids,
        n_truth=len(truth_rows),
        dimensions=dims.frames,
        extra_families=extra,
    )


def _plan_users(seed: int, n_messages: int, period: int) -> _Users:
    """About one user per four messages, in pools by home country; 0.5% move once."""
    n_users = max(500, int(round(n_messages / 4)))
    pool_n = alloc(n_users, USER_W, 3)
    n_users = int(pool_n.sum())
    pool_start = np.concatenate([[0], np.cumsum(pool_n)[:-1]]).astype(np.int64)
    home = np.repeat(np.arange(N_COUNTRIES), pool_n).astype(np.int16)
    urng = make_rng(seed, "users")
    # opaque ids: an injective affine map of the index into 9 digits
    p_mod = 999_999_937
    mult = int(urng.integers(100_000_000, p_mod - 1))
    add = int(urng.integers(0, p_mod))
    perm = (np.arange(n_users, dtype=np.int64) * mult + add) % p_mod
    user_ids = id_matrix("u", perm, 9)
    n_movers = int(round(0.005 * n_users))
    movers = np.sort(urng.choice(n_users, size=n_movers, replace=False))
    moved_at = np.full(n_users, np.iinfo(np.int64).max, dtype=np.int64)
    moved_at[movers] = urng.integers(int(0.15 * period), int(0.85 * period), size=n_movers)
    new_country = home.copy()
    shift = urng.integers(1, N_COUNTRIES, size=n_movers)
    dest = country_choice(urng, n_movers)
    dest = np.where(dest == home[movers], (home[movers] + shift) % N_COUNTRIES, dest)
    new_country[movers] = dest
    return _Users(
        n=n_users,
        pool_n=pool_n,
        pool_start=pool_start,
        home=home,
        user_ids=user_ids,
        moved_at=moved_at,
        new_country=new_country,
    )


def _business_fields(rng: np.random.Generator, biz: Businesses, primes: np.ndarray) -> dict[str, np.ndarray]:
    """The businesses' columns of the plan; their slot permutations are the plan's last draws."""
    n_b = biz.n
    b_off = rng.integers(0, 1 << 40, n_b)
    b_stride = primes[rng.integers(0, len(primes), n_b)]
    b_off2 = rng.integers(0, 1 << 40, n_b)
    b_stride2 = primes[rng.integers(0, len(primes), n_b)]
    return dict(
        b_arch=biz.arch,
        b_country=biz.country.astype(np.int64),
        b_family=biz.family,
        b_fail=biz.fail,
        b_phi=biz.phi,
        b_off=b_off,
        b_stride=b_stride,
        b_off2=b_off2,
        b_stride2=b_stride2,
        b_late=biz.late,
        b_answer=biz.answer,
    )


def user_series(plan: Plan, u: np.ndarray, name: str = "user_id") -> pl.Series:
    return fixed_width(np.take(plan.user_ids, u, axis=0), name)


def user_country(plan: Plan, u: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.where(t >= plan.moved_at[u], plan.new_country[u], plan.home[u]).astype(np.int64)


def list_users(plan: Plan, s: np.ndarray, c: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The user at position j of stream s's ring list, among the users of country c."""
    return plan.pool_start[c] + (plan.s_list_off[s] + j * plan.s_list_stride[s]) % plan.pool_n[c]


def slot_users(plan: Plan, b: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The user behind customer slot j of business b: mostly its country's users, some foreign."""
    foreign = hash01(b, j, 0xF0F0) < plan.b_phi[b]
    c = plan.b_country[b]
    dom = plan.pool_start[c] + (plan.b_off[b] + j * plan.b_stride[b]) % plan.pool_n[c]
    glob = (plan.b_off2[b] + j * plan.b_stride2[b]) % plan.n_users
    return np.where(foreign, glob, dom)
