"""Per-world lookup tables the slices format columns from: each business's text pools, the Enum
sources of the low-cardinality columns, and the day and time-of-day tables of timestamps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from etl.contract import (
    AD_EVENTS,
    BLOCK_REASONS,
    DIRECTIONS,
    MESSAGE_CATEGORIES,
    OPT_OUT_ACTIONS,
    REPORT_REASONS,
    STATUSES,
)
from etl.synth.codes import DAY
from etl.synth.columns import DIGITS4, csv_field, enum_source, fixed_width
from etl.synth.content import FAM_SCAM, FAM_SPAM, FF_SCAM, FF_SPAM, Content
from etl.synth.geography import COUNTRY_CODES
from etl.synth.plan import Plan


@dataclass
class Lookups:
    """Per-business pool offsets and the Enum sources the columns are gathered from."""

    b_in_off: np.ndarray
    b_in_cnt: np.ndarray
    b_srv_off: np.ndarray
    b_srv_cnt: np.ndarray
    ff_off: np.ndarray  # by free-form pool (FF_*)
    ff_cnt: np.ndarray
    reply_off: np.ndarray  # by reply pool: normal, bad
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


def build_lookups(plan: Plan, content: Content) -> Lookups:
    cats = plan.b_cat
    po, pc = content.pool_off, content.pool_cnt
    b_in_off = np.array([po[f"in:{c}"] for c in cats], dtype=np.int64)
    b_in_cnt = np.array([pc[f"in:{c}"] for c in cats], dtype=np.int64)
    # spammers and scammers answer with their outreach texts, everybody else as their category does
    ff_of = {FAM_SPAM: FF_SPAM, FAM_SCAM: FF_SCAM}
    srv_keys = [f"ff:{ff_of[f]}" if f in ff_of else f"service:{c}" for f, c in zip(plan.b_family, cats)]
    ff_keys = sorted(k for k in po if k.startswith("ff:"))
    assert ff_keys == [f"ff:{i}" for i in range(len(ff_keys))]
    day_tab = np.array(
        [list((plan.start + dt.timedelta(days=d)).isoformat().encode() + b"T") for d in range(plan.days)],
        dtype=np.uint8,
    )
    sec = np.arange(DAY)
    tod = np.empty((DAY, 9), dtype=np.uint8)
    tod[:, 0:2] = DIGITS4[sec // 3600][:, 2:]
    tod[:, 2] = ord(":")
    tod[:, 3:5] = DIGITS4[(sec // 60) % 60][:, 2:]
    tod[:, 5] = ord(":")
    tod[:, 6:8] = DIGITS4[sec % 60][:, 2:]
    tod[:, 8] = ord("Z")
    return Lookups(
        b_in_off=b_in_off,
        b_in_cnt=b_in_cnt,
        b_srv_off=np.array([po[k] for k in srv_keys], dtype=np.int64),
        b_srv_cnt=np.array([pc[k] for k in srv_keys], dtype=np.int64),
        ff_off=np.array([po[k] for k in ff_keys], dtype=np.int64),
        ff_cnt=np.array([pc[k] for k in ff_keys], dtype=np.int64),
        reply_off=np.array([po["in:reply_normal"], po["in:reply_bad"]], dtype=np.int64),
        reply_cnt=np.array([pc["in:reply_normal"], pc["in:reply_bad"]], dtype=np.int64),
        ad_off=po["in:ad"],
        ad_cnt=pc["in:ad"],
        day_tab=day_tab,
        tod_tab=tod,
        e_business=enum_source(plan.b_ids, with_null=False),
        e_campaign=enum_source(plan.campaign_ids, with_null=False),
        e_country=enum_source(COUNTRY_CODES, with_null=False),
        e_direction=enum_source(DIRECTIONS, with_null=False),
        e_category=enum_source(MESSAGE_CATEGORIES),
        e_status=enum_source(STATUSES),
        e_template=enum_source(content.templates),
        # event files are written unquoted (fast): the only field that may need quotes is the
        # text, whose few distinct values are quoted here once
        e_text=enum_source([csv_field(t) for t in content.texts], with_null=False),
        e_report=enum_source(REPORT_REASONS, with_null=False),
        e_block=enum_source(BLOCK_REASONS),
        e_action=enum_source(OPT_OUT_ACTIONS, with_null=False),
        e_event=enum_source(AD_EVENTS, with_null=False),
    )


_TS_RECORD = np.dtype([("day", "V11"), ("time", "V9")])


def ts_series(lk: Lookups, t: np.ndarray, name: str) -> pl.Series:
    """`YYYY-MM-DDTHH:MM:SSZ` of seconds since the period start, from day and time-of-day tables."""
    rec = np.empty(len(t), dtype=_TS_RECORD)
    day, sec = np.divmod(t, DAY)
    rec["day"] = lk.day_tab.view("V11").reshape(-1)[day]
    rec["time"] = lk.tod_tab.view("V9").reshape(-1)[sec]
    return fixed_width(rec.view(np.uint8).reshape(len(t), 20), name)
