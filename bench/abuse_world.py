"""An independent abuse world for the detection benchmark (bench/detection.py).

Written apart from etl/synth on purpose: it imports nothing from it and shares none of its code,
tables or distributions, so that the review queue is measured on bad actors imagined by someone
else, in files written the way another exporter would write them (log-format v1).

The world, in words:

- Users live in 16 countries; a business talks mostly to users of its own country.
- Each business category has its own typical rates, drawn per world: blocks per reached user
  (0.2%-0.8%), reports per 1,000 delivered messages (0.3-1.6), marketing opt-outs per recipient
  (0.4%-2%), and its own habits (how many customers write, how often, how much utility and
  authentication traffic, how many campaigns). A normal business varies around its category.
- Volumes are heavy-tailed (Pareto). Customers write first and get free-form answers within
  minutes (a few late, a few never); utility templates follow some conversations, others reach
  customers who did not write in the period; some customers get authentication codes; campaigns
  go to customers who wrote before, and a quarter of normal businesses also market to customers
  who never wrote (legitimate cold marketing; a third of those mostly market to an opted-in list
  of customers who rarely write). Normal businesses get some reports and blocks.

Planted bad actors (truth.csv): subtle_spammer, coordinated_ring, account_takeover,
election_spammer, scammer. Hard negatives, which a good queue leaves out: large_legit,
seasonal_promo, growing_business, transactional_sender. `write_world` says what each does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl

DAY = 86_400
DEFAULT_START = dt.date(2026, 6, 1)
BAD = ("subtle_spammer", "coordinated_ring", "account_takeover", "election_spammer", "scammer")
HARD_NEGATIVES = ("large_legit", "seasonal_promo", "growing_business", "transactional_sender")
ARCHETYPES = BAD + HARD_NEGATIVES
FILES = ("businesses", "messages", "reports", "blocks", "opt_outs", "truth")

# country, share of users and of businesses, hours ahead of UTC
COUNTRIES = (
    ("IN", 0.20, 5.5),
    ("BR", 0.14, -3.0),
    ("ID", 0.10, 7.0),
    ("MX", 0.08, -6.0),
    ("NG", 0.06, 1.0),
    ("PK", 0.05, 5.0),
    ("US", 0.05, -5.0),
    ("EG", 0.04, 2.0),
    ("TR", 0.04, 3.0),
    ("CO", 0.04, -5.0),
    ("AR", 0.04, -3.0),
    ("DE", 0.04, 1.0),
    ("ZA", 0.03, 2.0),
    ("ES", 0.03, 1.0),
    ("IT", 0.03, 1.0),
    ("GB", 0.03, 0.0),
)
BIG_MARKETS = ("IN", "BR", "ID", "MX", "US")
# how busy each local hour is (0 h to 23 h)
RHYTHM = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5.5, 5.5, 5.5, 5, 5, 5, 5.2, 5.5, 6, 6.2, 5.5, 4.2, 3, 2]
)
RHYTHM = RHYTHM / RHYTHM.sum()

MARKETING, UTILITY, AUTH, SERVICE, INBOUND = range(5)
MESSAGE_CATEGORIES = ("marketing", "utility", "authentication", "service")
STATUSES = ("sent", "delivered", "read", "failed")
FAILED = 3
REPORT_REASONS = ("spam", "scam", "offensive", "political", "other")
BLOCK_REASONS = ("no_longer_needed", "didnt_sign_up", "spam", "offensive", "other")  # then: no reason

# Category habits: share of normal businesses; share of customers who write in the period;
# conversations per writing customer; chance a conversation is followed by a utility template;
# utility templates per customer who does not write; share of customers getting authentication
# codes and codes each; campaigns per 30 days; share of eligible customers a campaign reaches.
_HABITS = """
category     share talk  chats util_after util_quiet auth  codes campaigns reach
retail       0.18  0.70  1.7   0.45       1.0        0.08  1.5   3.0       0.55
food         0.14  0.80  2.2   0.55       0.6        0.03  1.2   2.5       0.45
travel       0.05  0.55  1.5   0.60       2.0        0.10  1.5   1.5       0.40
finance      0.07  0.40  1.4   0.35       2.2        0.45  2.5   1.0       0.35
health       0.09  0.70  1.6   0.60       1.5        0.10  1.3   0.8       0.30
education    0.07  0.65  1.8   0.40       1.6        0.10  1.3   1.2       0.40
government   0.02  0.45  1.3   0.50       1.8        0.30  1.5   0.3       0.30
politics     0.02  0.55  1.4   0.20       0.6        0.02  1.0   3.0       0.60
agriculture  0.06  0.75  1.6   0.30       1.2        0.02  1.0   1.5       0.45
technology   0.08  0.45  1.4   0.30       1.5        0.50  2.5   1.5       0.40
services     0.15  0.75  1.7   0.45       1.0        0.08  1.3   1.2       0.40
other        0.07  0.65  1.5   0.35       1.0        0.08  1.3   1.5       0.45
"""
_ROWS = [line.split() for line in _HABITS.strip().splitlines()[1:]]
CATEGORIES = tuple(r[0] for r in _ROWS)
CATEGORY_SHARE = np.array([float(r[1]) for r in _ROWS])
SPAMMY = ("retail", "services", "other", "education", "health", "technology", "food")


@dataclass
class Habits:
    talk: float
    chats: float
    util_after: float
    util_quiet: float
    auth: float
    codes: float
    campaigns: float
    reach: float


@dataclass
class Rates:
    block: float  # per reached user
    report: float  # per delivered outbound message
    opt_out: float  # per marketing recipient


# Texts. "{n}" is a number drawn per message in the given range; "{brand}" the business's name.
T = tuple[str, int, str, tuple[int, int] | None]
_TEMPLATES: dict[str, list[T]] = {
    "retail": [
        ("order_update", UTILITY, "{brand}: order #{n} has shipped and arrives in 2-3 days.", (10000, 99999)),
        ("pickup_ready", UTILITY, "Your order #{n} is ready for pickup at {brand}.", (10000, 99999)),
        (
            "cart_reminder",
            MARKETING,
            "Still thinking? Your cart at {brand} is saved. Code SAVE{n} for 10% off.",
            (10, 99),
        ),
        ("weekend_sale", MARKETING, "{brand} weekend sale: up to {n}% off in store and online.", (15, 60)),
        ("otp_code", AUTH, "{n} is your {brand} login code. It expires in 10 minutes.", (100000, 999999)),
    ],
    "food": [
        ("order_update", UTILITY, "{brand}: order #{n} is being prepared, about 25 minutes.", (100, 9999)),
        ("table_booking", UTILITY, "Your table for {n} at {brand} is confirmed for tonight.", (2, 8)),
        ("menu_of_the_week", MARKETING, "New at {brand} this week: {n} dishes from our chef.", (3, 9)),
        ("loyalty_points", MARKETING, "You have {n} points at {brand}: a free dessert is waiting.", (50, 900)),
        ("otp_code", AUTH, "Use {n} to confirm your {brand} order.", (1000, 9999)),
    ],
    "travel": [
        (
            "flight_status",
            UTILITY,
            "{brand}: flight XY{n} is on time. Boarding 40 minutes before departure.",
            (100, 999),
        ),
        (
            "booking_confirmation",
            UTILITY,
            "Booking {n} confirmed. Your e-ticket from {brand} is attached.",
            (100000, 999999),
        ),
        ("checkin_open", UTILITY, "Check-in is open for booking {n}. Skip the queue with {brand}.", (100000, 999999)),
        (
            "fare_alert",
            MARKETING,
            "Fares from {n} USD to your saved destinations this week, only at {brand}.",
            (29, 199),
        ),
        ("otp_code", AUTH, "{brand} verification code: {n}.", (100000, 999999)),
    ],
    "finance": [
        (
            "otp_code",
            AUTH,
            "{n} is your {brand} verification code. Never share it, not even with us.",
            (100000, 999999),
        ),
        ("payment_received", UTILITY, "{brand}: we received your payment of {n}.00. Thank you.", (10, 2000)),
        (
            "statement_ready",
            UTILITY,
            "Your {brand} statement for the account ending {n} is ready in the app.",
            (1000, 9999),
        ),
        ("card_offer", MARKETING, "Pre-approved at {brand}: a card with {n} days interest-free.", (30, 60)),
    ],
    "health": [
        ("appointment_reminder", UTILITY, "Reminder from {brand}: your appointment is tomorrow at {n}:00.", (8, 18)),
        ("lab_results_ready", UTILITY, "Your results for test {n} are ready in the {brand} portal.", (1000, 99999)),
        ("checkup_campaign", MARKETING, "Annual check-up at {brand}: {n}% off this month.", (10, 30)),
        ("otp_code", AUTH, "{brand} portal code: {n}.", (100000, 999999)),
    ],
    "education": [
        ("class_reminder", UTILITY, "{brand}: class starts at {n}:00 today.", (8, 19)),
        ("fee_due", UTILITY, "The {brand} term fee of {n} is due on Friday.", (100, 900)),
        ("enrolment_open", MARKETING, "Enrolment for {n} new courses is open at {brand}.", (3, 20)),
        ("otp_code", AUTH, "{n} is your {brand} student portal code.", (100000, 999999)),
    ],
    "government": [
        ("document_ready", UTILITY, "{brand}: document {n} is ready for collection.", (100000, 999999)),
        ("appointment_reminder", UTILITY, "{brand}: your appointment is on the {n}th at the main office.", (1, 28)),
        ("otp_code", AUTH, "Citizen portal code {n}. {brand} will never call you for it.", (100000, 999999)),
        ("public_notice", MARKETING, "{brand} notice {n}: new opening hours from next month.", (1, 99)),
    ],
    "politics": [
        ("event_invite", MARKETING, "{brand} invites you to the town hall on the {n}th.", (1, 28)),
        ("newsletter", MARKETING, "{brand} newsletter no. {n} is out: read what we did this month.", (1, 60)),
        ("volunteer_shift", UTILITY, "Your {brand} volunteer shift {n} is confirmed.", (1, 400)),
    ],
    "agriculture": [
        ("price_update", UTILITY, "{brand}: today's price is {n} per quintal at the market yard.", (1500, 4000)),
        ("weather_alert", UTILITY, "{brand} alert: rain expected in {n} hours in your district.", (2, 48)),
        ("seed_offer", MARKETING, "Certified seed at {brand}: {n}% off until Sunday.", (5, 25)),
    ],
    "technology": [
        ("otp_code", AUTH, "{n} is your {brand} code.", (100000, 999999)),
        ("login_alert", UTILITY, "{brand}: new sign-in from a device ending {n}. Was it you?", (1000, 9999)),
        ("subscription_renewal", UTILITY, "Your {brand} plan renews in {n} days.", (1, 14)),
        ("feature_launch", MARKETING, "{n} new features are live in {brand}. Try them today.", (2, 9)),
    ],
    "services": [
        ("appointment_reminder", UTILITY, "{brand}: see you tomorrow at {n}:00.", (8, 19)),
        ("booking_confirmation", UTILITY, "{brand} booking {n} confirmed.", (1000, 99999)),
        ("service_offer", MARKETING, "Book {brand} this week and save {n}%.", (10, 40)),
        ("review_request", MARKETING, "How did {brand} do? Rate us from 1 to {n}.", (5, 5)),
    ],
    "other": [
        ("order_update", UTILITY, "{brand}: order {n} is on its way.", (1000, 99999)),
        ("newsletter", MARKETING, "{brand} news no. {n}: what's new this month.", (1, 40)),
        ("otp_code", AUTH, "Your {brand} code is {n}.", (100000, 999999)),
    ],
}
_REPLIES = [
    ("Hi! Thanks for writing to {brand}. How can we help?", None),
    ("Yes, it is available. Shall we keep one for you?", None),
    ("We are open from 9 to 7, Monday to Saturday.", None),
    ("Noted: request {n}. Someone from {brand} will get back to you today.", (1000, 9999)),
    ("The price is {n}, delivery included.", (5, 500)),
    ("Sorry for the wait! It is sorted now.", None),
    ("You're welcome :)", None),
]
_WRITES = [
    ("Hi", None),
    ("Is this still available?", None),
    ("What time do you open?", None),
    ("I want to change my order {n}", (1000, 99999)),
    ("Thanks!", None),
    ("How much is it?", None),
    ("Can I book for {n} people?", (2, 8)),
    ("Where is my delivery??", None),
]
_STRANGER_WRITES = [
    ("Who is this?", None),
    ("STOP", None),
    ("How did you get my number?", None),
    ("Not interested", None),
    ("Is this real?", None),
]
_SPAM: list[T] = [
    ("exclusive_offer", MARKETING, "Exclusive for you: {n}% off everything today only. Shop now at {brand}!", (30, 80)),
    ("limited_deal", MARKETING, "Only {n} left! The deal of the year ends tonight.", (3, 20)),
    ("new_collection", MARKETING, "The new collection is here. Reply YES to get the catalogue.", None),
    ("special_discount", MARKETING, "Special discount code VIP{n} - valid 24 hours.", (100, 999)),
    ("account_news", UTILITY, "Important update about your benefits: {n} points expire soon.", (100, 5000)),
    ("win_a_phone", MARKETING, "Answer 3 questions and win a phone worth {n} USD.", (300, 1200)),
]
# A ring's campaign: template name, category, text with "{w}" (a word that differs by member)
_RING_CAMPAIGNS: list[tuple[str, int, str, tuple[str, ...]]] = [
    (
        "cashback_alert",
        MARKETING,
        "{w}! You have unclaimed cashback of {n} USD. Claim it at cb-claim{k}.example",
        ("Congratulations", "Good news", "Attention", "Hello", "Hurry"),
    ),
    (
        "job_offer",
        MARKETING,
        "{w} part-time job: earn {n} USD a day from your phone. Chat with us: jobs{k}.example",
        ("Easy", "Simple", "Flexible", "Remote", "Quick"),
    ),
    (
        "delivery_hold",
        UTILITY,
        "Your parcel is on hold. Pay the {w} fee of {n} USD at parcel-fee{k}.example",
        ("customs", "delivery", "handling", "storage", "release"),
    ),
    (
        "crypto_signal",
        MARKETING,
        "{w} signal: this coin will rise {n}% this week. Join t{k}.example/group",
        ("Free", "VIP", "Today's", "Exclusive", "Premium"),
    ),
]
_SCAM: list[T] = [
    (
        "account_verification",
        UTILITY,
        "{brand} security: your account will be suspended. Verify within 24 h at verify-{n}.example",
        (10, 99),
    ),
    (
        "payment_pending",
        UTILITY,
        "{brand}: a payment of {n}.00 is pending. Confirm your card at pay-check.example",
        (50, 900),
    ),
    (
        "security_code_request",
        AUTH,
        "{brand}: we sent you a 6-digit code. Reply with it to keep your account active.",
        None,
    ),
    (
        "prize_claim",
        MARKETING,
        "{brand} anniversary: you won a voucher worth {n}! Pay the delivery fee to claim it.",
        (100, 1000),
    ),
]
_SCAM_FREEFORM = [
    ("Hi, it's the {brand} team. Send us the code you just received so we can restore your account.", None),
    ("Please transfer {n} to complete your refund, then send the receipt here.", (20, 300)),
    ("Your order is blocked. Click secure-{n}.example and enter your card details.", (10, 99)),
]
_CARD_USED: T = (
    "card_used",
    UTILITY,
    "{brand}: your card was used for {n}.00. Not you? Call the number on your card.",
    (3, 900),
)
_GATE_CHANGE: T = ("gate_change", UTILITY, "{brand}: your flight now leaves from gate {n}.", (1, 60))
_ELECTION: list[T] = [
    ("vote_reminder", MARKETING, "Election day is near. Vote for list {n}, vote for {brand}!", (1, 30)),
    ("candidate_message", MARKETING, "A message from candidate no. {n} of {brand}: together we win.", (1, 30)),
    ("rally_invite", MARKETING, "{brand} rally tonight at square {n}. Bring your family.", (1, 9)),
]
_NAME_FIRST = (
    "Sunrise",
    "Blue Lotus",
    "Green Valley",
    "Nova",
    "Estrela",
    "Golden",
    "Prime",
    "City",
    "Royal",
    "Happy",
    "Urban",
    "Silver",
    "Lakeside",
    "Metro",
    "Pioneer",
    "Kavya",
    "Rio",
    "Andes",
    "Baobab",
    "Sahara",
    "Bosphorus",
    "Nile",
    "Maple",
    "Orchid",
    "Jaya",
    "Luz",
    "Harbor",
    "Summit",
    "Cedar",
    "Amani",
    "Rosa",
    "Atlas",
)
_NAME_KIND = {
    "retail": ("Store", "Mart", "Fashion", "Electronics", "Shoes"),
    "food": ("Bakery", "Kitchen", "Pizza", "Cafe", "Biryani House"),
    "travel": ("Travels", "Tours", "Airways", "Holidays"),
    "finance": ("Bank", "Finance", "Credit", "Pay", "Insurance"),
    "health": ("Clinic", "Pharmacy", "Dental", "Labs"),
    "education": ("Academy", "Institute", "School", "Tutors"),
    "government": ("Municipal Services", "Transport Office", "Water Board", "Tax Office"),
    "politics": ("Party", "Movement", "Alliance", "Front"),
    "agriculture": ("Agro", "Farms", "Seeds", "Co-op"),
    "technology": ("Tech", "Apps", "Cloud", "Soft"),
    "services": ("Salon", "Repairs", "Cleaning", "Logistics", "Plumbing"),
    "other": ("Group", "Hub", "Co", "Collective"),
}
_NAME_TAIL = ("", "", "", "", " Ltd.", " & Sons", ", Inc.", ' "Official"', " <b>Deals</b>")

# Reason mixes: reports (spam, scam, offensive, political, other), blocks (BLOCK_REASONS + none)
R_NORMAL = (0.45, 0.03, 0.07, 0.02, 0.43)
R_POLITICS = (0.30, 0.02, 0.10, 0.25, 0.33)
R_SPAM = (0.72, 0.04, 0.04, 0.0, 0.20)
R_RING = (0.62, 0.18, 0.02, 0.0, 0.18)
R_SCAM = (0.22, 0.70, 0.03, 0.0, 0.05)
R_ELECTION = (0.30, 0.01, 0.04, 0.60, 0.05)
B_NORMAL = (0.40, 0.12, 0.18, 0.03, 0.12, 0.15)
B_SPAM = (0.10, 0.35, 0.40, 0.02, 0.03, 0.10)
B_SCAM = (0.05, 0.25, 0.45, 0.05, 0.15, 0.05)


@dataclass
class Business:
    idx: int
    archetype: str
    category: str
    country: int
    created: int  # epoch seconds
    verified: bool
    employees: int
    name: str
    brand: str
    util: list[int] = field(default_factory=list)
    auth: list[int] = field(default_factory=list)
    mkt: list[int] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)

    @property
    def offset(self) -> float:
        return COUNTRIES[self.country][2]


class Texts:
    """Every text a message can carry: template name (empty for free-form), message category, the
    words before and after the per-message number and the number's range."""

    def __init__(self) -> None:
        self.name: list[str | None] = []
        self.cat: list[int] = []
        self.pre: list[str] = []
        self.suf: list[str] = []
        self.lo: list[int] = []
        self.hi: list[int] = []

    def add(self, name: str | None, cat: int, text: str, span: tuple[int, int] | None) -> int:
        pre, found, suf = text.partition("{n}")
        lo, hi = span if (found and span) else (-1, -1)
        self.name.append(name)
        self.cat.append(cat)
        self.pre.append(pre)
        self.suf.append(suf if found else "")
        self.lo.append(lo)
        self.hi.append(hi)
        return len(self.name) - 1


class World:
    """The world being written: users, the texts, the messages so far (column chunks) and the
    feedback segments (each a set of messages with its own report, block and opt-out rates)."""

    def __init__(self, rng: np.random.Generator, start: dt.date, days: int, users: int):
        self.rng = rng
        self.t0 = int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp())
        self.days = days
        self.end = self.t0 + days * DAY
        shares = np.array([c[1] for c in COUNTRIES])
        self.n_users = users
        self.user_country = rng.choice(len(COUNTRIES), users, p=shares / shares.sum()).astype(np.int16)
        self.pools = [np.flatnonzero(self.user_country == c) for c in range(len(COUNTRIES))]
        self.texts = Texts()
        self.writes = [self.texts.add(None, INBOUND, t, s) for t, s in _WRITES]
        self.stranger_writes = [self.texts.add(None, INBOUND, t, s) for t, s in _STRANGER_WRITES]
        self.chunks: dict[str, list[np.ndarray]] = {k: [] for k in ("biz", "t", "user", "out", "text", "seg", "status")}
        self.segs: list[tuple[float, float, float, tuple, tuple]] = []
        self.businesses: list[Business] = []

    # --- who and when -------------------------------------------------------------------------
    def people(self, country: int, n: int, foreign: float = 0.05, exclude: np.ndarray | None = None) -> np.ndarray:
        """n users, mostly of `country` (at most 80% of its users), in random order."""
        pool = self.pools[country]
        if exclude is not None and len(exclude):
            pool = np.setdiff1d(pool, exclude, assume_unique=False)
        n_away = int(round(n * foreign))
        home = min(int(n) - n_away, int(len(pool) * 0.8))
        picked = self.rng.choice(pool, home, replace=False)
        away = self.rng.integers(0, self.n_users, n_away)
        return self.rng.permutation(np.unique(np.concatenate([picked, away])))

    def when(self, n: int, lo: float, hi: float, offset: float, growth: float = 0.0) -> np.ndarray:
        """n instants on days [lo, hi) of the period at busy local hours; with `growth` (per day),
        later days are exponentially busier."""
        u = self.rng.random(n)
        span = max(hi - lo, 1e-9)
        x = np.log1p(u * np.expm1(growth * span)) / growth if growth > 0 else u * span
        day = np.floor(lo + x)
        secs = self.rng.choice(24, n, p=RHYTHM) * 3600 + self.rng.integers(0, 3600, n)
        t = self.t0 + day * DAY + secs - offset * 3600
        first, last = self.t0 + lo * DAY, self.t0 + hi * DAY - 1
        # a local hour that falls outside the span in UTC moves to the same hour a day later (earlier)
        t = np.where(t < first, t + DAY, np.where(t > last, t - DAY, t))
        return np.clip(t, first, last).astype(np.int64)

    def blasts(self, n: int, days: np.ndarray, offset: float) -> tuple[np.ndarray, np.ndarray]:
        """n sends spread over bulk sends: one per entry of `days` (a day may repeat), starting at
        a daytime local hour and trailing off over an hour or two. Returns the instants and which
        send (index into `days`) each belongs to."""
        days = np.asarray(days, dtype=np.int64)
        starts = self.rng.uniform(8.0, 20.0, len(days)) * 3600
        pick = self.rng.integers(0, len(days), n)
        t = self.t0 + days[pick] * DAY + starts[pick] + self.rng.exponential(1500, n) - offset * 3600
        return t.astype(np.int64), pick

    # --- writing messages ---------------------------------------------------------------------
    def segment(self, rates: Rates, reports=R_NORMAL, blocks=B_NORMAL) -> int:
        self.segs.append((rates.report, rates.block, rates.opt_out, reports, blocks))
        return len(self.segs) - 1

    def send(self, b: Business, t, users, text, seg: int, fail: float = 0.02, inbound: bool = False) -> None:
        t = np.asarray(t, dtype=np.int64)
        n = len(t)
        if n == 0:
            return
        users = np.asarray(users, dtype=np.int64)
        text = np.broadcast_to(np.asarray(text, dtype=np.int32), (n,))
        keep = (t >= max(self.t0, b.created)) & (t < self.end)
        if inbound:
            status = np.full(n, -1, dtype=np.int8)
        else:
            status = self.rng.choice(4, n, p=[0.1 * (1 - fail), 0.35 * (1 - fail), 0.55 * (1 - fail), fail])
        for key, col in (
            ("biz", np.full(n, b.idx, dtype=np.int32)),
            ("t", t),
            ("user", users),
            ("out", np.full(n, not inbound, dtype=bool)),
            ("text", text),
            ("seg", np.full(n, seg, dtype=np.int32)),
            ("status", status.astype(np.int8)),
        ):
            self.chunks[key].append(col[keep])

    def reply_to(self, b: Business, t, users, seg: int, share: float, answer: float, answers: list[int]) -> None:
        """Some recipients of outreach write back (who is this, stop); the business answers some."""
        hit = self.rng.random(len(t)) < share
        t_in = np.asarray(t)[hit] + self.rng.integers(60, 4 * 3600, hit.sum())
        who = np.asarray(users)[hit]
        self.send(b, t_in, who, self.rng.choice(self.stranger_writes, len(t_in)), seg, inbound=True)
        a = self.rng.random(len(t_in)) < answer
        self.send(b, t_in[a] + self.rng.integers(30, 1800, a.sum()), who[a], self.rng.choice(answers, a.sum()), seg)

    def conversations(
        self, b: Business, users: np.ndarray, seg: int, lo: float, hi: float, chats: float, growth: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Customers write, the business answers free-form; 1-3 exchanges per conversation, a few
        answered after more than 24 h, a few never. Returns each conversation's customer (index
        into `users`) and start."""
        rng = self.rng
        local = np.repeat(np.arange(len(users)), 1 + rng.poisson(max(chats - 1, 0), len(users)))
        start = self.when(len(local), lo, hi, b.offset, growth)
        ns = len(local)
        late = rng.random(ns) < 0.004
        ignored = ~late & (rng.random(ns) < 0.05)
        pairs = np.where(late | ignored, 1, 1 + (rng.random(ns) < 0.45) + (rng.random(ns) < 0.18))
        first = np.cumsum(pairs) - pairs
        sid = np.repeat(np.arange(ns), pairs)
        delay = rng.lognormal(np.log(240), 1.1, len(sid))
        delay[first[late]] = DAY + rng.uniform(600, 40_000, late.sum())
        step = delay + rng.lognormal(np.log(150), 0.9, len(sid))
        cs = np.cumsum(step)
        base = np.repeat(cs[first] - step[first], pairs)
        t_in = start[sid] + (cs - step - base).astype(np.int64)
        who = users[local[sid]]
        self.send(b, t_in, who, rng.choice(self.writes, len(sid)), seg, inbound=True)
        ok = ~ignored[sid]
        t_out = t_in[ok] + delay[ok].astype(np.int64) + 1
        self.send(b, t_out, who[ok], rng.choice(b.replies, ok.sum()), seg)
        return local, start

    def ordinary(
        self,
        b: Business,
        customers: np.ndarray,
        h: Habits,
        seg: int,
        lo: float,
        hi: float,
        cold: float = 0.0,
        growth: float = 0.0,
    ) -> None:
        """A legitimate business's traffic over days [lo, hi): conversations with the customers who
        write, utility and authentication templates, campaigns to customers who wrote before and,
        with `cold` > 0, to that share of reach among customers who never wrote."""
        rng = self.rng
        lo = max(lo, (b.created - self.t0) / DAY)
        if hi <= lo or len(customers) == 0:
            return
        n_talk = int(round(len(customers) * h.talk))
        talkers, quiet = customers[:n_talk], customers[n_talk:]
        local, start = self.conversations(b, talkers, seg, lo, hi, h.chats, growth)
        if b.util:
            after = rng.random(len(start)) < h.util_after
            t = start[after] + rng.integers(600, 6 * 3600, after.sum())
            self.send(b, t, talkers[local[after]], rng.choice(b.util, after.sum()), seg)
            who = np.repeat(quiet, rng.poisson(h.util_quiet, len(quiet)))
            self.send(b, self.when(len(who), lo, hi, b.offset, growth), who, rng.choice(b.util, len(who)), seg)
        if b.auth:
            app = customers[rng.random(len(customers)) < h.auth]
            who = np.repeat(app, 1 + rng.poisson(max(h.codes - 1, 0), len(app)))
            self.send(b, self.when(len(who), lo, hi, b.offset, growth), who, rng.choice(b.auth, len(who)), seg)
        if not b.mkt:
            return
        first_in = np.full(len(talkers), np.inf)
        np.minimum.at(first_in, local, start)
        for tc in self.when(rng.poisson(h.campaigns * (hi - lo) / 30), lo, hi, b.offset, growth):
            warm = talkers[(first_in < tc - 3600) & (rng.random(len(talkers)) < h.reach)]
            if cold:
                warm = np.concatenate([warm, quiet[rng.random(len(quiet)) < h.reach * cold]])
            self.send(b, tc + rng.integers(0, 7200, len(warm)), warm, rng.choice(b.mkt), seg)

    # --- the files ----------------------------------------------------------------------------
    def finish(self, out: Path, seed: int) -> dict[str, int]:
        rng = self.rng
        c = {k: np.concatenate(v) for k, v in self.chunks.items()}
        order = np.argsort(c["t"], kind="stable")
        c = {k: v[order] for k, v in c.items()}
        n = len(c["t"])
        tx = self.texts
        lo, hi = np.array(tx.lo), np.array(tx.hi)
        tlo, thi = lo[c["text"]], hi[c["text"]]
        num = np.where(tlo >= 0, tlo + np.floor(rng.random(n) * (thi - tlo + 1)).astype(np.int64), -1)
        mcat = np.array(tx.cat)[c["text"]]
        ids = _hashed(np.arange(n, dtype=np.uint64), seed, 0x9E3779B97F4A7C15)
        message_ids = pl.Series(ids, dtype=pl.UInt64).cast(pl.String)
        message_ids = ("wamid." + message_ids).alias("message_id")
        self.biz_ids = _business_ids(len(self.businesses), rng)
        biz_ids = pl.Series(self.biz_ids)
        user_ids = pl.Series(
            [f"{x:014x}" for x in _hashed(np.arange(self.n_users, dtype=np.uint64), seed, 0xD1B54A32D192ED03)]
        )
        country = pl.Series([cc for cc, *_ in COUNTRIES])
        inbound = ~c["out"]
        num_s = pl.Series(num).cast(pl.String)
        text = pl.concat_str(
            [
                pl.Series(tx.pre).gather(c["text"]),
                pl.when(pl.Series(num) >= 0).then(num_s).otherwise(pl.lit("")),
                pl.Series(tx.suf).gather(c["text"]),
            ]
        )
        messages = pl.DataFrame(
            {
                "message_id": message_ids,
                "sent_at": _iso(c["t"]),
                "business_id": biz_ids.gather(c["biz"]),
                "user_id": user_ids.gather(c["user"]),
                "direction": pl.Series(np.where(inbound, "inbound", "outbound")),
                "user_country": country.gather(self.user_country[c["user"]]),
                "category": _nullable(MESSAGE_CATEGORIES, np.where(inbound, -1, mcat)),
                "template": pl.Series(tx.name, dtype=pl.String).gather(c["text"]),
                "status": _nullable(STATUSES, c["status"]),
            }
        ).with_columns(pl.select(text.alias("text")).to_series())
        messages.write_csv(out / "messages.csv")
        counts = {"messages": n}
        counts |= self._feedback(out, c, mcat, message_ids, biz_ids, user_ids)
        self._dimensions(out, biz_ids)
        counts["businesses"] = len(self.businesses)
        counts["truth"] = sum(b.archetype != "normal" for b in self.businesses)
        return counts

    def _feedback(self, out, c, mcat, message_ids, biz_ids, user_ids) -> dict[str, int]:
        rng = self.rng
        seg_report, seg_block, seg_opt = (np.array([s[i] for s in self.segs]) for i in range(3))
        r_cum = np.cumsum(np.array([s[3] for s in self.segs]), axis=1)
        b_cum = np.cumsum(np.array([s[4] for s in self.segs]), axis=1)
        ok = c["out"] & (c["status"] != FAILED)

        # reports: per delivered message, a little after it; most name the message
        i = np.flatnonzero(ok & (rng.random(len(ok)) < seg_report[c["seg"]]))
        at = c["t"][i] + 60 + rng.lognormal(np.log(1500), 1.2, len(i)).astype(np.int64)
        keep = at < self.end
        i, at = i[keep], at[keep]
        reason = _pick(rng, r_cum[c["seg"][i]])
        o = np.argsort(at, kind="stable")
        i, at, reason = i[o], at[o], reason[o]
        named = rng.random(len(i)) < 0.9
        pl.DataFrame(
            {
                "report_id": [f"rpt-{k:07d}" for k in range(len(i))],
                "reported_at": _iso(at),
                "user_id": user_ids.gather(c["user"][i]),
                "business_id": biz_ids.gather(c["biz"][i]),
                "reason": pl.Series(REPORT_REASONS).gather(reason),
                "message_id": pl.select(
                    pl.when(pl.Series(named)).then(message_ids.gather(i)).otherwise(None)
                ).to_series(),
            }
        ).write_csv(out / "reports.csv")
        counts = {"reports": len(i)}

        # blocks: per user reached in a segment, after one of the messages it got; once per business
        trig = _one_per_user(rng, c, np.flatnonzero(ok))
        trig = trig[rng.random(len(trig)) < seg_block[c["seg"][trig]]]
        at = c["t"][trig] + 30 + rng.lognormal(np.log(2400), 1.3, len(trig)).astype(np.int64)
        blocks = pl.DataFrame({"i": trig, "at": at, "b": c["biz"][trig], "u": c["user"][trig]}).filter(
            pl.col("at") < self.end
        )
        blocks = blocks.sort("at", "i").unique(["b", "u"], keep="first").sort("at", "i")
        trig = blocks["i"].to_numpy()
        reason = _pick(rng, b_cum[c["seg"][trig]])
        pl.DataFrame(
            {
                "block_id": [f"blk-{k:07d}" for k in range(len(trig))],
                "blocked_at": _iso(blocks["at"].to_numpy()),
                "user_id": user_ids.gather(c["user"][trig]),
                "business_id": biz_ids.gather(c["biz"][trig]),
                "reason": _nullable(BLOCK_REASONS, np.where(reason < len(BLOCK_REASONS), reason, -1)),
            }
        ).write_csv(out / "blocks.csv")
        counts["blocks"] = len(trig)

        # opt-outs: per marketing recipient; some resume marketing days later
        trig = _one_per_user(rng, c, np.flatnonzero(ok & (mcat == MARKETING)))
        trig = np.sort(trig[rng.random(len(trig)) < seg_opt[c["seg"][trig]]])
        at = c["t"][trig] + 60 + rng.lognormal(np.log(3600), 1.2, len(trig)).astype(np.int64)
        back = rng.random(len(trig)) < 0.1
        at_back = at + rng.integers(2 * DAY, 20 * DAY, len(trig))
        rows = pl.DataFrame(
            {
                "at": np.concatenate([at, at_back[back]]),
                "b": np.concatenate([c["biz"][trig], c["biz"][trig][back]]),
                "u": np.concatenate([c["user"][trig], c["user"][trig][back]]),
                "action": ["stop_marketing"] * len(trig) + ["resume_marketing"] * int(back.sum()),
            }
        )
        rows = rows.filter(pl.col("at") < self.end).sort(
            "at", "b", "u", "action", descending=[False, False, False, True]
        )
        pl.DataFrame(
            {
                "opt_out_id": [f"opt-{k:07d}" for k in range(rows.height)],
                "changed_at": _iso(rows["at"].to_numpy()),
                "user_id": user_ids.gather(rows["u"].to_numpy()),
                "business_id": biz_ids.gather(rows["b"].to_numpy()),
                "action": rows["action"],
            }
        ).write_csv(out / "opt_outs.csv")
        counts["opt_outs"] = rows.height
        return counts

    def _dimensions(self, out: Path, biz_ids: pl.Series) -> None:
        bs = self.businesses
        pl.DataFrame(
            {
                "business_id": biz_ids,
                "name": [b.name for b in bs],
                "category": [b.category for b in bs],
                "country": [COUNTRIES[b.country][0] for b in bs],
                "employees": [b.employees for b in bs],
                "verified": ["true" if b.verified else "false" for b in bs],
                "created_at": _iso(np.array([b.created for b in bs], dtype=np.int64)),
            }
        ).sort("business_id").write_csv(out / "businesses.csv")
        truth = [(biz_ids[b.idx], b.archetype) for b in bs if b.archetype != "normal"]
        pl.DataFrame(truth, schema=["business_id", "archetype"], orient="row").sort("business_id").write_csv(
            out / "truth.csv"
        )


def _hashed(x: np.ndarray, seed: int, mult: int) -> np.ndarray:
    """A bijection of uint64 (distinct in, distinct out) that looks random."""
    with np.errstate(over="ignore"):
        salt = np.uint64((seed * 0x632BE59BD9B4E019 + 0x1234567) % 2**64)
        return x * np.uint64(mult) + salt


def _business_ids(n: int, rng: np.random.Generator) -> list[str]:
    width = max(4, len(str(n)))
    return [f"biz-{k + 1:0{width}d}" for k in rng.permutation(n)]


def _iso(t: np.ndarray) -> pl.Series:
    return pl.from_epoch(pl.Series(np.asarray(t, dtype=np.int64)), time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _nullable(words: tuple[str, ...], codes: np.ndarray) -> pl.Series:
    codes = np.asarray(codes)
    s = pl.Series(words).gather(np.clip(codes, 0, None))
    return pl.select(pl.when(pl.Series(codes) >= 0).then(s).otherwise(None)).to_series()


def _pick(rng: np.random.Generator, cum: np.ndarray) -> np.ndarray:
    """One choice per row from rows of cumulative probabilities."""
    if len(cum) == 0:
        return np.zeros(0, dtype=np.int64)
    r = rng.random(len(cum)) * cum[:, -1]
    return np.minimum((r[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)


def _one_per_user(rng: np.random.Generator, c: dict, idx: np.ndarray) -> np.ndarray:
    """Of the messages `idx`, one at random per (business, user, segment), in message order."""
    df = pl.DataFrame(
        {"i": idx, "k": rng.random(len(idx)), "b": c["biz"][idx], "u": c["user"][idx], "s": c["seg"][idx]}
    )
    return np.sort(df.sort("k").unique(["b", "u", "s"], keep="first")["i"].to_numpy())


class _Gen:
    """Creates the businesses of each archetype and writes their traffic into the world."""

    def __init__(self, w: World, rates: dict[str, Rates], habits: dict[str, Habits]):
        self.w, self.rates, self.habits, self.rng = w, rates, habits, w.rng
        self.days = w.days
        shares = np.array([c[1] for c in COUNTRIES])
        self.country_p = shares / shares.sum()
        self.rings: list[list[int]] = []
        self.takeovers: dict[int, int] = {}
        self.elections: list[tuple[int, int, list[int]]] = []
        self.max_normal = 0

    def _name(self, category: str) -> tuple[str, str]:
        brand = f"{self.rng.choice(_NAME_FIRST)} {self.rng.choice(_NAME_KIND[category])}"
        tail = _NAME_TAIL[int(self.rng.integers(0, len(_NAME_TAIL)))] if self.rng.random() < 0.3 else ""
        return brand, brand + tail

    def business(
        self,
        archetype: str,
        category: str,
        country: int | None = None,
        created_day: float | None = None,
        verified: bool | None = None,
        templates: list[T] | None = None,
    ) -> Business:
        rng, w = self.rng, self.w
        country = int(rng.choice(len(COUNTRIES), p=self.country_p)) if country is None else country
        created_day = -rng.uniform(60, 3000) if created_day is None else created_day
        verified = bool(rng.random() < 0.35) if verified is None else verified
        brand, name = self._name(category)
        employees = int(min(1 + rng.pareto(1.1) * 4, 50_000))
        b = Business(
            len(w.businesses),
            archetype,
            category,
            country,
            w.t0 + int(created_day * DAY),
            verified,
            employees,
            name,
            brand,
        )
        for tpl, cat, text, span in _TEMPLATES[category] if templates is None else templates:
            tid = w.texts.add(tpl, cat, text.replace("{brand}", brand), span)
            {MARKETING: b.mkt, UTILITY: b.util, AUTH: b.auth}[cat].append(tid)
        b.replies = [w.texts.add(None, SERVICE, t.replace("{brand}", brand), s) for t, s in _REPLIES]
        w.businesses.append(b)
        return b

    def jitter(self, r: Rates, spread: float = 1.0) -> Rates:
        """A business's own rates around its category's (log-normal, sd about 0.4)."""
        f = np.exp((self.rng.normal(0, 0.3) + self.rng.normal(0, 0.25, 3)) * spread)
        return Rates(r.block * f[0], r.report * f[1], r.opt_out * f[2])

    def scaled(self, r: Rates, lo: float, hi: float) -> Rates:
        m = self.rng.uniform(lo, hi)
        return Rates(r.block * m, r.report * m, r.opt_out * m)

    def cap(self, country: int, n: float) -> int:
        return max(1, min(int(n), int(len(self.w.pools[country]) * 0.6)))

    def own(self, b: Business, items: list[T]) -> list[int]:
        return [self.w.texts.add(n, c, t.replace("{brand}", b.brand), s) for n, c, t, s in items]

    def freeform(self, b: Business) -> list[int]:
        return [self.w.texts.add(None, SERVICE, t.replace("{brand}", b.brand), s) for t, s in _SCAM_FREEFORM]

    def some_days(self, lo: float, hi: float, share: float) -> np.ndarray:
        days = np.arange(int(lo), max(int(np.ceil(hi)), int(lo) + 1))
        days = days[(days >= 0) & (days < self.days)]
        chosen = days[self.rng.random(len(days)) < share]
        return chosen if len(chosen) else (days[-1:] if len(days) else np.array([self.days - 1]))

    # --- normal businesses ----------------------------------------------------------------------
    def normals(self, n: int) -> None:
        rng, w = self.rng, self.w
        cats = rng.choice(len(CATEGORIES), n, p=CATEGORY_SHARE / CATEGORY_SHARE.sum())
        raw = 1 + rng.pareto(1.3, n)
        sizes = np.maximum(raw / raw.mean() * 160, 20)
        for cat_i, size in zip(cats, sizes):
            cat = CATEGORIES[cat_i]
            new = rng.random() < 0.1
            b = self.business("normal", cat, created_day=rng.uniform(0, 0.6 * self.days) if new else None)
            customers = w.people(b.country, self.cap(b.country, size))
            seg = w.segment(self.jitter(self.rates[cat]), R_POLITICS if cat == "politics" else R_NORMAL)
            h, kind = self.habits[cat], rng.random()
            cold = rng.uniform(0.3, 1.0) if kind < 0.25 else 0.0
            if kind < 0.08:  # markets to an opted-in list of customers who rarely write
                h = replace(h, talk=rng.uniform(0.1, 0.3), campaigns=h.campaigns * 1.5)
                cold = rng.uniform(0.7, 1.0)
            w.ordinary(b, customers, h, seg, 0, self.days, cold=cold)
            self.max_normal = max(self.max_normal, len(customers))

    def plant(self, counts: dict[str, int], ring_sizes: list[int], mult: tuple[float, float]) -> None:
        for _ in range(counts["subtle_spammer"]):
            self.subtle(self.rng.uniform(*mult))
        for size in ring_sizes:
            self.ring(size)
        for _ in range(counts["account_takeover"]):
            self.takeover()
        self.election(counts["election_spammer"])
        for _ in range(counts["scammer"]):
            self.scammer()
        for _ in range(counts["large_legit"]):
            self.large()
        for _ in range(counts["seasonal_promo"]):
            self.seasonal()
        for _ in range(counts["growing_business"]):
            self.growing()
        for _ in range(counts["transactional_sender"]):
            self.transactional()

    # --- bad actors -----------------------------------------------------------------------------
    def subtle(self, m: float) -> None:
        rng, w, days = self.rng, self.w, self.days
        cat = str(rng.choice(SPAMMY))
        b = self.business("subtle_spammer", cat, created_day=-rng.uniform(20, 900), verified=bool(rng.random() < 0.1))
        r = self.rates[cat]
        seg = w.segment(Rates(r.block * m, r.report * m, r.opt_out * m), R_SPAM, B_SPAM)
        lo = 0.0 if rng.random() < 0.65 else rng.uniform(0, 0.4 * days)
        sends = self.some_days(lo, days, 0.5)
        customers = w.people(b.country, int(rng.uniform(30, 120)))
        strangers = w.people(b.country, self.cap(b.country, rng.uniform(1500, 4000)), 0.03, exclude=customers)
        rec = np.repeat(strangers, rng.geometric(0.6, len(strangers)))
        t, pick = w.blasts(len(rec), sends, b.offset)
        picks = rng.choice(len(_SPAM), int(rng.integers(3, 6)), replace=False)
        own = self.own(b, [_SPAM[i] for i in picks])
        w.send(b, t, rec, np.asarray(own)[rng.integers(0, len(own), len(sends))][pick], seg, rng.uniform(0.03, 0.07))
        w.reply_to(b, t, rec, seg, 0.025, 0.5, b.replies)
        w.ordinary(b, customers, self.habits[cat], seg, lo, days)

    def ring(self, size: int) -> None:
        rng, w, days = self.rng, self.w, self.days
        cat = str(rng.choice(("retail", "services", "other", "technology", "finance")))
        country = int(rng.choice(len(COUNTRIES), p=self.country_p))
        c0 = rng.uniform(max(days - 45, -10), max(days - 20, 1))
        members = [
            self.business("coordinated_ring", cat, country, c0 + rng.uniform(0, 3), False, templates=[])
            for _ in range(size)
        ]
        self.rings.append([b.idx for b in members])
        start = max(int(np.ceil(c0 + 3)), 0)
        stop = min(start + int(rng.integers(12, 23)), days)
        shared = w.people(country, self.cap(country, rng.uniform(600, 1200)), foreign=0.0)
        chosen = rng.choice(len(_RING_CAMPAIGNS), 2 if rng.random() < 0.5 else 3, replace=False)
        word_shift = int(rng.integers(0, 5))
        r = self.rates[cat]
        for j, b in enumerate(members):
            texts = []
            for ci in chosen:
                name, mcat, text, words = _RING_CAMPAIGNS[ci]
                variant = text.replace("{w}", words[(j + word_shift) % len(words)]).replace(
                    "{k}", str(j // len(words) + 1)
                )
                texts.append(w.texts.add(name, mcat, variant, (5, 95)))
            seg = w.segment(self.scaled(r, 1.5, 2.5), R_RING, B_SPAM)
            sub = shared[rng.random(len(shared)) < rng.uniform(0.45, 0.7)]
            rec = np.repeat(sub, rng.geometric(0.65, len(sub)))
            sends = self.some_days(start, stop, 0.4)
            t, pick = w.blasts(len(rec), sends, b.offset)
            w.send(b, t, rec, np.asarray(texts)[pick % len(texts)], seg, 0.04)
            w.reply_to(b, t, rec, seg, 0.02, 0.3, b.replies)

    def takeover(self) -> None:
        rng, w, days = self.rng, self.w, self.days
        cat = str(rng.choice([c for c in CATEGORIES if c not in ("politics", "government")]))
        b = self.business(
            "account_takeover", cat, created_day=-rng.uniform(365, 3300), verified=bool(rng.random() < 0.6)
        )
        customers = w.people(b.country, self.cap(b.country, rng.uniform(400, 2500)))
        first = days - int(rng.integers(5, 11))
        cold = rng.uniform(0.3, 1.0) if rng.random() < 0.25 else 0.0
        w.ordinary(b, customers, self.habits[cat], w.segment(self.jitter(self.rates[cat])), 0, first, cold=cold)
        strangers = w.people(b.country, len(customers) * rng.uniform(1.5, 4), 0.05, exclude=customers)
        targets = np.concatenate([customers, strangers])
        rec = np.repeat(targets, 1 + (rng.random(len(targets)) < 0.5) + (rng.random(len(targets)) < 0.2))
        t, _ = w.blasts(len(rec), np.repeat(np.arange(first, days), 2), b.offset)
        scam, free = self.own(b, _SCAM), self.freeform(b)
        text = np.where(rng.random(len(rec)) < 0.85, rng.choice(scam, len(rec)), rng.choice(free, len(rec)))
        seg = w.segment(
            Rates(rng.uniform(0.06, 0.15), rng.uniform(0.02, 0.05), rng.uniform(0.01, 0.03)), R_SCAM, B_SCAM
        )
        w.send(b, t, rec, text, seg, rng.uniform(0.04, 0.09))
        w.reply_to(b, t, rec, seg, 0.04, 0.8, free)
        self.takeovers[b.idx] = first

    def election(self, n: int) -> None:
        rng, w, days = self.rng, self.w, self.days
        polls = []
        for _ in range(1 + (n >= 4)):
            country = int(rng.choice(len(COUNTRIES), p=self.country_p))
            polls.append((country, int(rng.uniform(0.6 * days, days - 1)), []))
        for i in range(n):
            country, day, who = polls[i % len(polls)]
            political = i % 3 != 2
            cat = "politics" if political else str(rng.choice(("services", "other", "retail", "education")))
            home = country if rng.random() < 0.8 else int(rng.choice(len(COUNTRIES), p=self.country_p))
            b = self.business("election_spammer", cat, home, -rng.uniform(30, 2000), bool(rng.random() < 0.3))
            who.append(b.idx)
            r = self.rates[cat]
            side = w.segment(self.jitter(r), R_POLITICS if political else R_NORMAL)
            customers = w.people(home, self.cap(home, rng.uniform(40, 200) if political else rng.uniform(100, 600)))
            w.ordinary(b, customers, self.habits[cat], side, 0, days)
            party = f"{rng.choice(_NAME_FIRST)} {rng.choice(_NAME_KIND['politics'])}"
            texts = [w.texts.add(nm, c, t.replace("{brand}", party), s) for nm, c, t, s in _ELECTION]
            voters = w.people(country, self.cap(country, rng.uniform(1500, 5000)), foreign=0.0)
            rec = np.repeat(voters, 1 + (rng.random(len(voters)) < 0.35))
            sends = np.repeat(np.arange(day - int(rng.integers(3, 7)), day), 2)
            t, pick = w.blasts(len(rec), sends, COUNTRIES[country][2])
            burst = Rates(r.block * rng.uniform(4, 8), r.report * rng.uniform(6, 15), r.opt_out * rng.uniform(3, 6))
            seg = w.segment(burst, R_ELECTION, B_SPAM)
            w.send(b, t, rec, np.asarray(texts)[pick % len(texts)], seg, 0.04)
            w.reply_to(b, t, rec, seg, 0.01, 0.2, b.replies)
        self.elections.extend(polls)

    def scammer(self) -> None:
        rng, w, days = self.rng, self.w, self.days
        cat = str(rng.choice(("finance", "finance", "services", "other", "technology", "retail")))
        created = rng.uniform(max(days - 60, -30), days - 8)
        b = self.business("scammer", cat, created_day=created, verified=False, templates=[])
        lo = max(created, 0) + rng.uniform(0, 3)
        hi = min(lo + rng.uniform(5, 20), days)
        victims = w.people(b.country, int(rng.uniform(100, 400)), foreign=0.1)
        rec = np.repeat(victims, 1 + (rng.random(len(victims)) < 0.5) + (rng.random(len(victims)) < 0.2))
        t, _ = w.blasts(len(rec), self.some_days(lo, hi, 0.7), b.offset)
        scam, free = self.own(b, _SCAM), self.freeform(b)
        text = np.where(rng.random(len(rec)) < 0.7, rng.choice(scam, len(rec)), rng.choice(free, len(rec)))
        seg = w.segment(Rates(rng.uniform(0.08, 0.2), rng.uniform(0.03, 0.08), rng.uniform(0.01, 0.04)), R_SCAM, B_SCAM)
        w.send(b, t, rec, text, seg, rng.uniform(0.05, 0.12))
        w.reply_to(b, t, rec, seg, 0.08, 0.7, free)

    # --- hard negatives -------------------------------------------------------------------------
    def big_country(self) -> int:
        codes = [c for c, *_ in COUNTRIES]
        return codes.index(str(self.rng.choice(BIG_MARKETS)))

    def large(self) -> None:
        rng, w = self.rng, self.w
        cat = str(rng.choice(("retail", "finance", "technology", "travel", "food", "services")))
        b = self.business("large_legit", cat, self.big_country(), -rng.uniform(1000, 4000), True)
        customers = w.people(b.country, self.cap(b.country, max(self.max_normal * rng.uniform(1.5, 2.2), 6000)))
        seg = w.segment(self.scaled(self.rates[cat], 0.7, 1.1))
        w.ordinary(b, customers, self.habits[cat], seg, 0, self.days)

    def seasonal(self) -> None:
        rng, w, days = self.rng, self.w, self.days
        cat = str(rng.choice(("retail", "food", "travel", "services", "other")))
        b = self.business("seasonal_promo", cat, created_day=-rng.uniform(200, 3000), verified=bool(rng.random() < 0.5))
        h, r = self.habits[cat], self.rates[cat]
        customers = w.people(b.country, self.cap(b.country, rng.uniform(800, 2500)))
        w.ordinary(b, customers, h, w.segment(self.jitter(r, 0.5)), 0, days)
        n_talk = int(round(len(customers) * h.talk))
        rec = np.concatenate(
            [
                customers[:n_talk][rng.random(n_talk) < rng.uniform(0.6, 0.9)],
                customers[n_talk:][rng.random(len(customers) - n_talk) < 0.3],
            ]
        )
        rec = np.repeat(rec, rng.integers(4, 8, len(rec)))
        week = int(rng.uniform(0.3 * days, days - 8))
        sends = np.arange(week, week + 7)
        t, pick = w.blasts(len(rec), sends, b.offset)
        promo = Rates(r.block * rng.uniform(0.2, 0.4), r.report * rng.uniform(1.0, 1.5), r.opt_out * rng.uniform(2, 3))
        day_text = rng.choice(b.mkt, len(sends))
        w.send(b, t, rec, day_text[pick], w.segment(promo))

    def growing(self) -> None:
        rng, w, days = self.rng, self.w, self.days
        cat = str(rng.choice(("food", "retail", "services", "technology", "education")))
        created = rng.uniform(-5, days / 3)
        b = self.business("growing_business", cat, created_day=created, verified=bool(rng.random() < 0.3))
        base = self.habits[cat]
        h = Habits(
            0.95, base.chats, base.util_after, base.util_quiet, base.auth, base.codes, base.campaigns, base.reach
        )
        lo = max(created, 0)
        customers = w.people(b.country, self.cap(b.country, rng.uniform(800, 2500)))
        growth = np.log(rng.uniform(8, 20)) / (days - lo)
        w.ordinary(b, customers, h, w.segment(self.jitter(self.rates[cat], 0.5)), lo, days, growth=growth)

    def transactional(self) -> None:
        rng, w = self.rng, self.w
        cat = str(rng.choice(("finance", "travel")))
        templates = [x for x in _TEMPLATES[cat] if x[1] != MARKETING] + [
            _CARD_USED if cat == "finance" else _GATE_CHANGE
        ]
        b = self.business("transactional_sender", cat, self.big_country(), -rng.uniform(1500, 5000), True, templates)
        customers = w.people(b.country, self.cap(b.country, rng.uniform(1500, 4000)))
        h = Habits(rng.uniform(0.04, 0.1), 1.3, 0.3, rng.uniform(3, 5), 0.7, rng.uniform(2, 4), 0.0, 0.0)
        w.ordinary(b, customers, h, w.segment(self.scaled(self.rates[cat], 0.3, 0.6)), 0, self.days)


def planned(businesses: int) -> dict[str, int]:
    """How many businesses each archetype but coordinated_ring gets (rings are `rings` x their
    size): 8 subtle spammers, 4 takeovers, 3 election spammers, 4 scammers and 3 of each hard
    negative per 400 businesses, at least 1 (2 hard negatives of each from 100 businesses)."""
    s = businesses / 400
    hard = 2 if businesses >= 100 else 1
    n = {"subtle_spammer": 8, "account_takeover": 4, "election_spammer": 3, "scammer": 4}
    out = {k: max(1, int(v * s + 0.5)) for k, v in n.items()}
    out |= {k: max(hard, int(3 * s + 0.5)) for k in HARD_NEGATIVES}
    return out


def write_world(
    out_dir: Path,
    *,
    seed: int,
    businesses: int = 400,
    days: int = 60,
    users: int = 150_000,
    mult: tuple[float, float] = (2.0, 4.0),
    ring_size: tuple[int, int] = (3, 8),
    rings: int = 2,
    start: dt.date = DEFAULT_START,
) -> dict:
    """Write a world as log-format v1 CSV files (businesses, messages, reports, blocks, opt_outs)
    plus truth.csv (business_id, archetype: every business that is not normal) into `out_dir`.

    - subtle_spammer: cold marketing templates to 1,500-4,000 strangers (1.7 each on average, in
      bulk sends every 1-3 days), a few of whom write back; a small warm side. Reports per message,
      blocks per reached user and opt-outs are `mult` (drawn per business in the range) times its
      category's typical rates.
    - coordinated_ring: `rings` rings of sizes drawn in `ring_size`; a ring's accounts are created
      within 3 days of each other, share a category and country, and send the same template names
      with texts that differ in one word (or a digit of a link) to overlapping subsets of one list
      of 600-1,200 users over the same 12-22 days; each at 1.5-2.5x its category's rates.
    - account_takeover: created 1-9 years ago, 400-2,500 customers with normal traffic, then for the
      last 5-10 days scam blasts (verify your account, payment pending, send the code) to its
      customers and 1.5-4x as many strangers: 2-5% of messages reported (70% scam), 6-15% of
      reached users block.
    - election_spammer: an election in one country on a day of the last 40% of the period; a 3-6
      day burst before it of political templates to 1,500-5,000 users of that country, 6-15x the
      category's report rate (60% political), 4-8x its block rate; a third are registered under a
      non-political category, some in another country; ordinary traffic otherwise.
    - scammer: created 8-60 days before the end, active 5-20 days, 100-400 strangers, scam
      templates and free-form, answers replies; 3-8% of messages reported (70% scam), 8-20% block.
    - large_legit: 1.5-2.2x the largest normal business (at least 6,000 customers) in a large
      market, verified, at its category's rates or lower.
    - seasonal_promo: a normal business that markets every day for one week to most customers;
      opt-outs 2-3x in that week, few more blocks (0.2-0.4x its rate among that week's recipients).
    - growing_business: created before or during the first third of the period, its customers
      (who write first) grow 8-20x over the period; typical rates.
    - transactional_sender: a bank or airline sending utility and authentication templates to
      1,500-4,000 customers of whom 4-10% ever write; 0.3-0.6x typical feedback.

    Returns the rows per file ("rows"), the business ids per archetype ("archetypes"), the rings'
    members ("rings"), each takeover's first day ("takeover_from"), the elections ("elections"),
    the categories' typical rates ("category_rates") and the period ("period": first and last day).
    """
    if businesses < 50 or not 20 <= days <= 3650 or users < 5_000 or rings < 0:
        raise ValueError("need at least 50 businesses, 20 to 3650 days, 5,000 users and rings >= 0")
    if not 1 <= ring_size[0] <= ring_size[1] or not 0 < mult[0] <= mult[1]:
        raise ValueError("ring_size must be (lo, hi) with 1 <= lo <= hi, mult (lo, hi) with 0 < lo <= hi")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 0xAB05E])
    counts = planned(businesses)
    sizes = [int(rng.integers(ring_size[0], ring_size[1] + 1)) for _ in range(rings)]
    n_normal = businesses - sum(counts.values()) - sum(sizes)
    if n_normal < businesses * 0.5:
        raise ValueError(f"{businesses} businesses are too few for {businesses - n_normal} planted ones")
    w = World(rng, start, days, users)
    rates = {
        c: Rates(rng.uniform(0.002, 0.008), rng.uniform(0.3, 1.6) / 1000, rng.uniform(0.004, 0.02)) for c in CATEGORIES
    }
    habits = {r[0]: Habits(*(float(x) * rng.uniform(0.85, 1.15) for x in r[2:])) for r in _ROWS}
    for h in habits.values():
        h.talk, h.reach = min(h.talk, 0.95), min(h.reach, 0.9)
    g = _Gen(w, rates, habits)
    g.normals(n_normal)
    g.plant(counts, sizes, mult)
    rows = w.finish(out, seed)
    ids = pl.read_csv(out / "truth.csv")
    by_arch = {a: sorted(ids.filter(pl.col("archetype") == a)["business_id"].to_list()) for a in ARCHETYPES}
    biz_id = w.biz_ids
    return {
        "rows": rows,
        "archetypes": by_arch,
        "rings": [[biz_id[i] for i in ring] for ring in g.rings],
        "takeover_from": {biz_id[i]: str(start + dt.timedelta(days=d)) for i, d in g.takeovers.items()},
        "elections": [
            {
                "country": COUNTRIES[c][0],
                "day": str(start + dt.timedelta(days=d)),
                "businesses": [biz_id[i] for i in bs],
            }
            for c, d, bs in g.elections
        ],
        "category_rates": {c: (r.block, r.report * 1000, r.opt_out) for c, r in rates.items()},
        "period": (str(start), str(start + dt.timedelta(days=days - 1))),
    }
