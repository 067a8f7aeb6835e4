"""Message content: template names per family and message category, their texts, what users write
and what businesses answer. `build_content` turns the tables into the index pools the slices draw
texts from. Families: the 12 business categories, then spammer, scammer, election, takeover (the
scam blasts of a taken-over account), then one family per coordinated-ring member (`ring_families`:
the ring's shared template names, with texts identical across the ring or differing in one number).
Free-form outreach texts come from the pools `FF_*` (spam, scam, subtle, takeover)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from etl.contract import BUSINESS_CATEGORIES
from etl.synth.columns import csv_field

FAM_SPAM, FAM_SCAM, FAM_ELECTION, FAM_TAKEOVER = 12, 13, 14, 15
N_STATIC_FAMILIES = 16  # ring members' families follow
FF_SPAM, FF_SCAM, FF_SUBTLE, FF_TAKEOVER = range(4)  # free-form outreach pools

_TEMPLATES = {
    "retail": (
        ("spring_sale", "flash_deal", "new_arrivals", "cart_reminder", "festive_offer"),
        ("order_update", "shipping_update", "delivery_confirmation", "payment_receipt", "return_status"),
        ("otp_code", "login_code"),
    ),
    "food": (
        ("weekend_offer", "new_menu", "free_delivery_promo"),
        ("order_confirmed", "order_on_the_way", "table_reservation"),
        ("otp_code",),
    ),
    "travel": (
        ("holiday_deals", "last_minute_offer"),
        ("booking_confirmation", "flight_status", "checkin_reminder", "boarding_pass"),
        ("otp_code", "login_code"),
    ),
    "finance": (
        ("loan_offer", "credit_card_offer"),
        ("transaction_alert", "statement_ready", "payment_due"),
        ("otp_code", "login_verification"),
    ),
    "health": (
        ("health_checkup_offer",),
        ("appointment_reminder", "lab_results_ready", "prescription_ready"),
        ("otp_code",),
    ),
    "education": (
        ("admission_open", "course_launch"),
        ("class_reminder", "fee_reminder", "exam_results"),
        ("otp_code",),
    ),
    "government": (
        ("public_awareness",),
        ("document_status", "appointment_confirmation", "public_alert"),
        ("citizen_login_code",),
    ),
    "politics": (("campaign_update", "rally_invite", "donation_appeal"), ("event_reminder",), ("otp_code",)),
    "agriculture": (
        ("seed_offer", "fertilizer_discount"),
        ("weather_alert", "market_prices", "order_update"),
        ("otp_code",),
    ),
    "technology": (
        ("product_launch", "upgrade_offer"),
        ("account_update", "subscription_renewal", "security_alert"),
        ("otp_code", "two_factor_code"),
    ),
    "services": (
        ("seasonal_discount", "referral_bonus"),
        ("appointment_reminder", "booking_confirmation", "invoice_ready"),
        ("otp_code",),
    ),
    "other": (("special_offer", "newsletter"), ("account_update", "reminder"), ("otp_code",)),
    "spammer": (
        ("special_offer", "winner_notification", "exclusive_deal", "limited_offer", "free_gift"),
        ("account_update",),
        ("otp_code",),
    ),
    "scammer": (
        ("investment_opportunity", "crypto_signal", "loan_approved"),
        ("account_verification", "kyc_update", "account_suspended"),
        ("otp_code",),
    ),
    "election": (
        ("vote_reminder", "rally_invite", "campaign_update", "candidate_message"),
        ("event_reminder",),
        ("otp_code",),
    ),
    "takeover": (
        ("loyalty_reward_claim", "exclusive_discount_pay"),
        ("payment_failed_update", "account_security_check"),
        ("verification_code_request",),
    ),
}
_FAMILY_NAMES = BUSINESS_CATEGORIES + ("spammer", "scammer", "election", "takeover")

_TEMPLATE_TEXTS = {
    "spring_sale": (
        "Spring Sale is ON! Up to 50% off on everything. Shop now 🌸",
        "Our Spring Sale ends Sunday, grab your favourites before they're gone!",
    ),
    "flash_deal": ("⚡ Flash deal: 2 for 1 today only, while stocks last.", "Only 6 hours left on today's flash deal!"),
    "new_arrivals": (
        "New arrivals just landed. Be the first to see them 👀",
        "Fresh styles are in store, reply YES to get the catalogue.",
    ),
    "cart_reminder": ("You left something in your cart. Complete your order and get free shipping.",),
    "festive_offer": (
        "Festive offer: extra 20% off with code FEST20 🎉",
        "Celebrate with us, special festive prices on all items.",
    ),
    "order_update": (
        "Your order #48213 has been packed and will ship today.",
        "Update: your order is ready for pickup.",
        "Your order was delivered. Thank you for shopping with us!",
    ),
    "shipping_update": (
        "Your parcel is on its way 📦 Track it with the link in your account.",
        "Your shipment is out for delivery today.",
    ),
    "delivery_confirmation": ("Delivered! Your package was handed over at 14:32.",),
    "payment_receipt": (
        "Payment received: thank you. Your receipt is attached.",
        "We received your payment of 1,499.00. Receipt no. 20931.",
    ),
    "return_status": ("Your return was accepted; the refund will reach you in 5-7 days.",),
    "otp_code": (
        "482913 is your verification code. For your security, do not share this code.",
        "Your one-time code is 730215. It expires in 10 minutes.",
        "Use 119847 to verify your account. Never share it with anyone.",
    ),
    "login_code": ("Your login code is 556021.", "Code 904417: use it to sign in."),
    "login_verification": ("Your login verification code is 310582. Didn't try to sign in? Call us.",),
    "two_factor_code": ("Your two-factor authentication code is 664190.",),
    "citizen_login_code": ("Your citizen portal code is 728844. Valid for 5 minutes.",),
    "weekend_offer": (
        "Weekend treat 🍕 Buy one get one free, Saturday & Sunday.",
        "This weekend: free dessert with every order over 20.",
    ),
    "new_menu": ("Our new menu is here! Try the chef's specials this week.",),
    "free_delivery_promo": ("Free delivery on your next order, today only 🛵",),
    "order_confirmed": (
        "Order confirmed! Your food will be ready in 25 minutes.",
        "We got your order, the kitchen is on it 👨‍🍳",
    ),
    "order_on_the_way": ("Your order is on the way. Rider: Ravi, ETA 15 min.",),
    "table_reservation": ("Your table for 4 is booked for Friday 20:00. See you soon!",),
    "holiday_deals": (
        "Holiday deals: beach packages from 299, book before Friday ✈️",
        "Your next trip is waiting: up to 40% off selected hotels.",
    ),
    "last_minute_offer": ("Last-minute offer: weekend getaway with breakfast included.",),
    "booking_confirmation": (
        "Booking confirmed. Reference ABX72Q. Check-in from 14:00.",
        "Your booking is confirmed, we look forward to welcoming you.",
    ),
    "flight_status": (
        "Flight update: your flight is on time, boarding at gate 12.",
        "Your flight has been delayed by 45 minutes. We apologise.",
    ),
    "checkin_reminder": ("Online check-in is now open for your trip tomorrow.",),
    "boarding_pass": ("Here is your boarding pass. Have a great flight!",),
    "loan_offer": ("You are pre-approved for a personal loan at a special rate. Reply to know more.",),
    "credit_card_offer": ("Lifetime-free credit card with 5% cashback, apply in 2 minutes.",),
    "transaction_alert": (
        "Debit of 2,350.00 on your account ending 4821. Not you? Call us.",
        "Credit of 12,000.00 received in your account ending 0937.",
    ),
    "statement_ready": ("Your monthly statement is ready in the app.",),
    "payment_due": ("Reminder: your payment of 3,200.00 is due on the 5th.",),
    "health_checkup_offer": ("Full-body health check-up at 30% off this month. Book now.",),
    "appointment_reminder": (
        "Reminder: your appointment is tomorrow at 10:30.",
        "See you today at 16:00. Reply C to cancel.",
    ),
    "lab_results_ready": ("Your lab results are ready. Log in to view them.",),
    "prescription_ready": ("Your prescription is ready for pickup at the counter.",),
    "admission_open": ("Admissions open for the new session. Limited seats!",),
    "course_launch": ("New course launched: Data Skills in 8 weeks. Early-bird price ends soon.",),
    "class_reminder": ("Reminder: your class starts at 18:00 today.",),
    "fee_reminder": ("Friendly reminder: term fees are due by the 10th.",),
    "exam_results": ("Your exam results are published on the student portal.",),
    "public_awareness": ("Vaccination drive this Saturday at all community centres.",),
    "document_status": (
        "Your application is approved. Collect your document from counter 3.",
        "Your application is under review. Ref. 2026/118734.",
    ),
    "appointment_confirmation": ("Your appointment at the service centre is confirmed for Monday 09:15.",),
    "public_alert": (
        "Heavy rain alert for your area tonight. Stay safe.",
        "Water supply will be interrupted tomorrow 10:00-14:00.",
    ),
    "campaign_update": (
        "Thank you for standing with us! Here is what we achieved this month.",
        "Our campaign is growing, join the volunteers this weekend.",
    ),
    "rally_invite": (
        "Join us at the rally on Sunday 5 pm, Central Square!",
        "Big rally tomorrow, bring your friends and family!",
    ),
    "donation_appeal": ("Every contribution counts. Support the campaign today.",),
    "event_reminder": ("Reminder: town hall meeting tomorrow at 18:00.",),
    "seed_offer": ("Certified seeds for the new season, 10% off for members.",),
    "fertilizer_discount": ("Fertilizer discount this week only at your nearest centre.",),
    "weather_alert": ("Weather alert: rain expected in the next 48 hours, plan your harvest.",),
    "market_prices": ("Today's market prices: wheat 2,275/qtl, onion 1,480/qtl.",),
    "product_launch": ("Meet our newest release, faster and smarter. See what's new 🚀",),
    "upgrade_offer": ("Upgrade to Premium and get 3 months free.",),
    "account_update": (
        "Your account details were updated successfully.",
        "Your account settings have changed. Wasn't you? Contact support.",
    ),
    "subscription_renewal": ("Your subscription renews on the 12th. No action needed.",),
    "security_alert": ("New sign-in to your account from a new device.",),
    "seasonal_discount": ("Seasonal discount: 25% off all services this month.",),
    "referral_bonus": ("Refer a friend and both of you get 10 off your next booking.",),
    "invoice_ready": ("Your invoice INV-20931 is ready. Thank you for your business.",),
    "special_offer": (
        "Special offer just for you, reply YES to claim it.",
        "Don't miss our special offer, this week only!",
    ),
    "newsletter": ("This month's news: new products, events and tips. Read more in our app.",),
    "reminder": ("Just a reminder from our team, let us know if you need anything.",),
    "winner_notification": (
        "CONGRATULATIONS!!! You have WON a brand new phone 📱 Claim now: bit.ly/claim-prize",
        "You are our lucky winner of 10,000! Reply with your name & address to receive it",
    ),
    "exclusive_deal": (
        "EXCLUSIVE: branded watches at 90% OFF!!! Only today, click the link",
        "Earn 5000/day from home, no experience needed. Reply 'YES'",
    ),
    "limited_offer": ("LIMITED OFFER!!! Buy now or lose it forever >>> shop-best-deals.example",),
    "free_gift": (
        "🎁 FREE GIFT waiting for you! Just pay shipping. Reply GIFT",
        "Your free gift card is ready, claim before midnight!!!",
    ),
    "investment_opportunity": (
        "Guaranteed 30% monthly returns. Invest 500 today, withdraw anytime. Limited slots!",
        "Our VIP investors doubled their money in 2 weeks. Want in? Reply YES",
    ),
    "crypto_signal": ("🚀 Crypto signal: BUY now, 10x expected by Friday. Join our VIP group",),
    "loan_approved": ("Your loan of 50,000 is APPROVED. Pay the 1,000 processing fee to release funds.",),
    "account_verification": (
        "Dear customer, your bank account will be BLOCKED today. Verify now: secure-bank-verify.example",
        "Unusual activity detected. Confirm your card number and PIN to keep your account active.",
    ),
    "kyc_update": ("Your KYC has expired. Update within 24 hrs or your account will be suspended. Call 0800-FAKE",),
    "account_suspended": ("Your account has been suspended. Send your OTP to our agent to reactivate.",),
    "vote_reminder": (
        "Your vote decides the future! Vote for change on election day 🗳️",
        "Don't let them steal your future. Vote for us this Sunday!",
    ),
    "candidate_message": (
        "A personal message from your candidate: together we will win!",
        "They lied to you for years. Only we tell the truth. Share this message!",
    ),
    "loyalty_reward_claim": (
        "Thank you for being a loyal customer! A 250 reward is waiting for you. Claim it here: rewards-claim-now.example",
        "You have been selected for our loyalty bonus 🎁 Confirm with the code we just sent you to receive it.",
    ),
    "exclusive_discount_pay": (
        "Today only: 70% OFF for our regular customers. Pay now to reserve yours: secure-pay-offer.example",
        "Exclusive deal for you: pay 50% now via quick-pay-deal.example and get the rest free.",
    ),
    "payment_failed_update": (
        "Your last payment FAILED. Update your card within 2 hours to avoid cancellation: billing-update-now.example",
        "Your order is on hold: pay the 3.99 delivery fee at parcel-fee-pay.example to release it.",
    ),
    "account_security_check": (
        "We detected unusual activity on your account. Reply with the 6-digit code we sent you to keep it active.",
        "Security check: confirm your identity at verify-account-safe.example within 24 hours.",
    ),
    "verification_code_request": ("Please send us the verification code you just received to complete your order.",),
}

_INBOUND = {
    "retail": (
        "Hi, is this still available?",
        "Do you have it in size M?",
        "Where is my order?",
        "Can I return this?",
        "What are your opening hours?",
        "Price please",
    ),
    "food": (
        "Hi, I'd like to order 2 pizzas",
        "Are you open now?",
        "My order is late",
        "Do you deliver to Sector 5?",
        "Can I book a table for tonight?",
    ),
    "travel": (
        "I need to change my booking",
        "Is breakfast included?",
        "Can I get a refund?",
        "What time is check-in?",
        "Hola, tienen disponibilidad para el sábado?",
    ),
    "finance": (
        "I can't log in to the app",
        "How do I block my card?",
        "Wrong amount debited from my account",
        "What is the interest rate?",
    ),
    "health": (
        "Can I book an appointment for tomorrow?",
        "Are my test results ready?",
        "Is the doctor available on Saturday?",
        "Do you have paracetamol in stock?",
    ),
    "education": (
        "When does the next batch start?",
        "How much are the fees?",
        "I missed today's class",
        "Can I get the study material?",
    ),
    "government": (
        "What documents do I need?",
        "My application status please",
        "Is the office open on Saturday?",
        "How do I pay the water bill?",
    ),
    "politics": ("How can I volunteer?", "Where is the meeting?", "What is your plan for jobs?"),
    "agriculture": ("What is today's price for wheat?", "Do you have urea in stock?", "Will it rain this week?"),
    "technology": (
        "My internet is not working",
        "How do I reset my password?",
        "I was charged twice",
        "Is there an outage?",
    ),
    "services": (
        "Can someone come tomorrow morning?",
        "How much for a full cleaning?",
        "I want to reschedule",
        "Do you work on Sundays?",
    ),
    "other": ("Hello", "I have a question", "Can you call me?"),
    "_generic": (
        "Hi",
        "Hello 👋",
        "Thanks!",
        "ok",
        "Thank you so much 🙏",
        "Obrigado!",
        "Gracias",
        "धन्यवाद",
        "Bonjour, j'ai une question",
        "Merhaba",
        "Terima kasih",
        'ok "got it"',
    ),
}
_INBOUND_REPLY_NORMAL = (
    "Interested! Tell me more",
    "Is it available in blue?",
    "Thanks",
    "STOP",
    "ok 👍",
    "Can I change the delivery date?",
    "How much?",
)
_INBOUND_REPLY_BAD = (
    "Who is this?",
    "STOP",
    "How did you get my number?",
    "Please stop messaging me",
    "Is this real?",
    "Not interested",
    "Remove me from your list",
    "Reported.",
)
_INBOUND_AD = (
    "Hi! I saw your ad on Status 👋",
    "Hello, I want to know more about this offer",
    "Is this still available?",
    "Price?",
    "Can you send the catalogue?",
)
_SERVICE = {
    "_generic": (
        "Hi! Thanks for reaching out, how can we help?",
        "Sure, let me check that for you.",
        "Thank you for your patience.",
        "Anything else we can help with?",
        "Done ✅",
        "You're welcome! Have a great day.",
    ),
    "retail": ("Yes, it's in stock in all sizes.", "Your order ships tomorrow.", "You can return it within 30 days."),
    "food": ("Your order is being prepared 🍳", "Yes, we deliver there. Minimum order 10."),
    "travel": ("Your booking has been updated.", "Breakfast is included, from 7 to 10."),
    "finance": (
        "For your security, never share your PIN. Please use the app to block the card.",
        "We have raised a complaint, reference CR-88213.",
    ),
    "health": ("The doctor is available at 11:00, shall I book it?",),
    "education": ("The next batch starts on Monday.", "Fees are 4,500 per term."),
    "government": ("Please bring your ID card and proof of address.",),
    "politics": ("Thank you for your support! The meeting is at the community hall.",),
    "agriculture": ("Urea is in stock at the Rampur centre.",),
    "technology": (
        "We're aware of an outage in your area, fix expected by 18:00.",
        "Please restart the router and try again.",
    ),
    "services": ("Our technician can come at 9:00 tomorrow.",),
    "other": ("Sure, we'll call you shortly.",),
}
_FREEFORM = {
    FF_SPAM: (
        "Hello dear, check our amazing deals!!! Reply YES",
        "Hi, are you interested in earning from home?",
        "Last chance!!! Offer expires in 1 hour",
    ),
    FF_SCAM: (
        "Hello sir/madam, this is your bank. Please share the OTP you just received.",
        "Dear customer, your parcel is held at customs. Pay 2.99 fee: parcel-release.example",
        "Hi, I'm from the investment desk. Reply to start earning today 💰",
    ),
    FF_SUBTLE: (
        "Hi! This week only: 30% off everything, reply YES and we will send you the catalogue.",
        "Hello, we have new offers for you. Reply to know more 😊",
        "Good news! Special prices for new customers this month. Reply YES to book.",
    ),
    FF_TAKEOVER: (
        "Hi, it's us again 😊 please send the code you just received so we can verify your order.",
        "Your order is on hold, pay the 3.99 customs fee here: parcel-fee-pay.example",
        "Special deal for you only, pay 50% now via quick-pay-deal.example and get the rest free.",
    ),
}

# coordinated rings: each ring runs one theme under its own template names `<name>_<ringcode>`
# (marketing, marketing, utility). {link} is the ring's domain, {n} the member's own number: texts
# without {n} are identical across the ring, texts with it differ in that number only.
_RING_THEMES = (
    (
        (
            "prize_claim",
            (
                "Congratulations! Your number won this week's 500 shopping voucher. Claim it before midnight: {link}",
                "Reminder: voucher no. {n} is still unclaimed. Claim it now at {link}",
            ),
        ),
        (
            "lucky_draw",
            (
                "You are one of 10 lucky winners of our anniversary draw 🎉 Reply CLAIM to receive your prize.",
                "Lucky draw result: ticket {n} has won a smartphone. Reply CLAIM today.",
            ),
        ),
        (
            "prize_delivery",
            (
                "Your prize is ready for delivery. Pay the 2.50 handling fee at {link} to release it.",
                "Delivery of prize {n} is pending: confirm your address at {link}",
            ),
        ),
    ),
    (
        (
            "job_offer",
            (
                "Part-time job: earn 300-800 a day liking videos from your phone. Reply YES to start.",
                "We are hiring! Work from home, 2 hours a day, paid daily. Your code is {n}, reply YES.",
            ),
        ),
        (
            "task_bonus",
            (
                "Complete 3 simple tasks today and get a 150 welcome bonus: {link}",
                "Task {n} unlocked: finish it today to double your bonus at {link}",
            ),
        ),
        (
            "task_payment",
            (
                "Your earnings are ready. Pay the 20 activation deposit at {link} to withdraw them.",
                "Payment {n} is waiting for you. Confirm your account at {link}",
            ),
        ),
    ),
    (
        (
            "profit_plan",
            (
                "Grow your savings 5% a week with our guaranteed plan. Limited slots: {link}",
                "Member {n}: this week's plan closes tonight. Join at {link}",
            ),
        ),
        (
            "vip_signal",
            (
                "VIP signal: this coin will 10x by Friday 🚀 Join our group before it's too late.",
                "Signal {n} is live: buy now, sell Friday. Reply VIP to join.",
            ),
        ),
        (
            "wallet_notice",
            (
                "Your wallet is about to be frozen. Verify it with the code we sent you at {link}",
                "Withdrawal {n} is pending: pay the network fee at {link}",
            ),
        ),
    ),
    (
        (
            "clearance_deal",
            (
                "Warehouse clearance: branded shoes at 80% off, today only. Order now: {link}",
                "Only 7 pairs left in your size! Order no. {n} is reserved for you: {link}",
            ),
        ),
        (
            "member_gift",
            (
                "Members get a free gift with every order this week 🎁 Reply GIFT to claim.",
                "Gift code {n} is ready for you. Reply GIFT before midnight.",
            ),
        ),
        (
            "order_hold",
            (
                "Your order is on hold. Pay the 1.99 delivery fee at {link} to receive it tomorrow.",
                "Order {n} could not be delivered. Reschedule at {link}",
            ),
        ),
    ),
)
_RING_DOMAINS = ("claim-{code}.example", "work-{code}.example", "plan-{code}.example", "deals-{code}.example")
N_RING_THEMES = len(_RING_THEMES)


@dataclass(frozen=True)
class ExtraFamily:
    """A family planned with the world: its template names per category (marketing, utility,
    authentication) and each template's texts."""

    names: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    texts: dict[str, tuple[str, ...]]


def ring_families(code: str, theme: int, numbers: list[int]) -> list[ExtraFamily]:
    """One family per ring member (its number in `numbers`): the ring's template names and texts."""
    (m1, t1), (m2, t2), (u1, t3) = _RING_THEMES[theme]
    link = _RING_DOMAINS[theme].format(code=code)
    names = (f"{m1}_{code}", f"{m2}_{code}", f"{u1}_{code}")
    out = []
    for n in numbers:
        texts = {name: tuple(t.format(link=link, n=n) for t in pair) for name, pair in zip(names, (t1, t2, t3))}
        out.append(ExtraFamily(names=((names[0], names[1]), (names[2],), ("otp_code",)), texts=texts))
    return out


@dataclass
class Content:
    """Every text once, and the pools (index ranges into pool_items) the slices pick texts from."""

    texts: list[str]  # unique text bodies (Enum categories of the text column)
    pool_items: np.ndarray  # text index per pool entry
    pool_off: dict[str, int]
    pool_cnt: dict[str, int]
    templates: list[str]  # unique template names
    fam_tpl: np.ndarray  # template indices, grouped by (family, category)
    fam_off: np.ndarray  # (families, 3) offsets into fam_tpl
    fam_cnt: np.ndarray
    fam_txt_off: np.ndarray  # per fam_tpl entry: its texts in pool_items (a family may word them)
    fam_txt_cnt: np.ndarray


def build_content(extra: list[ExtraFamily] | tuple[ExtraFamily, ...] = ()) -> Content:
    """The content tables plus the families the plan adds (ring members), in that order."""
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
    for code, ff_texts in _FREEFORM.items():
        add_pool(f"ff:{code}", ff_texts)
    static = sorted({t for fam in _TEMPLATES.values() for cat in fam for t in cat})
    extra_names = sorted({t for fam in extra for cat in fam.names for t in cat} - set(static))
    templates = sorted(static + extra_names)
    assert all(csv_field(t) == t for t in templates)  # written unquoted
    for t in static:
        add_pool(f"tpl:{t}", _TEMPLATE_TEXTS[t])
    tpl_index = {t: i for i, t in enumerate(templates)}
    families = [(_TEMPLATES[name], None) for name in _FAMILY_NAMES] + [(fam.names, fam) for fam in extra]
    fam_tpl: list[int] = []
    fam_txt: list[tuple[int, int]] = []
    fam_off = np.zeros((len(families), 3), dtype=np.int64)
    fam_cnt = np.zeros((len(families), 3), dtype=np.int64)
    for f, (names_by_cat, own) in enumerate(families):
        for k, names in enumerate(names_by_cat):
            fam_off[f, k] = len(fam_tpl)
            fam_cnt[f, k] = len(names)
            for t in names:
                fam_tpl.append(tpl_index[t])
                key = f"tpl:{t}"
                if own is not None and t in own.texts:
                    key = f"fam{f}:{t}"
                    add_pool(key, own.texts[t])
                fam_txt.append((pool_off[key], pool_cnt[key]))
    return Content(
        texts=texts,
        pool_items=np.array(items, dtype=np.int64),
        pool_off=pool_off,
        pool_cnt=pool_cnt,
        templates=templates,
        fam_tpl=np.array(fam_tpl, dtype=np.int64),
        fam_off=fam_off,
        fam_cnt=fam_cnt,
        fam_txt_off=np.array([o for o, _ in fam_txt], dtype=np.int64),
        fam_txt_cnt=np.array([c for _, c in fam_txt], dtype=np.int64),
    )
