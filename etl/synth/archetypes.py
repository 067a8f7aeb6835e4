"""The planted archetypes: what each does (`ARCHETYPE_RULES`), how many businesses each gets, the
business categories they write in and the reasons their recipients give when they report or block.
"""

from __future__ import annotations

import numpy as np

NORMAL, SPAMMER, SCAMMER, ELECTION, LARGE, NEW = range(6)
ARCHETYPES = ("normal", "spammer", "scammer", "election_spammer", "large_legit", "new_business")
BAD_ARCHETYPES = ("spammer", "scammer", "election_spammer")
HARD_NEGATIVES = ("large_legit", "new_business")
# share of businesses per planted archetype; at least one of each once there are 50 businesses
ARCHETYPE_SHARE = {SPAMMER: 0.015, SCAMMER: 0.01, ELECTION: 0.01, LARGE: 0.01, NEW: 0.02}

ARCHETYPE_RULES = """\
All rates are drawn per business; "per message" rates apply to outbound messages that did not
fail, and the user-level rates are what the metrics of docs/metrics.md measure over the period.

normal: warm traffic. Users write first; the business answers free-form (category service) within
  minutes (median ~8 min), after 24 h for 0.2-1% of conversations (outside the CSW), not at all
  for 2-10%. Utility/authentication templates go to its customers and app users; marketing only to
  users who wrote to it at least an hour before. 20% of normal businesses also send 2-8% of their
  marketing cold. Block rate ~0.1-1% of reached users (median ~0.3%), reports ~0-1.5 per 1000
  messages, marketing opt-outs ~1-2% of recipients, 1-3% failed deliveries.
  About 7% are "noisy but legitimate": 15-35% of marketing cold, answers after 24 h in 2-5% of
  conversations, 2-3.5x the feedback rates (block rate up to ~2-3%).
spammer: ~85% cold marketing templates to random users of its country (10% anywhere), 7% of them
  free-form (outside the CSW); 4-10% failed deliveries; answers only 15% of the replies it gets.
  Per message: block 6-14%, report 3-8% (mostly spam), opt-out 5-12%: block rate ~9-20% of reached
  users, ~30-60 reports per 1000 messages. Active the whole period or a 10-40 day window; half were
  created less than 40 days before the period. Category retail/other/services/technology/education/
  health; 8% verified; 1-14 employees.
scammer: category finance, never verified. ~90% cold: marketing 45%, utility 35% (fake account and
  KYC alerts; cold but not counted as cold outreach, which is marketing only), free-form 20%
  (outside the CSW). Per message: block 5-12%, report 4-10% (70% scam). Engages with replies (70%
  answered). Usually active for a 10-40 day window.
election_spammer: category politics. 90% of its volume is a 2-5 day burst of political marketing
  templates to strangers of its own country only; per message block 4-10%, report 3-7% (55%
  political, 35% spam). A quiet trickle of warm conversations over the whole period otherwise.
large_legit: hard negative. The largest senders (1.1-1.5x the largest normal business, a few % of
  all messages each), in large markets, verified, warm traffic only, no cold marketing, half the
  normal feedback rates (block ~0.15-0.35% of reached users) but the most blocks and reports in
  absolute numbers after the bad actors.
new_business: hard negative. Created 1.5-6 days before the end of the period (active from then),
  90-200 messages to fewer than 50 users, per-message block 1.2%: zero to three blocks, i.e. a
  high rate on a tiny base (below the quality rating's 50 reached users).
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

# feedback reason profiles, picked per stream by the archetype of its business
REPORT_PROFILES = np.array(
    [
        # spam scam offensive political other
        [0.50, 0.05, 0.07, 0.03, 0.35],  # normal
        [0.35, 0.02, 0.10, 0.33, 0.20],  # normal politics business
        [0.80, 0.08, 0.03, 0.01, 0.08],  # spammer
        [0.20, 0.70, 0.02, 0.01, 0.07],  # scammer
        [0.35, 0.02, 0.05, 0.55, 0.03],  # election spammer
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
    ]
)
PROFILE_BY_ARCHETYPE = {NORMAL: 0, LARGE: 0, NEW: 0, SPAMMER: 2, SCAMMER: 3, ELECTION: 4}
