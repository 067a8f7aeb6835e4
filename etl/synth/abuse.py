"""`Abuse`: the knobs of the planted abuse and hard negatives (`generate_world(..., abuse=...)`).

The defaults are the world `ARCHETYPE_RULES` documents; every field changes only what its name says,
and the same seed, sizes and knobs give byte-identical files. Ranges are (low, high), both ends
included, and a draw is uniform in them per business (per ring for `ring_size`): (3.0, 3.0) plants
exactly 3.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Abuse:
    """How subtle the planted abuse is and how much of it there is."""

    # subtle spammers' business-level block rate and reports per 1000 messages, as a multiple of the
    # median normal business of their category
    subtle_mult: tuple[float, float] = (2.0, 4.0)
    # the same multiple for ring members; None: 0.75 x subtle_mult (1.5-3x by default)
    ring_mult: tuple[float, float] | None = None
    ring_size: tuple[int, int] = (3, 8)  # accounts per ring
    rings: int | None = None  # None: 1-2 rings from 100 businesses, 1 from 50, none below
    # the share of a ring member's recipients drawn from the ring's shared target list
    ring_overlap: tuple[float, float] = (0.3, 0.6)
    subtle_share: float = 0.03  # share of businesses that are subtle spammers (at least 2 from 50)
    takeover_share: float = 0.015  # share of businesses taken over (at least 1 from 50)
    takeover_days: tuple[int, int] = (5, 10)  # the takeover's scam blasts fill the period's last days
    promo_boost: tuple[float, float] = (3.0, 6.0)  # a seasonal promo week's marketing vs a usual week
    growth_per_week: float = 2.0  # a growing business's volume factor per week

    def __post_init__(self) -> None:
        for name in ("subtle_mult", "ring_overlap", "promo_boost", "ring_size", "takeover_days"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise ValueError(f"Abuse.{name} must be a (low, high) range with 0 < low <= high, not {(lo, hi)}")
        if self.ring_mult is not None and not 0 < self.ring_mult[0] <= self.ring_mult[1]:
            raise ValueError(f"Abuse.ring_mult must be None or a range with 0 < low <= high, not {self.ring_mult}")
        if self.ring_overlap[1] >= 1:
            raise ValueError(f"Abuse.ring_overlap must be below 1, not {self.ring_overlap}")
        if self.ring_size[0] < 2:
            raise ValueError(f"Abuse.ring_size must be at least 2 accounts, not {self.ring_size}")
        if self.rings is not None and self.rings < 0:
            raise ValueError(f"Abuse.rings must be None or at least 0, not {self.rings}")
        if not (0 <= self.subtle_share <= 0.2 and 0 <= self.takeover_share <= 0.2):
            raise ValueError("Abuse.subtle_share and Abuse.takeover_share must be between 0 and 0.2")
        if self.growth_per_week < 1:
            raise ValueError(f"Abuse.growth_per_week must be at least 1, not {self.growth_per_week}")

    @property
    def ring_range(self) -> tuple[float, float]:
        """The ring members' multiplier range."""
        if self.ring_mult is not None:
            return self.ring_mult
        return (0.75 * self.subtle_mult[0], 0.75 * self.subtle_mult[1])
