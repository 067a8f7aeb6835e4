"""The planted archetypes: what each does (`ARCHETYPE_RULES`), how many businesses each gets, the
business categories they write in and the reasons their recipients give when they report or block.

Bad actors range from blatant (spammer, scammer, election_spammer: rates ~10x their peers) to subtle
(subtle_spammer, coordinated_ring: 1.5-4x, only visible against their category or together) and
sudden (account_takeover: a good history, then days of scam blasts). Hard negatives look bad on one
signal and are not: the largest senders, seasonal promos, new and fast-growing businesses, banks and
airlines that message people who never wrote to them. `Abuse` (etl/synth/abuse.py) holds the knobs.
"""

from __future__ import annotations

import numpy as np

NORMAL, SPAMMER, SCAMMER, ELECTION, LARGE, NEW = range(6)
SUBTLE, RING, TAKEOVER, SEASONAL, GROWING, TRANSACTIONAL = range(6, 12)
ARCHETYPES = (
    "normal",
    "spammer",
    "scammer",
    "election_spammer",
    "large_legit",
    "new_business",
    "subtle_spammer",
    "coordinated_ring",
    "account_takeover",
    "seasonal_promo",
    "growing_business",
    "transactional_sender",
)
BAD_ARCHETYPES = ("spammer", "subtle_spammer", "coordinated_ring", "account_takeover", "election_spammer", "scammer")
HARD_NEGATIVES = ("large_legit", "seasonal_promo", "new_business", "growing_business", "transactional_sender")
BLATANT = (SPAMMER, SCAMMER, ELECTION)  # the bad actors whose rates are ~10x their peers
# share of businesses per planted archetype (subtle spammers and takeovers: `Abuse`), and the least
# count once there are 50 businesses; rings are planted per ring (`ring_count`), in this order last
ARCHETYPE_SHARE = {
    SPAMMER: 0.015,
    SCAMMER: 0.01,
    ELECTION: 0.01,
    LARGE: 0.01,
    NEW: 0.02,
    SUBTLE: 0.03,
    TAKEOVER: 0.015,
    SEASONAL: 0.02,
    GROWING: 0.01,
    TRANSACTIONAL: 0.01,
}
MIN_COUNT = {SUBTLE: 2}  # from 50 businesses; every other archetype at least 1
ARCHETYPE_RULES = """\
All rates are drawn per business; "per message" rates apply to outbound messages that did not
fail, and the business-level rates are what the metrics of docs/metrics.md measure over the period:
block rate = blocking users / reached users, report rate = reports per 1000 delivered outbound
messages. "Cold" means to users who had not written to the business before (in the logged period).

Counts: each archetype but the rings gets round(share x businesses), and once there are 50
businesses at least 1 (subtle spammers at least 2; none when a knob sets the share to 0). Shares: spammer 1.5%, subtle_spammer 3%
(Abuse.subtle_share), scammer 1%, election_spammer 1%, account_takeover 1.5% (Abuse.takeover_share),
large_legit 1%, new_business 2%, seasonal_promo 2%, growing_business 1%, transactional_sender 1%.
Rings: Abuse.rings, else 1-2 (uniform) from 100 businesses, 1 from 50, none below; each with
Abuse.ring_size (3-8, uniform) members (fewer when the businesses run out), every member a row of
truth.csv. Planted in this order: spammer, scammer, election_spammer, large_legit, new_business,
subtle_spammer, account_takeover, seasonal_promo, growing_business, transactional_sender, rings.
Normal businesses are not in truth.csv.

BAD
spammer: blatant. ~85% cold marketing templates to random users of its country (10% anywhere), 7%
  of them free-form (outside the CSW); 4-10% failed deliveries; answers only 15% of the replies it
  gets. Per message: block 6-14%, report 3-8% (mostly spam), opt-out 5-12%: block rate ~9-20% of
  reached users, ~30-60 reports per 1000 messages (10x+ normal). Active the whole period or a 10-40
  day window; half were created less than 40 days before the period. Category retail/other/
  services/technology/education/health; 8% verified; 1-14 employees; 2.5x the median volume.
subtle_spammer: cold marketing templates of its own category (spring_sale, seasonal_discount, ...;
  6% free-form promotional texts) to users of its country who never wrote to it (~85-90% of its
  outbound), utility templates to its few customers (8-18% of its volume), 10% conversations. Its
  per-message rates are solved from the plan (etl/synth/calibrate.py) so that its expected block
  rate and report rate are `mult` x those of the median normal business of its category, mult
  uniform in Abuse.subtle_mult (2-4x): ~0.5-2% of reached users blocked, ~0.4-1.2 reports per 1000
  (per cold message ~0.5-2% block: below the 1.5% of a normal business's few cold messages, whose
  business-level rate is low because most of its traffic is warm). Opt-outs 1.2% x mult of its
  marketing. Category retail/services/other/education/health/technology; volume 0.6-2x the median
  business; active the whole period (60%) or 70-95% of it; half created 20-365 days before the
  period, half older; 10% verified; 2-39 employees; answers 70% of conversations, 50% of replies.
coordinated_ring: rings of accounts created within 3 days of each other, between 40 days before
  the period and 4 days before the ring's campaign; same category (one of the spammer categories)
  and country (one with >= 1.5% of users); each member below the median volume
  (0.3-0.8x) and active only in the ring's 7-20 day campaign (conversations included). Every member
  sends the ring's own template family: `<theme>_<code>` (two marketing, one utility; themes prize,
  job, investment, parcel; code e.g. `kqz4`), 80% marketing / 20% utility, cold. Of each template
  one text is identical across the ring and one differs per member in a number only (the member's
  voucher, ticket, order or code number); links name the ring's domain. A share q of each member's
  cold messages (q uniform in Abuse.ring_overlap, 30-60%) goes to the ring's shared target list,
  which every member works through from the top (one message per list user and member), so two
  members share about q x the smaller one's recipients (pairwise ~20-50%); the rest goes to random
  users of the country. Per-member block and report rates: mult x the category's median normal
  business, mult uniform in Abuse.ring_mult (default 0.75 x subtle_mult: 1.5-3x): each looks
  mildly bad alone. Never verified; 1-14 employees; 3-8% failed deliveries.
account_takeover: an ordinary good business created 2-8 years before the period, with a normal
  business's warm traffic and rates all period (0.7-4x the median volume). In its last
  Abuse.takeover_days (5-10; at most half the period) days it also sends scam blasts: cold to strangers of its country, 4-10x
  its usual daily volume, 45% marketing templates (loyalty_reward_claim, exclusive_discount_pay),
  35% utility templates (payment_failed_update, account_security_check), 20% free-form, asking for
  payments, links and OTP codes; per blast message block 4-9%, report 3-7% (scam profile: 70%
  scam), opt-out 3-8%: ~30-70 reports per 1000 messages in those days against ~0.3 before.
election_spammer: 90% of its volume is a 2-5 day burst of political marketing templates to
  strangers of its own country only; per message block 4-10%, report 3-7% (55% political, 35%
  spam). A quiet trickle of warm conversations over the whole period otherwise. Category politics,
  except every third one (the 2nd, 5th, ... planted) filed under services, other or retail while it
  sends the same political texts. 3.5x the median volume.
scammer: category finance, never verified, low volume and high harm: ~0.5x the median volume (at
  most 0.9x). ~90% cold: marketing 45%, utility 35% (fake account and KYC alerts; cold but not
  counted as cold outreach, which is marketing only), free-form 20% (outside the CSW). Per message:
  block 5-12%, report 4-10% (70% scam). Engages with replies (70% answered). Usually active for a
  10-40 day window.

HARD NEGATIVES
large_legit: the largest senders (1.1-1.5x the largest normal business, a few % of all messages
  each), in large markets, verified, warm traffic only, no cold marketing, half the normal feedback
  rates (block ~0.15-0.35% of reached users) but the most blocks and reports in absolute numbers
  after the bad actors.
seasonal_promo: an ordinary retail, food or travel business (1-4x the median volume, in a market
  with >= 1.5% of users) with one
  promo week (starting in the last two thirds of the period) of Abuse.promo_boost (3-6x) its usual
  marketing of that week: 60-80% of the extra warm to customers who wrote to it, the rest to past
  customers (app users who did not write in the period). Customers who get a sale opt out rather
  than block: promo messages are opted out of at 1.5x its warm rate, blocked and reported at 0.2x:
  more opt-outs, the business-level block rate near its usual one.
new_business: created 1.5-6 days before the end of the period (active from then), 90-200 messages
  to fewer than 50 users, per-message block 1.2%: zero to three blocks, i.e. a high rate on a tiny
  base (below the quality rating's 50 reached users).
growing_business: created in the first half of the period, 1.2x the median volume, growing by
  Abuse.growth_per_week (2x) a week over its window: users write first (~60% conversations, with
  service answers; utility to customers; warm marketing only) at the normal low feedback rates.
transactional_sender: banks (finance, named "... Bank") and airlines (travel, "... Airways") in
  the largest markets (>= 3.5% of users), 90% verified, 500-20k employees, 3-8x the median volume: 85-90% utility and authentication templates
  (transaction alerts, statements, flight status, check-in, OTP codes) to app users who did not
  write in the period, one or two a month each, outside any 24 h window; 7% conversations, 2% warm
  marketing; normal (at most 1.2x) low per-message rates: block rate ~0.1% of reached users.

normal: warm traffic. Users write first; the business answers free-form (category service) within
  minutes (median ~8 min), after 24 h for 0.2-1% of conversations (outside the CSW), not at all
  for 2-10%. Utility/authentication templates go to its customers and app users; marketing mostly
  to users who wrote to it at least an hour before. 30% of normal businesses also send 2-8% of their
  marketing cold (with the noisy ones below, ~35% of normal businesses send some cold marketing).
  Block rate ~0.1-1% of reached users (median ~0.2-0.6% by category), reports ~0-1.5 per 1000
  messages (median ~0.2-0.3: normal businesses get reports too), marketing opt-outs ~1-2% of
  recipients, 1-3% failed deliveries. About 7% are "noisy but legitimate": 15-35% of marketing
  cold, answers after 24 h in 2-5% of conversations, 2-3.5x the feedback rates (block rate up to
  ~2-3%).
Users: 0.5% change country once during the period (their later rows carry the new user_country);
  ~95% of messages are between a user and a business of the same country.
"""

# Business categories: the share among normal businesses, and the message mix (conversations,
# utility, authentication, marketing); spammers and large senders pick from their own short lists.
_CATEGORY_TABLE = """
category        share   conversations   utility     authentication  marketing
retail          0.22    0.45            0.25        0.05            0.25
food            0.12    0.50            0.30        0.02            0.18
travel          0.07    0.40            0.40        0.05            0.15
finance         0.08    0.30            0.25        0.35            0.10
health          0.08    0.55            0.35        0.03            0.07
education       0.08    0.55            0.30        0.05            0.10
government      0.03    0.35            0.50        0.13            0.02
politics        0.02    0.45            0.15        0.01            0.39
agriculture     0.04    0.60            0.25        0.01            0.14
technology      0.09    0.30            0.20        0.40            0.10
services        0.12    0.55            0.30        0.05            0.10
other           0.05    0.50            0.25        0.05            0.20
"""
_CATEGORY_ROWS = [line.split() for line in _CATEGORY_TABLE.strip().splitlines()[1:]]
CATEGORY_SHARE = {name: float(share) for name, share, *_ in _CATEGORY_ROWS}
CATEGORY_MIX = {name: tuple(float(x) for x in mix) for name, _, *mix in _CATEGORY_ROWS}
SPAM_CATEGORIES = ("retail", "other", "services", "technology", "education", "health")
LARGE_CATEGORIES = ("retail", "finance", "technology", "travel", "food", "services")
PROMO_CATEGORIES = ("retail", "food", "travel")
TRANSACTIONAL_CATEGORIES = ("finance", "travel")  # banks and airlines
ELECTION_COVER_CATEGORIES = ("services", "other", "retail")  # election spammers not filed as politics
# message mix (conversations, utility, authentication, marketing) of transactional senders
TRANSACTIONAL_MIX = {"finance": (0.07, 0.48, 0.43, 0.02), "travel": (0.07, 0.63, 0.28, 0.02)}
GROWING_MIX = (0.60, 0.22, 0.05, 0.13)  # growing businesses: users write first

# feedback reason profiles, picked per stream by the archetype of its business (a takeover's scam
# blasts use the scammer's)
REPORT_PROFILES = np.array(
    [
        # spam scam offensive political other
        [0.50, 0.05, 0.07, 0.03, 0.35],  # normal
        [0.35, 0.02, 0.10, 0.33, 0.20],  # normal politics business
        [0.80, 0.08, 0.03, 0.01, 0.08],  # spammer
        [0.20, 0.70, 0.02, 0.01, 0.07],  # scammer
        [0.35, 0.02, 0.05, 0.55, 0.03],  # election spammer
        [0.68, 0.06, 0.04, 0.02, 0.20],  # subtle spammer
        [0.55, 0.30, 0.03, 0.01, 0.11],  # coordinated ring
    ]
)
BLOCK_PROFILES = np.array(
    [
        # no_longer_needed didnt_sign_up spam offensive other (none)
        [0.35, 0.10, 0.12, 0.03, 0.12, 0.28],
        [0.30, 0.12, 0.15, 0.10, 0.10, 0.23],
        [0.03, 0.35, 0.45, 0.02, 0.05, 0.10],
        [0.03, 0.25, 0.42, 0.05, 0.15, 0.10],
        [0.05, 0.28, 0.35, 0.15, 0.05, 0.12],
        [0.12, 0.30, 0.30, 0.02, 0.10, 0.16],
        [0.04, 0.32, 0.40, 0.03, 0.09, 0.12],
    ]
)
SCAM_PROFILE = 3
PROFILE_BY_ARCHETYPE = {
    NORMAL: 0,
    LARGE: 0,
    NEW: 0,
    SPAMMER: 2,
    SCAMMER: SCAM_PROFILE,
    ELECTION: 4,
    SUBTLE: 5,
    RING: 6,
    TAKEOVER: 0,
    SEASONAL: 0,
    GROWING: 0,
    TRANSACTIONAL: 0,
}
