"""Countries and time: user shares, local time and weekends, Faker locales and Status ads prices per
country, and the daily and weekly rhythm that places every event in time.

A country's activity over the period is a piecewise-linear cumulative intensity (`lam`, 0..1);
events are placed by drawing a uniform share of it and inverting (`lam_inv`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

# Countries: WhatsApp-like user shares, local time, weekend, Faker locales, Status ads CPM (USD).
# weekend: 0 = Sat/Sun, 1 = Fri/Sat; locales: comma-separated.
_COUNTRY_TABLE = """
code  weight  utc_h   weekend  locales       cpm
IN    27.0    5.5     0        en_IN,hi_IN   0.6
BR    9.0     -3      0        pt_BR         1.6
ID    7.0     7       0        id_ID         0.8
MX    5.0     -6      0        es_MX         1.7
US    3.6     -5      0        en_US         8.0
PK    3.5     5       0        en_PK         0.5
NG    2.6     1       0        en_NG,yo_NG   0.6
DE    2.5     1       0        de_DE         6.0
TR    2.2     3       0        tr_TR         1.2
IT    2.0     1       0        it_IT         4.0
EG    2.0     2       1        ar_EG         0.7
FR    1.8     1       0        fr_FR         5.0
ES    1.8     1       0        es_ES         3.5
GB    1.8     0       0        en_GB         6.5
AR    1.6     -3      0        es_AR         1.4
RU    1.5     3       0        ru_RU         1.5
CO    1.5     -5      0        es_CO         1.3
ZA    1.3     2       0        zu_ZA,en      1.5
SA    1.2     3       1        ar_SA         3.0
BD    1.0     6       1        bn_BD,en_BD   0.5
PH    1.0     8       0        en_PH,fil_PH  0.8
MY    0.9     8       0        en            1.8
KE    0.8     3       0        en_KE         0.7
PE    0.8     -5      0        es            1.2
CL    0.7     -4      0        es_CL         2.0
NL    0.7     1       0        nl_NL         5.0
PL    0.6     1       0        pl_PL         2.5
UA    0.6     2       0        uk_UA         0.9
AE    0.5     4       0        ar_AE         4.5
PT    0.5     0       0        pt_PT         2.5
MA    0.5     1       0        ar_AA         0.8
CA    0.5     -5      0        en_CA,fr_CA   6.0
DZ    0.4     1       1        fr_DZ,ar_DZ   0.6
IL    0.4     2       1        he_IL         4.0
AU    0.4     10      0        en_AU         6.0
GH    0.4     0       0        tw_GH         0.6
NP    0.3     5.75    0        ne_NP         0.5
LK    0.3     5.5     0        si_LK         0.5
VN    0.3     7       0        vi_VN         0.8
TH    0.3     7       0        th_TH         1.0
CH    0.3     1       0        de_CH         7.0
BE    0.3     1       0        nl_BE         5.0
AT    0.3     1       0        de_AT         5.0
IE    0.2     0       0        en_IE         6.0
KZ    0.2     5       0        en            0.7
KR    0.1     9       0        en            5.0
"""
COUNTRIES = tuple(
    (code, float(weight), float(utc_h), int(weekend), tuple(locales.split(",")), float(cpm))
    for code, weight, utc_h, weekend, locales, cpm in (line.split() for line in _COUNTRY_TABLE.strip().splitlines()[1:])
)
COUNTRY_CODES = tuple(c[0] for c in COUNTRIES)
N_COUNTRIES = len(COUNTRIES)
USER_W = np.array([c[1] for c in COUNTRIES])
_TZ = np.array([c[2] for c in COUNTRIES], dtype=float)
_WEEKEND = np.array([c[3] for c in COUNTRIES])
CPM = np.array([c[5] for c in COUNTRIES])

# local hour-of-day activity (0h..23h): quiet nights, a midday plateau, an evening peak
_HOUR_PROFILE = np.array(
    [
        0.30,
        0.16,
        0.09,
        0.06,
        0.05,
        0.07,
        0.15,
        0.35,
        0.62,
        0.85,
        0.98,
        1.00,
        0.97,
        0.93,
        0.92,
        0.93,
        0.95,
        0.98,
        1.02,
        1.08,
        1.10,
        0.98,
        0.75,
        0.50,
    ]
)
# weekday factors Monday..Sunday for Sat/Sun weekends and for Fri/Sat weekends
_WEEKDAY_PROFILE = np.array([[1.00, 1.02, 1.00, 1.00, 0.97, 0.78, 0.70], [1.00, 1.00, 1.00, 1.02, 0.70, 0.80, 1.00]])

_GUIDE = 8  # guide table entries per hour


@dataclass
class ActivityCurves:
    """Per country, the cumulative normalised intensity at each hour edge 0..hours (flattened), and
    a guide table for the inverse: the hour in which each 1/(8 * hours) quantile step starts."""

    hours: int
    cum: np.ndarray
    guide: np.ndarray


def activity_curves(start: dt.date, hours: int) -> ActivityCurves:
    """The activity curves of every country over `hours` hours from midnight UTC of `start`."""
    i = np.arange(hours)
    local = i[None, :] + _TZ[:, None]
    hod = np.floor(local % 24).astype(int)
    day = np.floor(local / 24).astype(int)
    wd = (start.weekday() + day) % 7
    w = _HOUR_PROFILE[hod] * _WEEKDAY_PROFILE[_WEEKEND[:, None], wd]
    w = w * (1.0 + 0.1 * i / max(hours, 1))[None, :]  # slow growth over the period
    cum = np.concatenate([np.zeros((N_COUNTRIES, 1)), np.cumsum(w, axis=1)], axis=1)
    cum /= cum[:, -1:]
    steps = np.arange(_GUIDE * hours) / (_GUIDE * hours)
    guide = np.stack([np.searchsorted(row, steps, side="right") - 1 for row in cum])
    return ActivityCurves(hours=hours, cum=cum.reshape(-1), guide=np.clip(guide, 0, hours - 1).reshape(-1))


def lam(curves: ActivityCurves, c: np.ndarray, t_hours: np.ndarray) -> np.ndarray:
    """Cumulative intensity (0..1) of country c at time t (hours, 0..hours): piecewise linear."""
    h = curves.hours
    i = np.clip(t_hours.astype(np.int64), 0, h - 1)
    base = c * (h + 1) + i
    lo = curves.cum[base]
    return lo + (t_hours - i) * (curves.cum[base + 1] - lo)


def lam_inv(curves: ActivityCurves, c: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The time (hours) at which country c's cumulative intensity reaches y."""
    h = curves.hours
    q = _GUIDE * h
    b = curves.guide[c * q + np.clip((y * q).astype(np.int64), 0, q - 1)]
    base = c * (h + 1)
    while True:  # the guide lands at most a few hours early (quiet nights): step forward
        ahead = (curves.cum[base + b + 1] <= y) & (b < h - 1)
        if not ahead.any():
            break
        b = b + ahead
    lo = curves.cum[base + b]
    return b + (y - lo) / (curves.cum[base + b + 1] - lo)


def country_choice(rng: np.random.Generator, n: int, power: float = 1.0) -> np.ndarray:
    p = USER_W**power
    return rng.choice(N_COUNTRIES, size=n, p=p / p.sum())


def to_seconds(t_hours: np.ndarray) -> np.ndarray:
    return np.floor(t_hours * 3600.0).astype(np.int64)
