"""Meta's pricing categories (webhook `pricing.category`, analytics `pricing_category`) mapped to
log format v1's four message categories. Webhooks write them in lower case, analytics in upper
case; both are read either way. docs/formats/whatsapp_webhook.md explains each mapping.
"""

from __future__ import annotations

CATEGORY_MAP = {
    "marketing": "marketing",
    # Marketing Messages Lite API (marketing messages sent through the MM API): billed as marketing.
    "marketing_lite": "marketing",
    "utility": "utility",
    "authentication": "authentication",
    # The authentication-international rate: an authentication message at another price.
    "authentication_international": "authentication",
    "authentication-international": "authentication",
    "service": "service",
    # A free entry point conversation (the user came from a click-to-WhatsApp ad or a Page call to
    # action): free of charge and user-initiated, which is what v1's service means.
    "referral_conversion": "service",
}

# Categories only a template can be sent in: a message billed in one of them was a template even
# though a status webhook never names it.
TEMPLATE_CATEGORIES = ("marketing", "utility", "authentication")


def v1_category(raw) -> str | None:
    if not isinstance(raw, str):
        return None
    return CATEGORY_MAP.get(raw.strip().lower())
