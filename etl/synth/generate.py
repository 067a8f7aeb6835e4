"""Synthetic world: businesses, users, conversations, feedback and Status ads as log-format v1 CSV.

`generate_world` writes one file per kind plus `truth.csv`, the planted bad actors and hard
negatives that the review queue is scored against (`trustdesk evaluate`). `ARCHETYPE_RULES` says
what each archetype does and which signals that leaves in the logs.

How it stays fast, bounded and reproducible:

- The period is cut into time slices of about `CHUNK_MESSAGES` messages. A slice is generated as
  numpy column arrays (no Python loop per row) and sorted by time; ids, timestamps and user ids are
  built as fixed-width byte matrices, low-cardinality columns are gathered from polars Enums, and
  polars writes the rows. One writer thread formats and appends slice k while slice k+1 is
  generated; at most `MAX_QUEUED` slices wait, so memory does not grow with the number of messages.
- Everything that links slices is a pure function of (business, customer slot) or (user, time): a
  business's customers are slots j = 0..K-1 mapped to users by an affine permutation of its
  country's user pool, and slot j first writes to the business at a fixed point of the period (the
  j-th K-quantile of the business's activity curve). Warm marketing picks only slots whose first
  contact lies an hour or more before the send time. State is O(users + businesses + campaigns).
- Every random draw comes from `PCG64` seeded with (seed, purpose, slice index); hashes are
  splitmix64. Files are appended to in slice order by a single thread, so the bytes depend neither
  on timing nor on the thread count.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl
import pyarrow as pa

from etl.contract import (
    AD_EVENTS,
    AD_OBJECTIVES,
    BLOCK_REASONS,
    BUSINESS_CATEGORIES,
    DIRECTIONS,
    KINDS,
    MESSAGE_CATEGORIES,
    OPT_OUT_ACTIONS,
    REPORT_REASONS,
    STATUSES,
)
from etl.ingest.csvfile import TRUTH_COLUMNS  # the loader recognises truth.csv by this header

CHUNK_MESSAGES = 250_000
MAX_QUEUED = 2  # slices generated but not yet written
OUTPUT_FILES = (
    "businesses", "messages", "reports", "blocks", "opt_outs", "ad_campaigns", "ad_events", "truth",
)

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

# --------------------------------------------------------------------------------------------------
# Countries: WhatsApp-like user shares, local time, weekend, Faker locales, Status ads CPM (USD)
# code, user weight, UTC offset (h), weekend (0 = Sat/Sun, 1 = Fri/Sat), locales, CPM
_COUNTRIES = (
    ("IN", 27.0, 5.5, 0, ("en_IN", "hi_IN"), 0.6),
    ("BR", 9.0, -3, 0, ("pt_BR",), 1.6),
    ("ID", 7.0, 7, 0, ("id_ID",), 0.8),
    ("MX", 5.0, -6, 0, ("es_MX",), 1.7),
    ("US", 3.6, -5, 0, ("en_US",), 8.0),
    ("PK", 3.5, 5, 0, ("en_PK",), 0.5),
    ("NG", 2.6, 1, 0, ("en_NG", "yo_NG"), 0.6),
    ("DE", 2.5, 1, 0, ("de_DE",), 6.0),
    ("TR", 2.2, 3, 0, ("tr_TR",), 1.2),
    ("IT", 2.0, 1, 0, ("it_IT",), 4.0),
    ("EG", 2.0, 2, 1, ("ar_EG",), 0.7),
    ("FR", 1.8, 1, 0, ("fr_FR",), 5.0),
    ("ES", 1.8, 1, 0, ("es_ES",), 3.5),
    ("GB", 1.8, 0, 0, ("en_GB",), 6.5),
    ("AR", 1.6, -3, 0, ("es_AR",), 1.4),
    ("RU", 1.5, 3, 0, ("ru_RU",), 1.5),
    ("CO", 1.5, -5, 0, ("es_CO",), 1.3),
    ("ZA", 1.3, 2, 0, ("zu_ZA", "en"), 1.5),
    ("SA", 1.2, 3, 1, ("ar_SA",), 3.0),
    ("BD", 1.0, 6, 1, ("bn_BD", "en_BD"), 0.5),
    ("PH", 1.0, 8, 0, ("en_PH", "fil_PH"), 0.8),
    ("MY", 0.9, 8, 0, ("en",), 1.8),
    ("KE", 0.8, 3, 0, ("en_KE",), 0.7),
    ("PE", 0.8, -5, 0, ("es",), 1.2),
    ("CL", 0.7, -4, 0, ("es_CL",), 2.0),
    ("NL", 0.7, 1, 0, ("nl_NL",), 5.0),
    ("PL", 0.6, 1, 0, ("pl_PL",), 2.5),
    ("UA", 0.6, 2, 0, ("uk_UA",), 0.9),
    ("AE", 0.5, 4, 0, ("ar_AE",), 4.5),
    ("PT", 0.5, 0, 0, ("pt_PT",), 2.5),
    ("MA", 0.5, 1, 0, ("ar_AA",), 0.8),
    ("CA", 0.5, -5, 0, ("en_CA", "fr_CA"), 6.0),
    ("DZ", 0.4, 1, 1, ("fr_DZ", "ar_DZ"), 0.6),
    ("IL", 0.4, 2, 1, ("he_IL",), 4.0),
    ("AU", 0.4, 10, 0, ("en_AU",), 6.0),
    ("GH", 0.4, 0, 0, ("tw_GH",), 0.6),
    ("NP", 0.3, 5.75, 0, ("ne_NP",), 0.5),
    ("LK", 0.3, 5.5, 0, ("si_LK",), 0.5),
    ("VN", 0.3, 7, 0, ("vi_VN",), 0.8),
    ("TH", 0.3, 7, 0, ("th_TH",), 1.0),
    ("CH", 0.3, 1, 0, ("de_CH",), 7.0),
    ("BE", 0.3, 1, 0, ("nl_BE",), 5.0),
    ("AT", 0.3, 1, 0, ("de_AT",), 5.0),
    ("IE", 0.2, 0, 0, ("en_IE",), 6.0),
    ("KZ", 0.2, 5, 0, ("en",), 0.7),
    ("KR", 0.1, 9, 0, ("en",), 5.0),
)
COUNTRY_CODES = tuple(c[0] for c in _COUNTRIES)
_N_COUNTRIES = len(_COUNTRIES)
_USER_W = np.array([c[1] for c in _COUNTRIES])
_TZ = np.array([c[2] for c in _COUNTRIES], dtype=float)
_WEEKEND = np.array([c[3] for c in _COUNTRIES])
_CPM = np.array([c[5] for c in _COUNTRIES])

# local hour-of-day activity (0h..23h): quiet nights, a midday plateau, an evening peak
_HOUR_PROFILE = np.array([
    0.30, 0.16, 0.09, 0.06, 0.05, 0.07, 0.15, 0.35, 0.62, 0.85, 0.98, 1.00,
    0.97, 0.93, 0.92, 0.93, 0.95, 0.98, 1.02, 1.08, 1.10, 0.98, 0.75, 0.50,
])
# weekday factors Monday..Sunday for Sat/Sun weekends and for Fri/Sat weekends
_WEEKDAY_PROFILE = np.array([
    [1.00, 1.02, 1.00, 1.00, 0.97, 0.78, 0.70],
    [1.00, 1.00, 1.00, 1.02, 0.70, 0.80, 1.00],
])

# normal business categories: share, message mix (conversations, utility, authentication, marketing)
_CATEGORY_SHARE = {
    "retail": 0.22, "food": 0.12, "travel": 0.07, "finance": 0.08, "health": 0.08,
    "education": 0.08, "government": 0.03, "politics": 0.02, "agriculture": 0.04,
    "technology": 0.09, "services": 0.12, "other": 0.05,
}
_CATEGORY_MIX = {
    "retail": (0.45, 0.25, 0.05, 0.25), "food": (0.50, 0.30, 0.02, 0.18),
    "travel": (0.40, 0.40, 0.05, 0.15), "finance": (0.30, 0.25, 0.35, 0.10),
    "health": (0.55, 0.35, 0.03, 0.07), "education": (0.55, 0.30, 0.05, 0.10),
    "government": (0.35, 0.50, 0.13, 0.02), "politics": (0.45, 0.15, 0.01, 0.39),
    "agriculture": (0.60, 0.25, 0.01, 0.14), "technology": (0.30, 0.20, 0.40, 0.10),
    "services": (0.55, 0.30, 0.05, 0.10), "other": (0.50, 0.25, 0.05, 0.20),
}
_NAME_SUFFIX = {
    "retail": ("Store", "Mart", "Fashion", "Bazaar", "Outlet", "Shop"),
    "food": ("Kitchen", "Foods", "Café", "Bakery", "Pizza", "Biryani House"),
    "travel": ("Travels", "Tours", "Holidays", "Airways", "Trips"),
    "finance": ("Finance", "Capital", "Bank", "Microcredit", "Insurance"),
    "health": ("Clinic", "Pharmacy", "Diagnostics", "Dental Care", "Hospital"),
    "education": ("Academy", "Institute", "School", "Coaching Centre", "Learning"),
    "government": ("Municipal Services", "Citizen Services", "Public Health Office", "Transport Office"),
    "politics": ("People's Party", "Movement", "Alliance", "Forward", "Youth Front"),
    "agriculture": ("Agro", "Farms", "Seeds", "Kisan Centre", "Cooperative"),
    "technology": ("Tech", "Digital", "Labs", "Telecom", "Software"),
    "services": ("Services", "Repairs", "Salon", "Logistics", "Cleaning"),
    "other": ("Group", "Enterprises", "Trading", "Co.", "Hub"),
}
_SPAM_CATEGORIES = ("retail", "other", "services", "technology", "education", "health")
_LARGE_CATEGORIES = ("retail", "finance", "technology", "travel", "food", "services")

# --------------------------------------------------------------------------------------------------
# Message content. Families: the 12 business categories, then spammer, scammer, election.
_FAM_SPAM, _FAM_SCAM, _FAM_ELECTION = 12, 13, 14
_N_FAMILIES = 15

_TEMPLATES = {
    "retail": (("spring_sale", "flash_deal", "new_arrivals", "cart_reminder", "festive_offer"),
               ("order_update", "shipping_update", "delivery_confirmation", "payment_receipt",
                "return_status"),
               ("otp_code", "login_code")),
    "food": (("weekend_offer", "new_menu", "free_delivery_promo"),
             ("order_confirmed", "order_on_the_way", "table_reservation"), ("otp_code",)),
    "travel": (("holiday_deals", "last_minute_offer"),
               ("booking_confirmation", "flight_status", "checkin_reminder", "boarding_pass"),
               ("otp_code", "login_code")),
    "finance": (("loan_offer", "credit_card_offer"),
                ("transaction_alert", "statement_ready", "payment_due"),
                ("otp_code", "login_verification")),
    "health": (("health_checkup_offer",),
               ("appointment_reminder", "lab_results_ready", "prescription_ready"), ("otp_code",)),
    "education": (("admission_open", "course_launch"),
                  ("class_reminder", "fee_reminder", "exam_results"), ("otp_code",)),
    "government": (("public_awareness",),
                   ("document_status", "appointment_confirmation", "public_alert"),
                   ("citizen_login_code",)),
    "politics": (("campaign_update", "rally_invite", "donation_appeal"), ("event_reminder",),
                 ("otp_code",)),
    "agriculture": (("seed_offer", "fertilizer_discount"),
                    ("weather_alert", "market_prices", "order_update"), ("otp_code",)),
    "technology": (("product_launch", "upgrade_offer"),
                   ("account_update", "subscription_renewal", "security_alert"),
                   ("otp_code", "two_factor_code")),
    "services": (("seasonal_discount", "referral_bonus"),
                 ("appointment_reminder", "booking_confirmation", "invoice_ready"), ("otp_code",)),
    "other": (("special_offer", "newsletter"), ("account_update", "reminder"), ("otp_code",)),
    "spammer": (("special_offer", "winner_notification", "exclusive_deal", "limited_offer",
                 "free_gift"), ("account_update",), ("otp_code",)),
    "scammer": (("investment_opportunity", "crypto_signal", "loan_approved"),
                ("account_verification", "kyc_update", "account_suspended"), ("otp_code",)),
    "election": (("vote_reminder", "rally_invite", "campaign_update", "candidate_message"),
                 ("event_reminder",), ("otp_code",)),
}
_FAMILY_NAMES = BUSINESS_CATEGORIES + ("spammer", "scammer", "election")

_TEMPLATE_TEXTS = {
    "spring_sale": ("Spring Sale is ON! Up to 50% off on everything. Shop now 🌸",
                    "Our Spring Sale ends Sunday, grab your favourites before they're gone!"),
    "flash_deal": ("⚡ Flash deal: 2 for 1 today only, while stocks last.",
                   "Only 6 hours left on today's flash deal!"),
    "new_arrivals": ("New arrivals just landed. Be the first to see them 👀",
                     "Fresh styles are in store, reply YES to get the catalogue."),
    "cart_reminder": ("You left something in your cart. Complete your order and get free shipping.",),
    "festive_offer": ("Festive offer: extra 20% off with code FEST20 🎉",
                      "Celebrate with us, special festive prices on all items."),
    "order_update": ("Your order #48213 has been packed and will ship today.",
                     "Update: your order is ready for pickup.",
                     "Your order was delivered. Thank you for shopping with us!"),
    "shipping_update": ("Your parcel is on its way 📦 Track it with the link in your account.",
                        "Your shipment is out for delivery today."),
    "delivery_confirmation": ("Delivered! Your package was handed over at 14:32.",),
    "payment_receipt": ("Payment received: thank you. Your receipt is attached.",
                        "We received your payment of 1,499.00. Receipt no. 20931."),
    "return_status": ("Your return was accepted; the refund will reach you in 5-7 days.",),
    "otp_code": ("482913 is your verification code. For your security, do not share this code.",
                 "Your one-time code is 730215. It expires in 10 minutes.",
                 "Use 119847 to verify your account. Never share it with anyone."),
    "login_code": ("Your login code is 556021.", "Code 904417: use it to sign in."),
    "login_verification": ("Your login verification code is 310582. Didn't try to sign in? Call us.",),
    "two_factor_code": ("Your two-factor authentication code is 664190.",),
    "citizen_login_code": ("Your citizen portal code is 728844. Valid for 5 minutes.",),
    "weekend_offer": ("Weekend treat 🍕 Buy one get one free, Saturday & Sunday.",
                      "This weekend: free dessert with every order over 20."),
    "new_menu": ("Our new menu is here! Try the chef's specials this week.",),
    "free_delivery_promo": ("Free delivery on your next order, today only 🛵",),
    "order_confirmed": ("Order confirmed! Your food will be ready in 25 minutes.",
                        "We got your order, the kitchen is on it 👨‍🍳"),
    "order_on_the_way": ("Your order is on the way. Rider: Ravi, ETA 15 min.",),
    "table_reservation": ("Your table for 4 is booked for Friday 20:00. See you soon!",),
    "holiday_deals": ("Holiday deals: beach packages from 299, book before Friday ✈️",
                      "Your next trip is waiting: up to 40% off selected hotels."),
    "last_minute_offer": ("Last-minute offer: weekend getaway with breakfast included.",),
    "booking_confirmation": ("Booking confirmed. Reference ABX72Q. Check-in from 14:00.",
                             "Your booking is confirmed, we look forward to welcoming you."),
    "flight_status": ("Flight update: your flight is on time, boarding at gate 12.",
                      "Your flight has been delayed by 45 minutes. We apologise."),
    "checkin_reminder": ("Online check-in is now open for your trip tomorrow.",),
    "boarding_pass": ("Here is your boarding pass. Have a great flight!",),
    "loan_offer": ("You are pre-approved for a personal loan at a special rate. Reply to know more.",),
    "credit_card_offer": ("Lifetime-free credit card with 5% cashback, apply in 2 minutes.",),
    "transaction_alert": ("Debit of 2,350.00 on your account ending 4821. Not you? Call us.",
                          "Credit of 12,000.00 received in your account ending 0937."),
    "statement_ready": ("Your monthly statement is ready in the app.",),
    "payment_due": ("Reminder: your payment of 3,200.00 is due on the 5th.",),
    "health_checkup_offer": ("Full-body health check-up at 30% off this month. Book now.",),
    "appointment_reminder": ("Reminder: your appointment is tomorrow at 10:30.",
                             "See you today at 16:00. Reply C to cancel."),
    "lab_results_ready": ("Your lab results are ready. Log in to view them.",),
    "prescription_ready": ("Your prescription is ready for pickup at the counter.",),
    "admission_open": ("Admissions open for the new session. Limited seats!",),
    "course_launch": ("New course launched: Data Skills in 8 weeks. Early-bird price ends soon.",),
    "class_reminder": ("Reminder: your class starts at 18:00 today.",),
    "fee_reminder": ("Friendly reminder: term fees are due by the 10th.",),
    "exam_results": ("Your exam results are published on the student portal.",),
    "public_awareness": ("Vaccination drive this Saturday at all community centres.",),
    "document_status": ("Your application is approved. Collect your document from counter 3.",
                        "Your application is under review. Ref. 2026/118734."),
    "appointment_confirmation": ("Your appointment at the service centre is confirmed for Monday 09:15.",),
    "public_alert": ("Heavy rain alert for your area tonight. Stay safe.",
                     "Water supply will be interrupted tomorrow 10:00-14:00."),
    "campaign_update": ("Thank you for standing with us! Here is what we achieved this month.",
                        "Our campaign is growing, join the volunteers this weekend."),
    "rally_invite": ("Join us at the rally on Sunday 5 pm, Central Square!",
                     "Big rally tomorrow, bring your friends and family!"),
    "donation_appeal": ("Every contribution counts. Support the campaign today.",),
    "event_reminder": ("Reminder: town hall meeting tomorrow at 18:00.",),
    "seed_offer": ("Certified seeds for the new season, 10% off for members.",),
    "fertilizer_discount": ("Fertilizer discount this week only at your nearest centre.",),
    "weather_alert": ("Weather alert: rain expected in the next 48 hours, plan your harvest.",),
    "market_prices": ("Today's market prices: wheat 2,275/qtl, onion 1,480/qtl.",),
    "product_launch": ("Meet our newest release, faster and smarter. See what's new 🚀",),
    "upgrade_offer": ("Upgrade to Premium and get 3 months free.",),
    "account_update": ("Your account details were updated successfully.",
                       "Your account settings have changed. Wasn't you? Contact support."),
    "subscription_renewal": ("Your subscription renews on the 12th. No action needed.",),
    "security_alert": ("New sign-in to your account from a new device.",),
    "seasonal_discount": ("Seasonal discount: 25% off all services this month.",),
    "referral_bonus": ("Refer a friend and both of you get 10 off your next booking.",),
    "invoice_ready": ("Your invoice INV-20931 is ready. Thank you for your business.",),
    "special_offer": ("Special offer just for you, reply YES to claim it.",
                      "Don't miss our special offer, this week only!"),
    "newsletter": ("This month's news: new products, events and tips. Read more in our app.",),
    "reminder": ("Just a reminder from our team, let us know if you need anything.",),
    "winner_notification": ("CONGRATULATIONS!!! You have WON a brand new phone 📱 Claim now: bit.ly/claim-prize",
                            "You are our lucky winner of 10,000! Reply with your name & address to receive it"),
    "exclusive_deal": ("EXCLUSIVE: branded watches at 90% OFF!!! Only today, click the link",
                       "Earn 5000/day from home, no experience needed. Reply 'YES'"),
    "limited_offer": ("LIMITED OFFER!!! Buy now or lose it forever >>> shop-best-deals.example",),
    "free_gift": ("🎁 FREE GIFT waiting for you! Just pay shipping. Reply GIFT",
                  "Your free gift card is ready, claim before midnight!!!"),
    "investment_opportunity": ("Guaranteed 30% monthly returns. Invest 500 today, withdraw anytime. Limited slots!",
                               "Our VIP investors doubled their money in 2 weeks. Want in? Reply YES"),
    "crypto_signal": ("🚀 Crypto signal: BUY now, 10x expected by Friday. Join our VIP group",),
    "loan_approved": ("Your loan of 50,000 is APPROVED. Pay the 1,000 processing fee to release funds.",),
    "account_verification": ("Dear customer, your bank account will be BLOCKED today. Verify now: secure-bank-verify.example",
                             "Unusual activity detected. Confirm your card number and PIN to keep your account active."),
    "kyc_update": ("Your KYC has expired. Update within 24 hrs or your account will be suspended. Call 0800-FAKE",),
    "account_suspended": ("Your account has been suspended. Send your OTP to our agent to reactivate.",),
    "vote_reminder": ("Your vote decides the future! Vote for change on election day 🗳️",
                      "Don't let them steal your future. Vote for us this Sunday!"),
    "candidate_message": ("A personal message from your candidate: together we will win!",
                          "They lied to you for years. Only we tell the truth. Share this message!"),
}

_INBOUND = {
    "retail": ("Hi, is this still available?", "Do you have it in size M?", "Where is my order?",
               "Can I return this?", "What are your opening hours?", "Price please"),
    "food": ("Hi, I'd like to order 2 pizzas", "Are you open now?", "My order is late",
             "Do you deliver to Sector 5?", "Can I book a table for tonight?"),
    "travel": ("I need to change my booking", "Is breakfast included?", "Can I get a refund?",
               "What time is check-in?", "Hola, tienen disponibilidad para el sábado?"),
    "finance": ("I can't log in to the app", "How do I block my card?",
                "Wrong amount debited from my account", "What is the interest rate?"),
    "health": ("Can I book an appointment for tomorrow?", "Are my test results ready?",
               "Is the doctor available on Saturday?", "Do you have paracetamol in stock?"),
    "education": ("When does the next batch start?", "How much are the fees?",
                  "I missed today's class", "Can I get the study material?"),
    "government": ("What documents do I need?", "My application status please",
                   "Is the office open on Saturday?", "How do I pay the water bill?"),
    "politics": ("How can I volunteer?", "Where is the meeting?", "What is your plan for jobs?"),
    "agriculture": ("What is today's price for wheat?", "Do you have urea in stock?",
                    "Will it rain this week?"),
    "technology": ("My internet is not working", "How do I reset my password?",
                   "I was charged twice", "Is there an outage?"),
    "services": ("Can someone come tomorrow morning?", "How much for a full cleaning?",
                 "I want to reschedule", "Do you work on Sundays?"),
    "other": ("Hello", "I have a question", "Can you call me?"),
    "_generic": ("Hi", "Hello 👋", "Thanks!", "ok", "Thank you so much 🙏", "Obrigado!",
                 "Gracias", "धन्यवाद", "Bonjour, j'ai une question", "Merhaba", "Terima kasih",
                 "ok \"got it\""),
}
_INBOUND_REPLY_NORMAL = ("Interested! Tell me more", "Is it available in blue?", "Thanks", "STOP",
                         "ok 👍", "Can I change the delivery date?", "How much?")
_INBOUND_REPLY_BAD = ("Who is this?", "STOP", "How did you get my number?",
                      "Please stop messaging me", "Is this real?", "Not interested",
                      "Remove me from your list", "Reported.")
_INBOUND_AD = ("Hi! I saw your ad on Status 👋", "Hello, I want to know more about this offer",
               "Is this still available?", "Price?", "Can you send the catalogue?")
_SERVICE = {
    "_generic": ("Hi! Thanks for reaching out, how can we help?", "Sure, let me check that for you.",
                 "Thank you for your patience.", "Anything else we can help with?",
                 "Done ✅", "You're welcome! Have a great day."),
    "retail": ("Yes, it's in stock in all sizes.", "Your order ships tomorrow.",
               "You can return it within 30 days."),
    "food": ("Your order is being prepared 🍳", "Yes, we deliver there. Minimum order 10."),
    "travel": ("Your booking has been updated.", "Breakfast is included, from 7 to 10."),
    "finance": ("For your security, never share your PIN. Please use the app to block the card.",
                "We have raised a complaint, reference CR-88213."),
    "health": ("The doctor is available at 11:00, shall I book it?",),
    "education": ("The next batch starts on Monday.", "Fees are 4,500 per term."),
    "government": ("Please bring your ID card and proof of address.",),
    "politics": ("Thank you for your support! The meeting is at the community hall.",),
    "agriculture": ("Urea is in stock at the Rampur centre.",),
    "technology": ("We're aware of an outage in your area, fix expected by 18:00.",
                   "Please restart the router and try again."),
    "services": ("Our technician can come at 9:00 tomorrow.",),
    "other": ("Sure, we'll call you shortly.",),
}
_FREEFORM = {
    _FAM_SPAM: ("Hello dear, check our amazing deals!!! Reply YES",
                "Hi, are you interested in earning from home?",
                "Last chance!!! Offer expires in 1 hour"),
    _FAM_SCAM: ("Hello sir/madam, this is your bank. Please share the OTP you just received.",
                "Dear customer, your parcel is held at customs. Pay 2.99 fee: parcel-release.example",
                "Hi, I'm from the investment desk. Reply to start earning today 💰"),
}

# --------------------------------------------------------------------------------------------------
# Feedback reason profiles
_REPORT_PROFILES = np.array([
    # spam scam offensive political other
    [0.50, 0.05, 0.07, 0.03, 0.35],  # normal
    [0.35, 0.02, 0.10, 0.33, 0.20],  # normal politics business
    [0.80, 0.08, 0.03, 0.01, 0.08],  # spammer
    [0.20, 0.70, 0.02, 0.01, 0.07],  # scammer
    [0.35, 0.02, 0.05, 0.55, 0.03],  # election spammer
])
_BLOCK_PROFILES = np.array([
    # no_longer_needed didnt_sign_up spam offensive other (none)
    [0.35, 0.10, 0.12, 0.03, 0.12, 0.28],
    [0.30, 0.12, 0.15, 0.10, 0.10, 0.23],
    [0.03, 0.35, 0.45, 0.02, 0.05, 0.10],
    [0.03, 0.25, 0.42, 0.05, 0.15, 0.10],
    [0.05, 0.28, 0.35, 0.15, 0.05, 0.12],
])
_PROFILE_BY_ARCHETYPE = {NORMAL: 0, LARGE: 0, NEW: 0, SPAMMER: 2, SCAMMER: 3, ELECTION: 4}

# stream kinds
_CONV, _SLOT, _WARM, _COLD = range(4)
# message category codes (index into MESSAGE_CATEGORIES) and the null code
_MKT, _UTIL, _AUTH, _SERV, _NULLCAT = 0, 1, 2, 3, 4
_FAILED = STATUSES.index("failed")
_NULLSTATUS = len(STATUSES)
assert MESSAGE_CATEGORIES[:4] == ("marketing", "utility", "authentication", "service")
assert STATUSES == ("sent", "delivered", "read", "failed")
assert DIRECTIONS == ("inbound", "outbound")

_P_IN = 0.55   # inbound messages per conversation ~ geometric(0.55), mean 1.82
_P_OUT = 0.5   # answers per answered conversation ~ geometric(0.5), mean 2
_DAY = 86_400


# ==================================================================================================
# helpers


def _rng(seed: int, purpose: str, index: int = 0) -> np.random.Generator:
    entropy = [int(seed) % (1 << 64), zlib.crc32(purpose.encode()), int(index)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def _hash01(a: np.ndarray, b: np.ndarray, salt: int) -> np.ndarray:
    """A uniform [0, 1) value that is a pure function of (a, b, salt): splitmix64 finaliser."""
    with np.errstate(over="ignore"):
        x = a.astype(np.uint64) * _GOLD + b.astype(np.uint64) * _M2 + np.uint64(salt & 0xFFFFFFFF)
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


_PRIMES: list[int] = []


def _big_primes() -> list[int]:
    """64 primes just below 2**31: strides of the slot permutations (coprime with any pool size)."""
    if not _PRIMES:
        limit = 46_341
        sieve = np.ones(limit + 1, dtype=bool)
        sieve[:2] = False
        for i in range(2, int(limit ** 0.5) + 1):
            if sieve[i]:
                sieve[i * i::i] = False
        small = np.flatnonzero(sieve)
        n = (1 << 31) - 1
        while len(_PRIMES) < 64:
            if n % 2 and not np.any(n % small[small < n] == 0):
                _PRIMES.append(n)
            n -= 2
    return _PRIMES


def _fixed_width(matrix: np.ndarray, name: str) -> pl.Series:
    """A String series from an (n, width) uint8 matrix of ASCII, without a Python loop."""
    n, w = matrix.shape
    data = np.ascontiguousarray(matrix).reshape(-1)
    offsets = np.arange(0, n * w + 1, w, dtype=np.int32)
    arr = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    return pl.Series(name, arr)


_DIGITS4 = (np.arange(10_000)[:, None] // np.array([1000, 100, 10, 1]) % 10 + 48).astype(np.uint8)
_DIGITS4_U32 = _DIGITS4.copy().view(np.uint32).reshape(-1)  # the same four bytes as one word


def _id_matrix(prefix: str, values: np.ndarray, width: int) -> np.ndarray:
    """prefix + zero-padded decimal of values (int64 >= 0) as an (n, len(prefix) + width) matrix."""
    p = len(prefix)
    n = len(values)
    groups = -(-width // 4)
    words = np.empty((n, groups), dtype=np.uint32)
    v = values.astype(np.int64)
    for g in range(groups - 1, -1, -1):
        v, r = np.divmod(v, 10_000)
        words[:, g] = _DIGITS4_U32[r]
    out = np.empty((n, p + width), dtype=np.uint8)
    out[:, p:] = words.view(np.uint8)[:, groups * 4 - width:]
    if p:
        out[:, :p] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    return out


def _id_series(name: str, prefix: str, values: np.ndarray, width: int) -> pl.Series:
    return _fixed_width(_id_matrix(prefix, values, width), name)


def _enum_source(values: tuple[str, ...] | list[str], with_null: bool = True) -> pl.Series:
    """A series holding each value once (plus a trailing null): gathering from it builds a column."""
    items = list(values) + ([None] if with_null else [])
    return pl.Series(items, dtype=pl.Enum(list(values)))


def _pick(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw: cum is (n, k) cumulative probabilities, u is (n,) uniforms."""
    return (u[:, None] >= cum[:, :-1]).sum(axis=1)


# ==================================================================================================
# content tables


@dataclass
class _Content:
    texts: list[str]           # unique text bodies (Enum categories of the text column)
    pool_items: np.ndarray     # text index per pool entry
    pool_off: dict[str, int]
    pool_cnt: dict[str, int]
    templates: list[str]       # unique template names
    tpl_pool_off: np.ndarray   # per template: its texts in pool_items
    tpl_pool_cnt: np.ndarray
    fam_tpl: np.ndarray        # template indices, grouped by (family, category)
    fam_off: np.ndarray        # (families, 3) offsets into fam_tpl
    fam_cnt: np.ndarray


def _build_content() -> _Content:
    texts: list[str] = []
    text_idx: dict[str, int] = {}
    items: list[int] = []
    pool_off: dict[str, int] = {}
    pool_cnt: dict[str, int] = {}

    def add_pool(key: str, values) -> None:
        pool_off[key] = len(items)
        for v in values:
            if v not in text_idx:
                text_idx[v] = len(texts)
                texts.append(v)
            items.append(text_idx[v])
        pool_cnt[key] = len(values)

    for cat in BUSINESS_CATEGORIES:
        add_pool(f"in:{cat}", _INBOUND[cat] + _INBOUND["_generic"])
        add_pool(f"service:{cat}", _SERVICE[cat] + _SERVICE["_generic"])
    add_pool("in:reply_normal", _INBOUND_REPLY_NORMAL)
    add_pool("in:reply_bad", _INBOUND_REPLY_BAD)
    add_pool("in:ad", _INBOUND_AD)
    add_pool(f"ff:{_FAM_SPAM}", _FREEFORM[_FAM_SPAM])
    add_pool(f"ff:{_FAM_SCAM}", _FREEFORM[_FAM_SCAM])
    templates = sorted({t for fam in _TEMPLATES.values() for cat in fam for t in cat})
    assert all(_csv_field(t) == t for t in templates)  # written unquoted
    for t in templates:
        add_pool(f"tpl:{t}", _TEMPLATE_TEXTS[t])
    tpl_index = {t: i for i, t in enumerate(templates)}
    fam_tpl: list[int] = []
    fam_off = np.zeros((_N_FAMILIES, 3), dtype=np.int64)
    fam_cnt = np.zeros((_N_FAMILIES, 3), dtype=np.int64)
    for f, fam in enumerate(_FAMILY_NAMES):
        for k, names in enumerate(_TEMPLATES[fam]):
            fam_off[f, k] = len(fam_tpl)
            fam_cnt[f, k] = len(names)
            fam_tpl.extend(tpl_index[t] for t in names)
    return _Content(
        texts=texts, pool_items=np.array(items, dtype=np.int64), pool_off=pool_off,
        pool_cnt=pool_cnt, templates=templates,
        tpl_pool_off=np.array([pool_off[f"tpl:{t}"] for t in templates], dtype=np.int64),
        tpl_pool_cnt=np.array([pool_cnt[f"tpl:{t}"] for t in templates], dtype=np.int64),
        fam_tpl=np.array(fam_tpl, dtype=np.int64), fam_off=fam_off, fam_cnt=fam_cnt,
    )


# ==================================================================================================
# the world plan: everything that is O(users + businesses + campaigns)


@dataclass
class _Plan:
    days: int
    hours: int
    start: dt.date
    n_users: int
    # users
    home: np.ndarray           # home country per user
    moved_at: np.ndarray       # second of the period from which the user has new_country
    new_country: np.ndarray
    pool_start: np.ndarray     # users are laid out by home country
    pool_n: np.ndarray
    user_ids: np.ndarray       # (n_users, 10) uint8
    # activity curves: cumulative normalised intensity per country at hour edges, flattened
    cum: np.ndarray
    guide: np.ndarray
    # businesses
    n_b: int
    b_ids: list[str]
    b_arch: np.ndarray
    b_country: np.ndarray
    b_family: np.ndarray
    b_fail: np.ndarray
    b_phi: np.ndarray          # share of foreign customer slots
    b_off: np.ndarray
    b_stride: np.ndarray
    b_off2: np.ndarray
    b_stride2: np.ndarray
    b_K: np.ndarray            # conversational customer slots
    b_conv: np.ndarray         # CONV stream of the business
    b_late: np.ndarray         # share of answers given after 24 h
    b_answer: np.ndarray       # share of customer conversations answered
    # streams
    s_kind: np.ndarray
    s_b: np.ndarray
    s_c: np.ndarray            # country whose rhythm the stream follows
    s_a: np.ndarray            # active window in hours [a, e)
    s_e: np.ndarray
    s_La: np.ndarray
    s_Le: np.ndarray
    s_units: np.ndarray        # expected units over the window (conversations or templates)
    s_cat_cum: np.ndarray      # (S, 4) cumulative category probabilities of template streams
    s_slots: np.ndarray        # slot range of SLOT streams
    s_target: np.ndarray       # COLD: target country
    s_psi: np.ndarray          # COLD: share of recipients drawn from all countries
    s_reply: np.ndarray        # probability a recipient answers a template
    s_reply_answer: np.ndarray # probability the business answers that reply
    s_p_block: np.ndarray
    s_p_report: np.ndarray
    s_p_opt: np.ndarray
    s_profile: np.ndarray      # feedback reason profile
    s_reply_pool: np.ndarray   # 0 normal, 1 bad
    # campaigns
    n_camp: int
    camp_b: np.ndarray
    camp_c: np.ndarray         # rhythm country (first target)
    camp_a: np.ndarray
    camp_e: np.ndarray
    camp_La: np.ndarray
    camp_Le: np.ndarray
    camp_imps: np.ndarray
    camp_R: np.ndarray         # audience slots
    camp_off: np.ndarray
    camp_stride: np.ndarray
    camp_ctr: np.ndarray
    camp_rr: np.ndarray
    camp_factor: np.ndarray
    camp_cpc: np.ndarray
    camp_cflat: np.ndarray     # cumulative country weights + campaign index, flattened
    camp_cidx: np.ndarray      # country per flattened entry
    # output rows of the dimensions
    b_cat: list[str]
    campaign_ids: list[str]
    n_truth: int
    dimensions: Callable[[], dict[str, pl.DataFrame]]
    ad_conv_units: float


def _activity_curves(start: dt.date, hours: int) -> tuple[np.ndarray, np.ndarray]:
    """Per country, the cumulative normalised intensity at each hour edge 0..hours (flattened), and
    a guide table for the inverse: the hour in which each 1/(8 * hours) quantile step starts."""
    i = np.arange(hours)
    local = i[None, :] + _TZ[:, None]
    hod = np.floor(local % 24).astype(int)
    day = np.floor(local / 24).astype(int)
    wd = (start.weekday() + day) % 7
    w = _HOUR_PROFILE[hod] * _WEEKDAY_PROFILE[_WEEKEND[:, None], wd]
    w = w * (1.0 + 0.1 * i / max(hours, 1))[None, :]  # slow growth over the period
    cum = np.concatenate([np.zeros((_N_COUNTRIES, 1)), np.cumsum(w, axis=1)], axis=1)
    cum /= cum[:, -1:]
    steps = np.arange(_GUIDE * hours) / (_GUIDE * hours)
    guide = np.stack([np.searchsorted(row, steps, side="right") - 1 for row in cum])
    return cum.reshape(-1), np.clip(guide, 0, hours - 1).reshape(-1)


_GUIDE = 8


def _lam(plan: _Plan, c: np.ndarray, t_hours: np.ndarray) -> np.ndarray:
    """Cumulative intensity (0..1) of country c at time t (hours, 0..hours): piecewise linear."""
    h = plan.hours
    i = np.clip(t_hours.astype(np.int64), 0, h - 1)
    base = c * (h + 1) + i
    lo = plan.cum[base]
    return lo + (t_hours - i) * (plan.cum[base + 1] - lo)


def _lam_inv(plan: _Plan, c: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The time (hours) at which country c's cumulative intensity reaches y."""
    h = plan.hours
    q = _GUIDE * h
    b = plan.guide[c * q + np.clip((y * q).astype(np.int64), 0, q - 1)]
    base = c * (h + 1)
    while True:  # the guide lands at most a few hours early (quiet nights): step forward
        ahead = (plan.cum[base + b + 1] <= y) & (b < h - 1)
        if not ahead.any():
            break
        b = b + ahead
    lo = plan.cum[base + b]
    return b + (y - lo) / (plan.cum[base + b + 1] - lo)


def _alloc(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Integers >= minimum summing to about total, proportional to weights (largest remainder)."""
    raw = weights / weights.sum() * total
    out = np.maximum(np.floor(raw).astype(np.int64), minimum)
    rest = total - out.sum()
    if rest > 0:
        order = np.argsort(-(raw - np.floor(raw)), kind="stable")
        out[order[:rest]] += 1
    return out


def _country_choice(rng: np.random.Generator, n: int, power: float = 1.0) -> np.ndarray:
    p = _USER_W ** power
    return rng.choice(_N_COUNTRIES, size=n, p=p / p.sum())


_UNORDERED_CITIES = {"it_IT"}
_FAKER_PROVIDERS = ["faker.providers.company", "faker.providers.person", "faker.providers.address"]


def _business_names(seed: int, countries: np.ndarray, categories: list[str],
                    arch: np.ndarray) -> list[str]:
    from faker import Faker

    fakers: dict[str, Faker] = {}
    names = []
    rng = _rng(seed, "business-names")
    for i, (c, cat) in enumerate(zip(countries, categories)):
        locales = _COUNTRIES[c][4]
        loc = locales[int(rng.integers(len(locales)))]
        if loc not in fakers:
            fakers[loc] = Faker(loc, providers=_FAKER_PROVIDERS)
        fake = fakers[loc]
        fake.seed_instance(int(rng.integers(1 << 62)))
        suffix = _NAME_SUFFIX[cat][int(rng.integers(len(_NAME_SUFFIX[cat])))]
        # Faker's it_IT cities come from a set, in an order that changes with PYTHONHASHSEED
        city = fake.last_name if loc in _UNORDERED_CITIES else fake.city
        style = rng.random()
        if cat == "government":
            name = f"{city()} {suffix}"
        elif cat == "politics":
            name = (f"{fake.last_name()} for {city()}" if style < 0.4
                    else f"{city()} {suffix}")
        elif style < 0.35:
            name = fake.company()
        elif style < 0.55:
            name = f"{fake.last_name()} {suffix}"
        elif style < 0.68:
            name = f"{fake.last_name()} & {fake.last_name()}"
        elif style < 0.76:
            name = f"{fake.last_name()} & Sons {suffix}"
        elif style < 0.82:
            name = f"{fake.first_name()}'s \"{fake.last_name()}\" {suffix}"
        elif style < 0.90:
            name = f"{city()} {suffix}"
        else:
            name = f"{fake.first_name()}'s {suffix}"
        names.append(name.strip())
    # one name with markup: names may contain any characters, HTML included
    spam = np.flatnonzero(arch == SPAMMER)
    if len(spam):
        names[spam[0]] = "<b>MEGA</b> Deals & \"Offers\" <script>alert('hi')</script>"
    return names


def _fmt_ts(epoch_start: int, seconds: np.ndarray) -> list[str]:
    base = dt.datetime.fromtimestamp(epoch_start, tz=dt.timezone.utc)
    return [(base + dt.timedelta(seconds=int(s))).strftime("%Y-%m-%dT%H:%M:%SZ") for s in seconds]


def _plan_world(seed: int, n_b: int, days: int, n_messages: int, start: dt.date) -> _Plan:
    rng = _rng(seed, "plan")
    hours = days * 24
    period = days * _DAY
    epoch_start = int(dt.datetime(start.year, start.month, start.day,
                                  tzinfo=dt.timezone.utc).timestamp())
    primes = np.array(_big_primes(), dtype=np.int64)

    # ---- users -----------------------------------------------------------------------------------
    n_users = max(500, int(round(n_messages / 4)))
    pool_n = _alloc(n_users, _USER_W, 3)
    n_users = int(pool_n.sum())
    pool_start = np.concatenate([[0], np.cumsum(pool_n)[:-1]]).astype(np.int64)
    home = np.repeat(np.arange(_N_COUNTRIES), pool_n).astype(np.int16)
    urng = _rng(seed, "users")
    # opaque ids: an injective affine map of the index into 9 digits
    p_mod = 999_999_937
    mult = int(urng.integers(100_000_000, p_mod - 1))
    add = int(urng.integers(0, p_mod))
    perm = (np.arange(n_users, dtype=np.int64) * mult + add) % p_mod
    user_ids = _id_matrix("u", perm, 9)
    n_movers = int(round(0.005 * n_users))
    movers = np.sort(urng.choice(n_users, size=n_movers, replace=False))
    moved_at = np.full(n_users, np.iinfo(np.int64).max, dtype=np.int64)
    moved_at[movers] = urng.integers(int(0.15 * period), int(0.85 * period), size=n_movers)
    new_country = home.copy()
    shift = urng.integers(1, _N_COUNTRIES, size=n_movers)
    dest = _country_choice(urng, n_movers)
    dest = np.where(dest == home[movers], (home[movers] + shift) % _N_COUNTRIES, dest)
    new_country[movers] = dest

    cum, guide = _activity_curves(start, hours)

    # ---- businesses ------------------------------------------------------------------------------
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
        arch[order[pos:pos + counts[a]]] = a
        pos += counts[a]

    b_country = _country_choice(rng, n_b, power=0.7)
    b_country = np.where(arch == LARGE, _country_choice(rng, n_b, power=1.2), b_country)
    bad = np.isin(arch, (SPAMMER, SCAMMER, ELECTION))
    b_country = np.where(bad, _country_choice(rng, n_b, power=1.0), b_country)
    cat_names = list(_CATEGORY_SHARE)
    cat_p = np.array(list(_CATEGORY_SHARE.values()))
    b_cat = [cat_names[i] for i in rng.choice(len(cat_names), size=n_b, p=cat_p / cat_p.sum())]
    for i in range(n_b):
        if arch[i] == SPAMMER:
            b_cat[i] = _SPAM_CATEGORIES[int(rng.integers(len(_SPAM_CATEGORIES)))]
        elif arch[i] == SCAMMER:
            b_cat[i] = "finance"
        elif arch[i] == ELECTION:
            b_cat[i] = "politics"
        elif arch[i] == LARGE:
            b_cat[i] = _LARGE_CATEGORIES[int(rng.integers(len(_LARGE_CATEGORIES)))]
    cat_idx = np.array([BUSINESS_CATEGORIES.index(c) for c in b_cat])
    family = cat_idx.copy()
    family[arch == SPAMMER] = _FAM_SPAM
    family[arch == SCAMMER] = _FAM_SCAM
    family[arch == ELECTION] = _FAM_ELECTION

    employees = np.clip(np.round(rng.lognormal(np.log(12), 1.6, n_b)), 1, 250_000).astype(np.int64)
    employees = np.where(arch == LARGE, rng.integers(2_000, 80_000, n_b), employees)
    employees = np.where(np.isin(arch, (SPAMMER, SCAMMER, NEW)),
                         rng.integers(1, 15, n_b), employees)
    employees = np.where(arch == ELECTION, rng.integers(5, 300, n_b), employees)
    p_ver = np.clip(0.03 + 0.14 * np.log10(employees), 0.02, 0.8)
    p_ver = np.select(
        [arch == LARGE, arch == SPAMMER, arch == SCAMMER, arch == NEW, arch == ELECTION],
        [1.0, 0.08, 0.0, 0.05, 0.3], p_ver)
    verified = rng.random(n_b) < p_ver

    # created_at, seconds relative to the period start; active window start in hours
    created = -rng.integers(20 * _DAY, 8 * 365 * _DAY, n_b)
    during = (arch == NORMAL) & (rng.random(n_b) < 0.03)
    created = np.where(during, rng.integers(0, max(1, period // 2), n_b), created)
    recent = -rng.integers(_DAY, 40 * _DAY, n_b)
    created = np.where(np.isin(arch, (SPAMMER, SCAMMER)) & (rng.random(n_b) < 0.5), recent, created)
    new_lo = max(0, period - int(6 * _DAY))
    new_hi = max(new_lo + 1, period - int(1.5 * _DAY))
    if new_lo >= new_hi - 3600:
        new_lo, new_hi = int(period * 0.5), int(period * 0.8)
    created = np.where(arch == NEW, rng.integers(new_lo, new_hi, n_b), created)
    win_a = np.maximum(created, 0) / 3600.0
    win_e = np.full(n_b, float(hours))

    # bad actors' windows
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

    # volumes: heavy-tailed, bad actors of varied size, large_legit above every normal business
    w = rng.lognormal(0.0, 1.15, n_b)
    # a country's businesses together send about its share of users (the pools must hold their
    # customers); the heavy tail lives inside each country
    normal = arch == NORMAL
    country_w = np.bincount(b_country[normal], weights=w[normal], minlength=_N_COUNTRIES)
    user_share = _USER_W / _USER_W[country_w > 0].sum()
    scale = np.where(country_w > 0, user_share / np.maximum(country_w / w[normal].sum(), 1e-12), 1)
    w = w * scale[b_country]
    normal_w = w[arch == NORMAL]
    med = float(np.median(normal_w)) if len(normal_w) else 1.0
    top = float(normal_w.max()) if len(normal_w) else 1.0
    w = np.where(arch == LARGE, top * rng.uniform(1.1, 1.5, n_b), w)
    w = np.where(arch == SPAMMER, med * rng.lognormal(np.log(2.5), 0.7, n_b), w)
    w = np.where(arch == SCAMMER, med * rng.lognormal(np.log(2.0), 0.7, n_b), w)
    w = np.where(arch == ELECTION, med * rng.lognormal(np.log(3.5), 0.5, n_b), w)
    new_msgs = np.where(arch == NEW, np.minimum(rng.integers(90, 200, n_b), 0.004 * n_messages),
                        0.0)
    w = np.where(arch == NEW, 0.0, w)
    # cold senders draw strangers from their country: keep them from flooding a small one
    share_cap = 1.2 * pool_n[b_country] / max(n_messages, 1)
    w_share = w / w.sum()
    w = np.where(bad & (w_share > share_cap), share_cap * w.sum(), w)

    elevated = (arch == NORMAL) & (rng.random(n_b) < 0.07)
    cold_some = (arch == NORMAL) & ~elevated & (rng.random(n_b) < 0.2)
    cold_share = np.where(elevated, rng.uniform(0.15, 0.35, n_b),
                          np.where(cold_some, rng.uniform(0.02, 0.08, n_b), 0.0))
    fb_mult = np.clip(rng.lognormal(0.0, 0.4, n_b), 0.4, 2.0)
    fb_mult = np.where(elevated, np.minimum(fb_mult * rng.uniform(2.0, 3.5, n_b), 4.0), fb_mult)
    fb_mult = np.where(arch == LARGE, 0.5 * rng.uniform(0.8, 1.2, n_b), fb_mult)

    b_fail = np.select([arch == SPAMMER, arch == SCAMMER], [rng.uniform(0.04, 0.1, n_b),
                       rng.uniform(0.05, 0.12, n_b)], rng.uniform(0.01, 0.03, n_b))
    b_phi = rng.beta(1.2, 20, n_b)
    b_phi = np.where(np.array([c == "travel" for c in b_cat]), np.minimum(0.6, b_phi * 3), b_phi)
    b_late = np.where(elevated, rng.uniform(0.02, 0.05, n_b),
                      np.exp(rng.uniform(np.log(0.002), np.log(0.01), n_b)))
    b_late = np.select([arch == SPAMMER, arch == SCAMMER, arch == LARGE],
                       [rng.uniform(0.03, 0.08, n_b), rng.uniform(0.05, 0.12, n_b),
                        np.full(n_b, 0.002)], b_late)
    b_answer = np.select([arch == SPAMMER, arch == SCAMMER], [np.full(n_b, 0.4), np.full(n_b, 0.8)],
                         rng.uniform(0.9, 0.98, n_b))

    # ---- ad campaigns (planned before the volumes are fixed: their replies become conversations)
    arng = _rng(seed, "campaigns")
    eligible = np.flatnonzero(np.isin(arch, (NORMAL, LARGE)) & (created < 0))
    n_adv = min(len(eligible), max(1 if n_b >= 10 else 0, int(round(0.1 * n_b))))
    adv_p = w[eligible] ** 0.3
    advertisers = np.sort(arng.choice(eligible, size=n_adv, replace=False, p=adv_p / adv_p.sum())) \
        if n_adv else np.array([], dtype=np.int64)
    camp_rows = []
    for b in advertisers:
        for _ in range(int(arng.integers(1, 4))):
            camp_rows.append(int(b))
    n_camp = len(camp_rows)
    camp_b = np.array(camp_rows, dtype=np.int64)
    camp_len = np.minimum(arng.integers(3, 22, n_camp), days)
    camp_sd = np.array([int(arng.integers(0, days - ln + 1)) for ln in camp_len], dtype=np.int64)
    camp_ed = camp_sd + camp_len - 1
    objective = arng.choice(len(AD_OBJECTIVES), size=n_camp, p=[0.35, 0.25, 0.40])
    camp_countries: list[list[int]] = []
    camp_cw: list[np.ndarray] = []
    for i in range(n_camp):
        own = int(b_country[camp_b[i]])
        extra = [int(c) for c in _country_choice(arng, int(arng.integers(0, 3))) if c != own]
        cs = [own] + sorted(set(extra))
        camp_countries.append(cs)
        cw = np.array([1.0] + [0.3] * (len(cs) - 1))
        camp_cw.append(cw / cw.sum())
    camp_share = arng.lognormal(0.0, 0.8, n_camp) * camp_len
    ad_events_total = 0.15 * n_messages
    camp_ctr = arng.uniform(0.01, 0.03, n_camp)
    camp_rr = np.select([objective == 2, objective == 1], [arng.uniform(0.25, 0.45, n_camp),
                        arng.uniform(0.02, 0.05, n_camp)], arng.uniform(0.03, 0.08, n_camp))
    per_imp = 1 + camp_ctr * (1 + camp_rr)
    # campaigns in small countries run out of people: at most ~4 impressions per targeted user
    audience = np.array([pool_n[cs].sum() for cs in camp_countries], dtype=float)
    camp_imps = np.minimum((ad_events_total * camp_share / max(camp_share.sum(), 1e-9)) / per_imp,
                           4.0 * audience) if n_camp else np.zeros(0)
    freq_x = arng.uniform(1.0, 3.8, n_camp)
    camp_R = np.maximum(1, np.round(camp_imps / freq_x)).astype(np.int64)
    camp_factor = arng.lognormal(0.0, 0.3, n_camp)
    camp_cpc = np.where(objective == 1, arng.uniform(0.01, 0.04, n_camp) * camp_factor, 0.0)
    camp_off = arng.integers(0, 1 << 40, n_camp)
    camp_stride = primes[arng.integers(0, len(primes), n_camp)]
    ad_conv_units = float(np.sum(camp_imps * camp_ctr * camp_rr))
    mean_cpm = np.array([np.dot(_CPM[cs], cw) for cs, cw in zip(camp_countries, camp_cw)]) \
        if n_camp else np.zeros(0)
    budget = np.round(camp_imps * mean_cpm * camp_factor / 1000 * arng.uniform(1.05, 1.5, n_camp)
                      + camp_imps * camp_ctr * camp_cpc, 2)
    budget = np.maximum(budget, 1.0)

    # ---- streams ---------------------------------------------------------------------------------
    e_in = 1 / _P_IN
    e_out = 1 / _P_OUT

    def conv_len(answer):
        return e_in + answer * e_out

    S: dict[str, list] = {k: [] for k in (
        "kind", "b", "c", "a", "e", "msgs", "cat", "slots", "target", "psi", "reply", "reply_answer",
        "p_block", "p_report", "p_opt", "profile", "reply_pool")}

    def add_stream(kind, b, a, e, msgs, cat=(0, 0, 0, 0), slots=0, target=-1, psi=0.0, reply=0.0,
                   reply_answer=0.0, p_block=0.0, p_report=0.0, p_opt=0.0, reply_pool=0):
        prof = _PROFILE_BY_ARCHETYPE[int(arch[b])]
        if prof == 0 and b_cat[b] == "politics":
            prof = 1
        for key, val in (("kind", kind), ("b", b), ("c", b_country[b]),
                         ("a", a), ("e", e), ("msgs", msgs), ("cat", cat), ("slots", slots),
                         ("target", target), ("psi", psi), ("reply", reply),
                         ("reply_answer", reply_answer), ("p_block", p_block),
                         ("p_report", p_report), ("p_opt", p_opt), ("profile", prof),
                         ("reply_pool", reply_pool)):
            S[key].append(val)
        return len(S["kind"]) - 1

    total_w = float(w.sum())
    # a reply conversation adds messages to the template that caused it; reserve for ad replies
    budget_msgs = max(0.0, n_messages - new_msgs.sum() - ad_conv_units * conv_len(0.9))
    V = np.where(arch == NEW, new_msgs, w / total_w * budget_msgs)
    b_K = np.zeros(n_b, dtype=np.int64)
    b_conv = np.zeros(n_b, dtype=np.int64)
    for b in range(n_b):
        a, e = win_a[b], win_e[b]
        m = fb_mult[b]
        A = int(arch[b])
        if A in (NORMAL, LARGE, NEW):
            mix = rng.dirichlet(np.array(_CATEGORY_MIX[b_cat[b]]) * 30 + 0.05)
            conv_f, util_f, auth_f, mkt_f = mix
        else:
            conv_f = {SPAMMER: 0.08, SCAMMER: 0.10, ELECTION: 0.10}[A]
            util_f = {SPAMMER: 0.05, SCAMMER: 0.0, ELECTION: 0.0}[A]
            auth_f, mkt_f = 0.0, 0.0
        fail = b_fail[b]
        answer = b_answer[b]
        # conversations: K customer slots first write to the business once, then come back
        conv_msgs = V[b] * conv_f
        n_conv = conv_msgs / conv_len(answer)
        nu = rng.uniform(0.55, 0.85)
        K = int(round(nu * n_conv)) if n_conv >= 0.5 else 0
        if K == 0 and n_conv > 0:
            K = 1
        b_K[b] = K
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
        b_conv[b] = add_stream(_CONV, b, a, e, n_conv, slots=K, p_block=conv_p[0],
                               p_report=conv_p[1])
        if A in (NORMAL, LARGE, NEW):
            reply, ans = 0.02, 0.6
            per_msg = 1 + (1 - fail) * reply * conv_len(ans)
            ua = util_f + auth_f
            if ua > 0:
                p_auth = auth_f / ua
                # the audience of utility/authentication templates: the conversational customers
                # and more (app users), each getting a handful of templates over the period
                slots = max(5.0, K * rng.uniform(1.5, 4.0), V[b] * ua / rng.uniform(3.0, 6.0))
                add_stream(_SLOT, b, a, e, V[b] * ua / per_msg,
                           cat=(0, 1 - p_auth, p_auth, 0), slots=int(math.ceil(slots)),
                           reply=reply, reply_answer=ans, p_block=slot_p[0], p_report=slot_p[1])
            mkt_warm = V[b] * mkt_f * (1 - cold_share[b])
            mkt_cold = V[b] * mkt_f * cold_share[b]
            if mkt_warm > 0:
                add_stream(_WARM, b, a, e, mkt_warm / per_msg, cat=(1, 0, 0, 0), reply=reply,
                           reply_answer=ans, p_block=warm_p[0], p_report=warm_p[1],
                           p_opt=warm_p[2])
            if mkt_cold > 0:
                add_stream(_COLD, b, a, e, mkt_cold / per_msg, cat=(1, 0, 0, 0),
                           target=int(b_country[b]), psi=0.1, reply=reply, reply_answer=ans,
                           p_block=cold_p[0], p_report=cold_p[1], p_opt=cold_p[2])
        else:
            reply = {SPAMMER: 0.04, SCAMMER: 0.05, ELECTION: 0.03}[A]
            ans = {SPAMMER: 0.15, SCAMMER: 0.7, ELECTION: 0.1}[A]
            per_msg = 1 + (1 - fail) * reply * conv_len(ans)
            cold_f = 1 - conv_f - util_f
            cat = {SPAMMER: (0.93, 0, 0, 0.07), SCAMMER: (0.45, 0.35, 0, 0.20),
                   ELECTION: (1.0, 0, 0, 0)}[A]
            p_block = {SPAMMER: rng.uniform(0.06, 0.14), SCAMMER: rng.uniform(0.05, 0.12),
                       ELECTION: rng.uniform(0.04, 0.1)}[A]
            p_report = {SPAMMER: rng.uniform(0.03, 0.08), SCAMMER: rng.uniform(0.04, 0.1),
                        ELECTION: rng.uniform(0.03, 0.07)}[A]
            p_opt = {SPAMMER: rng.uniform(0.05, 0.12), SCAMMER: rng.uniform(0.02, 0.05),
                     ELECTION: rng.uniform(0.05, 0.1)}[A]
            psi = {SPAMMER: 0.1, SCAMMER: 0.05, ELECTION: 0.0}[A]
            add_stream(_COLD, b, bad_window_a[b], bad_window_e[b], V[b] * cold_f / per_msg,
                       cat=cat, target=int(b_country[b]), psi=psi, reply=reply,
                       reply_answer=ans, p_block=p_block, p_report=p_report, p_opt=p_opt,
                       reply_pool=1)
            if util_f > 0:
                add_stream(_SLOT, b, a, e, V[b] * util_f / per_msg, cat=(0, 1, 0, 0),
                           slots=max(5, K), reply=reply, reply_answer=ans,
                           p_block=p_block / 3, p_report=p_report / 3)

    s_kind = np.array(S["kind"], dtype=np.int64)
    s_b = np.array(S["b"], dtype=np.int64)
    s_c = np.array(S["c"], dtype=np.int64)
    s_a = np.array(S["a"], dtype=float)
    s_e = np.array(S["e"], dtype=float)
    s_a = np.minimum(s_a, s_e - 1e-6)
    plan_tmp = _Plan.__new__(_Plan)
    plan_tmp.hours, plan_tmp.cum, plan_tmp.guide = hours, cum, guide
    s_La = _lam(plan_tmp, s_c, s_a)
    s_Le = _lam(plan_tmp, s_c, s_e)

    # ---- dimension rows --------------------------------------------------------------------------
    width = max(5, len(str(n_b)))
    b_ids = [f"b{i + 1:0{width}d}" for i in range(n_b)]
    cwidth = max(5, len(str(n_camp)))
    campaign_ids = [f"c{i + 1:0{cwidth}d}" for i in range(n_camp)]
    truth_rows = [(b_ids[i], ARCHETYPES[arch[i]]) for i in range(n_b) if arch[i] != NORMAL]

    def dimensions() -> dict[str, pl.DataFrame]:
        # Faker names are only written, never drawn from by the events: built in the writer thread
        businesses = pl.DataFrame({
            "business_id": b_ids,
            "name": _business_names(seed, b_country, b_cat, arch),
            "category": b_cat,
            "country": [COUNTRY_CODES[c] for c in b_country],
            "employees": employees,
            "verified": ["true" if v else "false" for v in verified],
            "created_at": _fmt_ts(epoch_start, created),
        })
        campaigns = pl.DataFrame({
            "campaign_id": campaign_ids,
            "business_id": [b_ids[b] for b in camp_b],
            "name": _campaign_names(seed, n_camp),
            "starts_on": [(start + dt.timedelta(days=int(d))).isoformat() for d in camp_sd],
            "ends_on": [(start + dt.timedelta(days=int(d))).isoformat() for d in camp_ed],
            "objective": [AD_OBJECTIVES[o] for o in objective],
            "budget_usd": [f"{x:.2f}" for x in budget],
            "countries": [";".join(COUNTRY_CODES[c] for c in cs) for cs in camp_countries],
        }, schema={k: pl.String for k in KINDS["ad_campaigns"].names})
        truth = pl.DataFrame(truth_rows, schema=list(TRUTH_COLUMNS), orient="row")
        return {"businesses": businesses, "ad_campaigns": campaigns, "truth": truth}

    # campaign country draws: cumulative weights shifted by the campaign index, flattened
    cflat = np.concatenate([np.cumsum(cw) + i for i, cw in enumerate(camp_cw)]) if n_camp \
        else np.zeros(0)
    if n_camp:
        ends = np.cumsum([len(cs) for cs in camp_countries]) - 1
        cflat[ends] = np.arange(n_camp) + 1.0  # exact upper ends despite rounding
    cidx = np.array([c for cs in camp_countries for c in cs], dtype=np.int64)
    camp_c = np.array([cs[0] for cs in camp_countries], dtype=np.int64)
    camp_a = camp_sd * 24.0
    camp_e = (camp_ed + 1) * 24.0

    plan = _Plan(
        days=days, hours=hours, start=start, n_users=n_users, home=home, moved_at=moved_at,
        new_country=new_country, pool_start=pool_start, pool_n=pool_n.astype(np.int64),
        user_ids=user_ids, cum=cum, guide=guide, n_b=n_b, b_ids=b_ids, b_arch=arch,
        b_country=b_country.astype(np.int64), b_family=family, b_fail=b_fail, b_phi=b_phi,
        b_off=rng.integers(0, 1 << 40, n_b), b_stride=primes[rng.integers(0, len(primes), n_b)],
        b_off2=rng.integers(0, 1 << 40, n_b), b_stride2=primes[rng.integers(0, len(primes), n_b)],
        b_K=b_K, b_conv=b_conv, b_late=b_late, b_answer=b_answer,
        s_kind=s_kind, s_b=s_b, s_c=s_c, s_a=s_a, s_e=s_e, s_La=s_La, s_Le=s_Le,
        s_units=np.array(S["msgs"], dtype=float),
        s_cat_cum=np.cumsum(np.array(S["cat"], dtype=float), axis=1),
        s_slots=np.array(S["slots"], dtype=np.int64),
        s_target=np.array(S["target"], dtype=np.int64), s_psi=np.array(S["psi"], dtype=float),
        s_reply=np.array(S["reply"], dtype=float),
        s_reply_answer=np.array(S["reply_answer"], dtype=float),
        s_p_block=np.array(S["p_block"], dtype=float),
        s_p_report=np.array(S["p_report"], dtype=float),
        s_p_opt=np.array(S["p_opt"], dtype=float),
        s_profile=np.array(S["profile"], dtype=np.int64),
        s_reply_pool=np.array(S["reply_pool"], dtype=np.int64),
        n_camp=n_camp, camp_b=camp_b, camp_c=camp_c, camp_a=camp_a, camp_e=camp_e,
        camp_La=_lam(plan_tmp, camp_c, camp_a) if n_camp else np.zeros(0),
        camp_Le=_lam(plan_tmp, camp_c, camp_e) if n_camp else np.zeros(0),
        camp_imps=camp_imps, camp_R=camp_R, camp_off=camp_off, camp_stride=camp_stride,
        camp_ctr=camp_ctr, camp_rr=camp_rr, camp_factor=camp_factor, camp_cpc=camp_cpc,
        camp_cflat=cflat, camp_cidx=cidx,
        b_cat=b_cat, campaign_ids=campaign_ids, n_truth=len(truth_rows), dimensions=dimensions,
        ad_conv_units=ad_conv_units,
    )
    plan.s_cat_cum[:, -1] = np.where(plan.s_cat_cum[:, -1] > 0, 1.0, 0.0)
    return plan


def _campaign_names(seed: int, n: int) -> list[str]:
    from faker import Faker

    fake = Faker("en_US", providers=["faker.providers.company"])
    fake.seed_instance(zlib.crc32(b"campaigns") ^ (int(seed) % (1 << 31)))
    rng = _rng(seed, "campaign-names")
    seasons = ("Spring", "Summer", "Autumn", "Festive", "Back to School", "Weekend", "Launch")
    out = []
    for _ in range(n):
        s = rng.random()
        phrase = fake.catch_phrase().title()
        if s < 0.5:
            out.append(phrase)
        elif s < 0.8:
            season = seasons[int(rng.integers(len(seasons)))]
            out.append(f"{season} {2026 + int(rng.integers(0, 2))} – {phrase}")
        else:
            out.append(f"{fake.bs().title()}, Status ads")
    return out


# ==================================================================================================
# one time slice


_READ_P = np.array([0.45, 0.62, 0.70, 0.75])  # share of delivered messages read, per category
_SENT_P = 0.04
_REPORT_CUM = np.cumsum(_REPORT_PROFILES, axis=1)
_BLOCK_CUM = np.cumsum(_BLOCK_PROFILES, axis=1)
_REPORT_CUM[:, -1] = 1.0
_BLOCK_CUM[:, -1] = 1.0


@dataclass
class _Lookups:
    """Per-business pool offsets and the Enum sources the columns are gathered from."""
    b_in_off: np.ndarray
    b_in_cnt: np.ndarray
    b_srv_off: np.ndarray
    b_srv_cnt: np.ndarray
    ff_off: np.ndarray
    ff_cnt: np.ndarray
    reply_off: np.ndarray      # by reply pool: normal, bad
    reply_cnt: np.ndarray
    ad_off: int
    ad_cnt: int
    day_tab: np.ndarray
    tod_tab: np.ndarray
    e_business: pl.Series
    e_campaign: pl.Series
    e_country: pl.Series
    e_direction: pl.Series
    e_category: pl.Series
    e_status: pl.Series
    e_template: pl.Series
    e_text: pl.Series
    e_report: pl.Series
    e_block: pl.Series
    e_action: pl.Series
    e_event: pl.Series


def _lookups(plan: _Plan, content: _Content) -> _Lookups:
    cats = plan.b_cat
    po, pc = content.pool_off, content.pool_cnt
    b_in_off = np.array([po[f"in:{c}"] for c in cats], dtype=np.int64)
    b_in_cnt = np.array([pc[f"in:{c}"] for c in cats], dtype=np.int64)
    srv_keys = [f"ff:{f}" if f in (_FAM_SPAM, _FAM_SCAM) else f"service:{c}"
                for f, c in zip(plan.b_family, cats)]
    ff_keys = [f"ff:{f}" if f in (_FAM_SPAM, _FAM_SCAM) else f"ff:{_FAM_SPAM}"
               for f in plan.b_family]
    day_tab = np.array([list((plan.start + dt.timedelta(days=d)).isoformat().encode() + b"T")
                        for d in range(plan.days)], dtype=np.uint8)
    sec = np.arange(_DAY)
    tod = np.empty((_DAY, 9), dtype=np.uint8)
    tod[:, 0:2] = _DIGITS4[sec // 3600][:, 2:]
    tod[:, 2] = ord(":")
    tod[:, 3:5] = _DIGITS4[(sec // 60) % 60][:, 2:]
    tod[:, 5] = ord(":")
    tod[:, 6:8] = _DIGITS4[sec % 60][:, 2:]
    tod[:, 8] = ord("Z")
    return _Lookups(
        b_in_off=b_in_off, b_in_cnt=b_in_cnt,
        b_srv_off=np.array([po[k] for k in srv_keys], dtype=np.int64),
        b_srv_cnt=np.array([pc[k] for k in srv_keys], dtype=np.int64),
        ff_off=np.array([po[k] for k in ff_keys], dtype=np.int64),
        ff_cnt=np.array([pc[k] for k in ff_keys], dtype=np.int64),
        reply_off=np.array([po["in:reply_normal"], po["in:reply_bad"]], dtype=np.int64),
        reply_cnt=np.array([pc["in:reply_normal"], pc["in:reply_bad"]], dtype=np.int64),
        ad_off=po["in:ad"], ad_cnt=pc["in:ad"],
        day_tab=day_tab, tod_tab=tod,
        e_business=_enum_source(plan.b_ids, with_null=False),
        e_campaign=_enum_source(plan.campaign_ids, with_null=False),
        e_country=_enum_source(COUNTRY_CODES, with_null=False),
        e_direction=_enum_source(DIRECTIONS, with_null=False),
        e_category=_enum_source(MESSAGE_CATEGORIES),
        e_status=_enum_source(STATUSES),
        e_template=_enum_source(content.templates),
        # event files are written unquoted (fast): the only field that may need quotes is the
        # text, whose few distinct values are quoted here once
        e_text=_enum_source([_csv_field(t) for t in content.texts], with_null=False),
        e_report=_enum_source(REPORT_REASONS, with_null=False),
        e_block=_enum_source(BLOCK_REASONS),
        e_action=_enum_source(OPT_OUT_ACTIONS, with_null=False),
        e_event=_enum_source(AD_EVENTS, with_null=False),
    )


def _csv_field(value: str) -> str:
    """value as an RFC 4180 field: quoted (quotes doubled) when it holds a comma, quote or newline."""
    if any(ch in value for ch in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _gather(source: pl.Series, idx: np.ndarray, name: str) -> pl.Series:
    return source.gather(pl.Series(idx.astype(np.uint32))).alias(name)


_TS_RECORD = np.dtype([("day", "V11"), ("time", "V9")])


def _ts_series(lk: _Lookups, t: np.ndarray, name: str) -> pl.Series:
    """`YYYY-MM-DDTHH:MM:SSZ` of seconds since the period start, from day and time-of-day tables."""
    rec = np.empty(len(t), dtype=_TS_RECORD)
    day, sec = np.divmod(t, _DAY)
    rec["day"] = lk.day_tab.view("V11").reshape(-1)[day]
    rec["time"] = lk.tod_tab.view("V9").reshape(-1)[sec]
    return _fixed_width(rec.view(np.uint8).reshape(len(t), 20), name)


def _user_series(plan: _Plan, u: np.ndarray, name: str = "user_id") -> pl.Series:
    return _fixed_width(np.take(plan.user_ids, u, axis=0), name)


def _user_country(plan: _Plan, u: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.where(t >= plan.moved_at[u], plan.new_country[u], plan.home[u]).astype(np.int64)


def _slot_users(plan: _Plan, b: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The user behind customer slot j of business b: mostly its country's users, some foreign."""
    foreign = _hash01(b, j, 0xF0F0) < plan.b_phi[b]
    c = plan.b_country[b]
    dom = plan.pool_start[c] + (plan.b_off[b] + j * plan.b_stride[b]) % plan.pool_n[c]
    glob = (plan.b_off2[b] + j * plan.b_stride2[b]) % plan.n_users
    return np.where(foreign, glob, dom)


def _statuses(rng: np.random.Generator, cat: np.ndarray, fail: np.ndarray) -> np.ndarray:
    u = rng.random(len(cat))
    read_cut = fail + _SENT_P + (1 - fail - _SENT_P) * _READ_P[cat]
    return np.where(u < fail, _FAILED, np.where(u < fail + _SENT_P, 0,
                    np.where(u < read_cut, 2, 1))).astype(np.int64)


def _pool_pick(content: _Content, u: np.ndarray, off: np.ndarray, cnt: np.ndarray) -> np.ndarray:
    return content.pool_items[off + (u * cnt).astype(np.int64)]


def _time_order(t: np.ndarray) -> np.ndarray:
    """Stable argsort of non-negative second counts below 2**32: two 16-bit radix passes."""
    order = np.argsort((t & 0xFFFF).astype(np.uint16), kind="stable")
    return order[np.argsort((t[order] >> 16).astype(np.uint16), kind="stable")]


def _seg_positions(counts: np.ndarray) -> np.ndarray:
    """0..n-1 inside each segment of the given lengths, concatenated."""
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total) - np.repeat(starts, counts)


@dataclass
class _Rows:
    """Message rows as column arrays (t in seconds since the period start)."""
    t: np.ndarray
    b: np.ndarray
    u: np.ndarray
    d: np.ndarray
    cat: np.ndarray
    tpl: np.ndarray
    st: np.ndarray
    txt: np.ndarray
    src: np.ndarray

    _DTYPES = {"t": np.int64, "b": np.int32, "u": np.int32, "d": np.int8, "cat": np.int8,
               "tpl": np.int32, "st": np.int8, "txt": np.int32, "src": np.int32}

    def __post_init__(self) -> None:
        for f, dtype in self._DTYPES.items():
            setattr(self, f, np.asarray(getattr(self, f), dtype=dtype))

    @staticmethod
    def concat(parts: list[_Rows]) -> _Rows:
        return _Rows(*(np.concatenate([getattr(p, f) for p in parts])
                       for f in ("t", "b", "u", "d", "cat", "tpl", "st", "txt", "src")))

    def take(self, idx: np.ndarray) -> _Rows:
        return _Rows(*(getattr(self, f)[idx]
                       for f in ("t", "b", "u", "d", "cat", "tpl", "st", "txt", "src")))


def _conversations(plan: _Plan, content: _Content, lk: _Lookups, rng: np.random.Generator,
                   b: np.ndarray, u: np.ndarray, t0: np.ndarray, in_off: np.ndarray,
                   in_cnt: np.ndarray, answer: np.ndarray) -> _Rows:
    """Users write first (1+ inbound messages); most conversations get 1+ free-form answers."""
    n = len(b)
    n_in = rng.geometric(_P_IN, n)
    answered = rng.random(n) < answer
    n_out = np.where(answered, rng.geometric(_P_OUT, n), 0)
    late = rng.random(n) < plan.b_late[b]
    first = np.where(late, rng.uniform(24.2 * 3600, 72 * 3600, n),
                     np.minimum(rng.lognormal(np.log(420.0), 1.4, n), 20 * 3600.0))

    def expand(counts, t_first, gap_median):
        pos = _seg_positions(counts)
        conv = np.repeat(np.arange(n), counts)
        gaps = np.where(pos == 0, 0.0, rng.lognormal(np.log(gap_median), 1.0, len(pos)))
        cs = np.cumsum(gaps)
        starts = np.cumsum(counts) - counts
        base = cs[starts[counts > 0]]
        within = cs - np.repeat(base, counts[counts > 0])
        return conv, (t_first[conv] + within).astype(np.int64)

    ci, ti = expand(n_in, t0.astype(float), 35.0)
    co, to = expand(n_out, t0 + first, 50.0)
    bi, bo = b[ci], b[co]
    m_in, m_out = len(ci), len(co)
    txt_in = _pool_pick(content, rng.random(m_in), in_off[ci], in_cnt[ci])
    txt_out = _pool_pick(content, rng.random(m_out), lk.b_srv_off[bo], lk.b_srv_cnt[bo])
    cat_out = np.full(m_out, _SERV, dtype=np.int64)
    return _Rows(
        t=np.concatenate([ti, to]), b=np.concatenate([bi, bo]), u=np.concatenate([u[ci], u[co]]),
        d=np.concatenate([np.zeros(m_in, np.int64), np.ones(m_out, np.int64)]),
        cat=np.concatenate([np.full(m_in, _NULLCAT, np.int64), cat_out]),
        tpl=np.full(m_in + m_out, -1, dtype=np.int64),
        st=np.concatenate([np.full(m_in, _NULLSTATUS, np.int64),
                           _statuses(rng, cat_out, plan.b_fail[bo])]),
        txt=np.concatenate([txt_in, txt_out]),
        src=plan.b_conv[np.concatenate([bi, bo])],
    )


def _stream_g(plan: _Plan, T: float) -> np.ndarray:
    """Share (0..1) of each stream's activity curve that lies before hour T."""
    tc = np.clip(T, plan.s_a, plan.s_e)
    g = (_lam(plan, plan.s_c, tc) - plan.s_La) / (plan.s_Le - plan.s_La)
    return np.clip(g, 0.0, 1.0)


def _to_seconds(t_hours: np.ndarray) -> np.ndarray:
    return np.floor(t_hours * 3600.0).astype(np.int64)


# per file: the number of rows, and a function that formats them. The random draws and the ids are
# fixed when the chunk is made; formatting and writing run in the writer thread.
_Chunk = dict[str, tuple[int, Callable[[], pl.DataFrame]]]


def _ad_chunk(plan: _Plan, rng: np.random.Generator, T0: float, T1: float, end: int):
    """Status ad events of the slice, and the replies that open a chat with the advertiser."""
    if plan.n_camp == 0:
        return None, (np.zeros(0, np.int64),) * 3
    span = plan.camp_Le - plan.camp_La

    def g(T):
        tc = np.clip(T, plan.camp_a, plan.camp_e)
        return np.clip((_lam(plan, plan.camp_c, tc) - plan.camp_La) / span, 0.0, 1.0)

    G0, G1 = g(T0), g(T1)
    cnt = rng.poisson(plan.camp_imps * (G1 - G0))
    cid = np.repeat(np.arange(plan.n_camp), cnt)
    n = len(cid)
    gg = G0[cid] + rng.random(n) * (G1 - G0)[cid]
    t = _to_seconds(_lam_inv(plan, plan.camp_c[cid], plan.camp_La[cid] + gg * span[cid]))
    j = (rng.random(n) * plan.camp_R[cid]).astype(np.int64)
    h = _hash01(cid, j, 0xAD)
    c = plan.camp_cidx[np.searchsorted(plan.camp_cflat, cid + h, side="right")]
    user = plan.pool_start[c] + (plan.camp_off[cid] + j * plan.camp_stride[cid]) % plan.pool_n[c]
    cost = _CPM[c] * plan.camp_factor[cid] / 1000.0 * rng.lognormal(0.0, 0.25, n)

    click = rng.random(n) < plan.camp_ctr[cid]
    ci = np.flatnonzero(click)
    t_click = t[ci] + 1 + rng.lognormal(np.log(15.0), 0.8, len(ci)).astype(np.int64)
    reply = rng.random(len(ci)) < plan.camp_rr[cid[ci]]
    ri = ci[reply]
    t_reply = t_click[reply] + 1 + rng.lognormal(np.log(40.0), 0.8, len(ri)).astype(np.int64)

    ev_cid = np.concatenate([cid, cid[ci], cid[ri]])
    ev_u = np.concatenate([user, user[ci], user[ri]])
    ev_t = np.concatenate([t, t_click, t_reply])
    ev_kind = np.concatenate([np.zeros(n, np.int64), np.ones(len(ci), np.int64),
                              np.full(len(ri), 2, np.int64)])
    cpc = plan.camp_cpc[cid[ci]]
    ev_cost = np.concatenate([cost, np.where(cpc > 0, cpc, np.nan), np.full(len(ri), np.nan)])
    limit = np.minimum(plan.camp_e[ev_cid] * 3600, end)
    keep = ev_t < limit
    ev_cid, ev_u, ev_t, ev_kind, ev_cost = (x[keep] for x in (ev_cid, ev_u, ev_t, ev_kind, ev_cost))
    order = _time_order(ev_t)
    ads = (ev_cid[order], ev_u[order], ev_t[order], ev_kind[order], ev_cost[order])
    # the reply opens a chat: the user writes to the advertiser a few seconds later
    keep_r = t_reply < np.minimum(plan.camp_e[cid[ri]] * 3600, end)
    seeds = (plan.camp_b[cid[ri]][keep_r], user[ri][keep_r],
             t_reply[keep_r] + rng.integers(3, 60, int(keep_r.sum())))
    return ads, seeds


def _make_chunk(plan: _Plan, content: _Content, lk: _Lookups, seed: int, k: int, T0: float,
                T1: float, counters: dict[str, int]) -> _Chunk:
    rng = _rng(seed, "slice", k)
    end = plan.days * _DAY
    S = len(plan.s_kind)
    kind = plan.s_kind
    G0, G1 = _stream_g(plan, T0), _stream_g(plan, T1)
    span = plan.s_Le - plan.s_La
    K_s = plan.b_K[plan.s_b]

    # ---- Status ads (their replies become conversations) -----------------------------------------
    ads, ad_seeds = _ad_chunk(plan, rng, T0, T1, end)

    # ---- units of every stream: returning conversations and template messages --------------------
    lam = np.where(kind == _WARM, plan.s_units * (G1 ** 2 - G0 ** 2), plan.s_units * (G1 - G0))
    lam = np.where(kind == _CONV, np.maximum(plan.s_units - K_s, 0) * (G1 - G0), lam)
    cnt = rng.poisson(np.maximum(lam, 0))
    sid = np.repeat(np.arange(S), cnt)
    n = len(sid)
    u1 = rng.random(n)
    dG = (G1 - G0)[sid]
    g = np.where(kind[sid] == _WARM, np.sqrt(G0[sid] ** 2 + u1 * (G1 ** 2 - G0 ** 2)[sid]),
                 G0[sid] + u1 * dG)
    t_h = _lam_inv(plan, plan.s_c[sid], plan.s_La[sid] + g * span[sid])
    sb = plan.s_b[sid]
    sk = kind[sid]
    u2 = rng.random(n)
    user = np.full(n, -1, dtype=np.int64)
    # returning customers: a slot that already wrote before
    J = np.floor(g * K_s[sid]).astype(np.int64)
    conv_m = sk == _CONV
    # warm marketing: a slot whose first contact is at least an hour earlier
    warm_m = sk == _WARM
    if warm_m.any():
        wi = np.flatnonzero(warm_m)
        s_w = sid[wi]
        tc = np.clip(t_h[wi] - 1.0, plan.s_a[s_w], plan.s_e[s_w])
        gw = (_lam(plan, plan.s_c[s_w], tc) - plan.s_La[s_w]) / span[s_w]
        J[wi] = np.floor(np.clip(gw, 0, 1) * K_s[s_w]).astype(np.int64)
    slot_m = conv_m | warm_m
    j = (u2 * J).astype(np.int64)
    walk_in = conv_m & (J == 0)
    j = np.where(walk_in, K_s[sid] + (u2 * np.maximum(K_s[sid], 1)).astype(np.int64), j)
    user = np.where(slot_m & ((J > 0) | walk_in), _slot_users(plan, sb, j), user)
    # warm marketing before anybody wrote: a utility message to the business's audience instead
    early = warm_m & (J == 0)
    j_early = (u2 * np.maximum(5, 2 * K_s[sid])).astype(np.int64)
    user = np.where(early, _slot_users(plan, sb, j_early), user)
    tpl_slot = sk == _SLOT
    j2 = (u2 * plan.s_slots[sid]).astype(np.int64)
    user = np.where(tpl_slot, _slot_users(plan, sb, j2), user)
    cold = sk == _COLD
    if cold.any():
        ci = np.flatnonzero(cold)
        tgt = plan.s_target[sid[ci]]
        u3 = rng.random(len(ci))
        local = plan.pool_start[tgt] + (u3 * plan.pool_n[tgt]).astype(np.int64)
        anywhere = (rng.random(len(ci)) * plan.n_users).astype(np.int64)
        user[ci] = np.where(rng.random(len(ci)) < plan.s_psi[sid[ci]], anywhere, local)
    t_s = _to_seconds(t_h)
    valid = user >= 0

    # ---- new customers: the slots whose first contact falls in this slice ------------------------
    conv_s = np.flatnonzero((kind == _CONV) & (K_s > 0) & (G1 > G0))
    jlo = np.floor(G0[conv_s] * K_s[conv_s]).astype(np.int64)
    jhi = np.minimum(K_s[conv_s] - 1, np.floor(G1[conv_s] * K_s[conv_s]).astype(np.int64))
    ncand = np.maximum(jhi - jlo + 1, 0)
    cs = np.repeat(conv_s, ncand)
    jj = np.repeat(jlo, ncand) + _seg_positions(ncand)
    bb = plan.s_b[cs]
    gj = (jj + _hash01(bb, jj, 0x51075)) / K_s[cs]
    inside = (gj >= G0[cs]) & (gj < G1[cs])
    cs, jj, bb, gj = cs[inside], jj[inside], bb[inside], gj[inside]
    t_new = _to_seconds(_lam_inv(plan, plan.s_c[cs], plan.s_La[cs] + gj * span[cs]))
    u_new = _slot_users(plan, bb, jj)

    # ---- template messages -----------------------------------------------------------------------
    ti = np.flatnonzero(valid & ~conv_m)
    ts, tb, tu, tt = sid[ti], sb[ti], user[ti], t_s[ti]
    m = len(ti)
    tcat = np.where(early[ti], _UTIL, _pick(plan.s_cat_cum[ts], rng.random(m)))
    fam = plan.b_family[tb]
    free = tcat == _SERV
    c3 = np.minimum(tcat, 2)
    choice = content.fam_off[fam, c3] + (rng.random(m) * content.fam_cnt[fam, c3]).astype(np.int64)
    tpl = np.where(free, -1, content.fam_tpl[choice])
    tpl_safe = np.maximum(tpl, 0)
    u5 = rng.random(m)
    txt = np.where(free, _pool_pick(content, u5, lk.ff_off[tb], lk.ff_cnt[tb]),
                   _pool_pick(content, u5, content.tpl_pool_off[tpl_safe],
                              content.tpl_pool_cnt[tpl_safe]))
    tst = _statuses(rng, tcat, plan.b_fail[tb])
    templates = _Rows(t=tt, b=tb, u=tu, d=np.ones(m, np.int64), cat=tcat, tpl=tpl, st=tst,
                      txt=txt, src=ts)

    # ---- conversations: new customers, returning customers, replies to templates and to ads ------
    ri = np.flatnonzero(valid & conv_m)
    rep = (tst != _FAILED) & (rng.random(m) < plan.s_reply[ts])
    rp = plan.s_reply_pool[ts[rep]]
    ad_b, ad_u, ad_t = ad_seeds
    c_b = np.concatenate([bb, sb[ri], tb[rep], ad_b])
    c_u = np.concatenate([u_new, user[ri], tu[rep], ad_u])
    delay = rng.lognormal(np.log(1200.0), 1.2, int(rep.sum())).astype(np.int64) + 5
    c_t = np.concatenate([t_new, t_s[ri], tt[rep] + delay, ad_t])
    c_in_off = np.concatenate([lk.b_in_off[bb], lk.b_in_off[sb[ri]], lk.reply_off[rp],
                               np.full(len(ad_b), lk.ad_off)])
    c_in_cnt = np.concatenate([lk.b_in_cnt[bb], lk.b_in_cnt[sb[ri]], lk.reply_cnt[rp],
                               np.full(len(ad_b), lk.ad_cnt)])
    c_ans = np.concatenate([plan.b_answer[bb], plan.b_answer[sb[ri]], plan.s_reply_answer[ts[rep]],
                            np.full(len(ad_b), 0.9)])
    convs = _conversations(plan, content, lk, rng, c_b, c_u, c_t, c_in_off, c_in_cnt, c_ans)

    rows = _Rows.concat([templates, convs])
    keep = np.flatnonzero(rows.t < end)
    rows = rows.take(keep[_time_order(rows.t[keep])])
    nmsg = len(rows.t)
    msg_num = counters["messages"] + np.arange(nmsg, dtype=np.int64)
    counters["messages"] += nmsg

    def messages() -> pl.DataFrame:
        country = _user_country(plan, rows.u, rows.t)
        return pl.DataFrame([
            _id_series("message_id", "m", msg_num, 10),
            _ts_series(lk, rows.t, "sent_at"),
            _gather(lk.e_business, rows.b, "business_id"),
            _user_series(plan, rows.u),
            _gather(lk.e_direction, rows.d, "direction"),
            _gather(lk.e_country, country, "user_country"),
            _gather(lk.e_category, rows.cat, "category"),
            _gather(lk.e_template, np.where(rows.tpl < 0, len(content.templates), rows.tpl),
                    "template"),
            _gather(lk.e_status, rows.st, "status"),
            _gather(lk.e_text, rows.txt, "text"),
        ])

    chunk: _Chunk = {"messages": (nmsg, messages)}
    chunk.update(_feedback(plan, lk, rng, rows, msg_num, end, counters))
    chunk["ad_events"] = _ad_frame(plan, lk, ads, counters)
    return chunk


def _delay(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    """Lognormal reaction times in seconds, at most three days."""
    return np.minimum(rng.lognormal(np.log(median), sigma, n), 3 * _DAY).astype(np.int64)


def _feedback(plan: _Plan, lk: _Lookups, rng: np.random.Generator, rows: _Rows,
              msg_num: np.ndarray, end: int, counters: dict[str, int]):
    """Reports, blocks and opt-outs by users shortly after an outbound message reached them."""
    o = np.flatnonzero((rows.d == 1) & (rows.st != _FAILED))
    s = rows.src[o]
    pr = plan.s_p_report[s]
    pb = np.maximum(plan.s_p_block[s] - 0.5 * pr, 0.0)  # half of the reporters also block
    po = plan.s_p_opt[s] * (rows.cat[o] == _MKT)
    u = rng.random(len(o))
    is_rep = u < pr
    is_blk = (u < 0.5 * pr) | ((u >= pr) & (u < pr + pb))
    is_opt = (u >= pr + pb) & (u < pr + pb + po)

    # reports
    r = o[is_rep]
    t_rep = rows.t[r] + 2 + _delay(rng, 300.0, 1.3, len(r))
    reason = _pick(_REPORT_CUM[plan.s_profile[rows.src[r]]], rng.random(len(r)))
    with_msg = rng.random(len(r)) < 0.85
    t_rep_by_row = np.zeros(len(rows.t), dtype=np.int64)
    t_rep_by_row[r] = t_rep

    # blocks: right after the report when both, else on their own
    bi = o[is_blk]
    also_rep = is_rep[is_blk]
    t_blk = np.where(also_rep, t_rep_by_row[bi] + rng.integers(2, 30, len(bi)),
                     rows.t[bi] + 2 + _delay(rng, 240.0, 1.4, len(bi)))
    b_reason = _pick(_BLOCK_CUM[plan.s_profile[rows.src[bi]]], rng.random(len(bi)))
    # a user blocks a business once: keep the earliest block per pair in the slice
    key = rows.b[bi] * plan.n_users + rows.u[bi]
    order = np.lexsort((t_blk, key))
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    keep = np.sort(order[first])
    bi, t_blk, b_reason = bi[keep], t_blk[keep], b_reason[keep]

    # opt-outs, a few resumed days later
    oi = o[is_opt]
    t_stop = rows.t[oi] + 2 + _delay(rng, 600.0, 1.3, len(oi))
    resume = rng.random(len(oi)) < 0.08
    t_res = t_stop[resume] + rng.integers(_DAY, 20 * _DAY, int(resume.sum()))
    op_b = np.concatenate([rows.b[oi], rows.b[oi][resume]])
    op_u = np.concatenate([rows.u[oi], rows.u[oi][resume]])
    op_t = np.concatenate([t_stop, t_res])
    op_a = np.concatenate([np.zeros(len(oi), np.int64), np.ones(int(resume.sum()), np.int64)])

    def finish(t, counter):
        keep = np.flatnonzero(t < end)
        keep = keep[_time_order(t[keep])]
        num = counters[counter] + np.arange(len(keep), dtype=np.int64)
        counters[counter] += len(keep)
        return keep, num

    kr, nr = finish(t_rep, "report")
    kb, nb = finish(t_blk, "block")
    ko, no = finish(op_t, "opt_out")

    def reports() -> pl.DataFrame:
        msg_ids = _id_series("message_id", "m", msg_num[r[kr]], 10)
        msg_ids = pl.select(pl.when(pl.Series(with_msg[kr])).then(msg_ids)).to_series()
        return pl.DataFrame([
            _id_series("report_id", "r", nr, 9), _ts_series(lk, t_rep[kr], "reported_at"),
            _user_series(plan, rows.u[r[kr]]), _gather(lk.e_business, rows.b[r[kr]], "business_id"),
            _gather(lk.e_report, reason[kr], "reason"), msg_ids.alias("message_id"),
        ])

    def blocks() -> pl.DataFrame:
        return pl.DataFrame([
            _id_series("block_id", "k", nb, 9), _ts_series(lk, t_blk[kb], "blocked_at"),
            _user_series(plan, rows.u[bi[kb]]),
            _gather(lk.e_business, rows.b[bi[kb]], "business_id"),
            _gather(lk.e_block, b_reason[kb], "reason"),
        ])

    def opt_outs() -> pl.DataFrame:
        return pl.DataFrame([
            _id_series("opt_out_id", "o", no, 9), _ts_series(lk, op_t[ko], "changed_at"),
            _user_series(plan, op_u[ko]), _gather(lk.e_business, op_b[ko], "business_id"),
            _gather(lk.e_action, op_a[ko], "action"),
        ])

    return {"reports": (len(kr), reports), "blocks": (len(kb), blocks),
            "opt_outs": (len(ko), opt_outs)}


def _ad_frame(plan: _Plan, lk: _Lookups, ads, counters: dict[str, int]):
    if ads is None:
        return 0, lambda: pl.DataFrame()
    cid, u, t, kind, cost = ads
    num = counters["ad_event"] + np.arange(len(t), dtype=np.int64)
    counters["ad_event"] += len(t)

    def build() -> pl.DataFrame:
        return pl.DataFrame([
            _id_series("event_id", "e", num, 10),
            _ts_series(lk, t, "occurred_at"),
            _gather(lk.e_campaign, cid, "campaign_id"),
            _user_series(plan, u),
            _gather(lk.e_country, _user_country(plan, u, t), "user_country"),
            _gather(lk.e_event, kind, "event"),
            pl.Series("cost_usd", cost, nan_to_null=True),
        ])

    return len(t), build


# ==================================================================================================
# entry point


def _header(kind: str) -> bytes:
    cols = TRUTH_COLUMNS if kind == "truth" else KINDS[kind].names
    return (",".join(cols) + "\n").encode()


def _write(fh, df: pl.DataFrame, **kw) -> None:
    if df.height:
        df.write_csv(fh, include_header=False, **kw)


def _finish(pending, counts: dict[str, int], planned: int,
            progress: Callable[[int, int], None] | None) -> None:
    future, chunk = pending
    future.result()
    for name, (rows, _) in chunk.items():
        counts[name] += rows
    if progress is not None:
        progress(counts["messages"], max(planned, counts["messages"]))


def generate_world(out_dir: Path, *, seed: int = 42, businesses: int = 300, days: int = 60,
                   messages: int = 500_000, start: dt.date = dt.date(2026, 9, 1),
                   progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Write a synthetic world as log-format v1 CSV files (plus truth.csv) into out_dir.

    Returns the number of data rows written per file (keys: the kinds and "truth"). progress, when
    given, is called with (messages written, messages planned) as messages are written; its last
    call has done == total.
    """
    if businesses < 1 or not 1 <= days <= 36_500 or messages < 0:
        raise ValueError("businesses must be at least 1, days between 1 and 36500, messages >= 0")
    start = dt.date(start.year, start.month, start.day)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    content = _build_content()
    plan = _plan_world(seed, businesses, days, messages, start)
    lk = _lookups(plan, content)
    counts = {name: 0 for name in OUTPUT_FILES}
    counters = {"messages": 1, "report": 1, "block": 1, "opt_out": 1, "ad_event": 1}
    handles = {name: open(out_dir / f"{name}.csv", "wb") for name in OUTPUT_FILES}
    try:
        for name, fh in handles.items():
            fh.write(_header(name))

        def write_chunk(chunk: _Chunk) -> None:
            for name, (rows, build) in chunk.items():
                if rows:
                    _write(handles[name], build(), float_precision=6, quote_style="never")

        hours = plan.hours
        n_slices = max(1, min(hours, math.ceil(messages / CHUNK_MESSAGES)))
        bounds = [round(k * hours / n_slices) for k in range(n_slices + 1)]
        # one writer thread: slice k is written (polars, without the GIL) while k+1 is generated;
        # files are appended to in slice order only
        with ThreadPoolExecutor(max_workers=1) as writer:
            dims = {"businesses": (plan.n_b, None), "ad_campaigns": (plan.n_camp, None),
                    "truth": (plan.n_truth, None)}

            def write_dimensions() -> None:
                for name, df in plan.dimensions().items():
                    _write(handles[name], df)

            queue: deque[tuple[Future, _Chunk]] = deque()
            queue.append((writer.submit(write_dimensions), dims))
            for k in range(n_slices):
                chunk = _make_chunk(plan, content, lk, seed, k, float(bounds[k]),
                                    float(bounds[k + 1]), counters)
                queue.append((writer.submit(write_chunk, chunk), chunk))
                while len(queue) > MAX_QUEUED:  # bounded memory: wait for the writer
                    _finish(queue.popleft(), counts, messages, progress)
            while queue:
                _finish(queue.popleft(), counts, messages, progress)
    finally:
        for fh in handles.values():
            fh.close()
    if progress is not None:
        progress(counts["messages"], counts["messages"])
    return counts
