"""Countries from phone numbers, with Google's libphonenumber rules (`phonenumbers`).

The region of the number itself when the number is valid (+1 204... is Canada, +1 650... the
United States, +44 7911... may be Guernsey); otherwise the main region of its calling code (+1 ->
US), which the summary counts separately; otherwise unknown.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import phonenumbers

BY_NUMBER, BY_CALLING_CODE, UNKNOWN = "number", "calling_code", "unknown"


_NOT_DIGIT = re.compile(r"[^0-9]")


def digits(number: str) -> str:
    return _NOT_DIGIT.sub("", number)


@lru_cache(maxsize=1 << 17)
def country_of(number: str) -> tuple[str, str]:
    """(ISO 3166-1 alpha-2 country or "", how it was found) for an international number, with or
    without its leading + (WhatsApp ids are the number's digits)."""
    d = digits(number or "")
    if len(d) < 4 or len(d) > 17:
        return "", UNKNOWN
    parsed = _international(d)
    if parsed is None:
        try:
            parsed = phonenumbers.parse("+" + d, None)
        except phonenumbers.NumberParseException:
            return "", UNKNOWN
    region = phonenumbers.region_code_for_number(parsed)
    if region and region != "001":
        return region, BY_NUMBER
    main = phonenumbers.region_code_for_country_code(parsed.country_code)
    if main and main not in ("ZZ", "001"):
        return main, BY_CALLING_CODE
    return "", UNKNOWN


def _international(d: str) -> phonenumbers.PhoneNumber | None:
    """The number `+d` as libphonenumber reads an international number: the calling code is the
    shortest prefix (1 to 3 digits) that is one, the rest the national number. Built directly
    rather than by `phonenumbers.parse`, which spends most of its time on formats that a string of
    digits cannot have (letters, extensions, punctuation)."""
    for n in (1, 2, 3):
        cc = int(d[:n])
        if cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            rest = d[n:]
            prefix = _national_prefix(cc)
            if len(rest) < 2 or (prefix and rest.startswith(prefix)):
                return None  # a trunk prefix written after the calling code: parse's rules apply
            zeros = len(rest) - len(rest.lstrip("0"))
            return phonenumbers.PhoneNumber(
                country_code=cc,
                national_number=int(rest),
                italian_leading_zero=True if zeros else None,
                number_of_leading_zeros=zeros if zeros > 1 else None,
            )
    return None


@cache
def _national_prefix(cc: int) -> str:
    meta = phonenumbers.PhoneMetadata.metadata_for_region(phonenumbers.region_code_for_country_code(cc))
    return (meta.national_prefix or "") if meta else ""
