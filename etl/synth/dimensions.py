"""The dimension files: businesses (with localised Faker names), ad_campaigns and truth.

The names are only written, never drawn from by the events, so the frames are built in the writer
thread from the rows the plan fixed (`DimensionRows.frames`)."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import numpy as np
import polars as pl
from faker import Faker

from etl.contract import (
    AD_OBJECTIVES,
    KINDS,
    TRUTH_COLUMNS,  # the loader recognises truth.csv by this header
)
from etl.synth.archetypes import SPAMMER, TRANSACTIONAL
from etl.synth.businesses import Businesses
from etl.synth.campaigns import Campaigns
from etl.synth.draws import make_rng
from etl.synth.geography import COUNTRIES, COUNTRY_CODES

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


_UNORDERED_CITIES = {"it_IT"}
_FAKER_PROVIDERS = ["faker.providers.company", "faker.providers.person", "faker.providers.address"]


def _business_names(seed: int, countries: np.ndarray, categories: list[str], arch: np.ndarray) -> list[str]:
    fakers: dict[str, Faker] = {}
    names = []
    rng = make_rng(seed, "business-names")
    for c, cat, a in zip(countries, categories, arch):
        locales = COUNTRIES[c][4]
        loc = locales[int(rng.integers(len(locales)))]
        if loc not in fakers:
            fakers[loc] = Faker(loc, providers=_FAKER_PROVIDERS)
        fake = fakers[loc]
        fake.seed_instance(int(rng.integers(1 << 62)))
        suffix = _NAME_SUFFIX[cat][int(rng.integers(len(_NAME_SUFFIX[cat])))]
        # Faker's it_IT cities come from a set, in an order that changes with PYTHONHASHSEED
        city = fake.last_name if loc in _UNORDERED_CITIES else fake.city
        style = rng.random()
        if a == TRANSACTIONAL:  # banks and airlines
            suffix = "Bank" if cat == "finance" else "Airways"
            name = f"{city()} {suffix}" if style < 0.5 else f"{fake.last_name()} {suffix}"
        elif cat == "government":
            name = f"{city()} {suffix}"
        elif cat == "politics":
            name = f"{fake.last_name()} for {city()}" if style < 0.4 else f"{city()} {suffix}"
        elif style < 0.35:
            name = fake.company()
        elif style < 0.55:
            name = f"{fake.last_name()} {suffix}"
        elif style < 0.68:
            name = f"{fake.last_name()} & {fake.last_name()}"
        elif style < 0.76:
            name = f"{fake.last_name()} & Sons {suffix}"
        elif style < 0.82:
            name = f'{fake.first_name()}\'s "{fake.last_name()}" {suffix}'
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
    base = dt.datetime.fromtimestamp(epoch_start, tz=dt.UTC)
    return [(base + dt.timedelta(seconds=int(s))).strftime("%Y-%m-%dT%H:%M:%SZ") for s in seconds]


def _campaign_names(seed: int, n: int) -> list[str]:
    fake = Faker("en_US", providers=["faker.providers.company"])
    fake.seed_instance(zlib.crc32(b"campaigns") ^ (int(seed) % (1 << 31)))
    rng = make_rng(seed, "campaign-names")
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


@dataclass
class DimensionRows:
    """What the dimension files hold, as the plan drew it."""

    seed: int
    start: dt.date
    epoch_start: int
    b_ids: list[str]
    biz: Businesses
    campaign_ids: list[str]
    campaigns: Campaigns
    truth_rows: list[tuple[str, str]]

    def frames(self) -> dict[str, pl.DataFrame]:
        biz, cp, start = self.biz, self.campaigns, self.start
        businesses = pl.DataFrame(
            {
                "business_id": self.b_ids,
                "name": _business_names(self.seed, biz.country, biz.cat, biz.arch),
                "category": biz.cat,
                "country": [COUNTRY_CODES[c] for c in biz.country],
                "employees": biz.employees,
                "verified": ["true" if v else "false" for v in biz.verified],
                "created_at": _fmt_ts(self.epoch_start, biz.created),
            }
        )
        campaigns = pl.DataFrame(
            {
                "campaign_id": self.campaign_ids,
                "business_id": [self.b_ids[b] for b in cp.b],
                "name": _campaign_names(self.seed, cp.n),
                "starts_on": [(start + dt.timedelta(days=int(d))).isoformat() for d in cp.start_day],
                "ends_on": [(start + dt.timedelta(days=int(d))).isoformat() for d in cp.end_day],
                "objective": [AD_OBJECTIVES[o] for o in cp.objective],
                "budget_usd": [f"{x:.2f}" for x in cp.budget],
                "countries": [";".join(COUNTRY_CODES[c] for c in cs) for cs in cp.countries],
            },
            schema={k: pl.String for k in KINDS["ad_campaigns"].names},
        )
        truth = pl.DataFrame(self.truth_rows, schema=list(TRUTH_COLUMNS), orient="row")
        return {"businesses": businesses, "ad_campaigns": campaigns, "truth": truth}
