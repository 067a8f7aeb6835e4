"""Scoring the review queue against planted ground truth: precision and recall at k, overall and per
archetype, and the hard negatives that reached the top k.

A truth file names businesses and their archetype (`business_id,archetype`). Which archetypes are
bad comes, in this order, from `--bad NAME,...`; from a truth column `bad` (true/false) when the
file has one; else every archetype is bad except those whose name says it is not (the generator's
hard negatives, and names such as normal, legit, benign, control). `bad_archetypes` returns which
rule decided, so the command can say it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from etl.synth.archetypes import HARD_NEGATIVES

# The generator's documented hard negatives (etl/synth/archetypes.py, its one home), and words that
# mark an archetype as legitimate in truth files written by other tools.
KNOWN_NOT_BAD = ("normal", *HARD_NEGATIVES)
NOT_BAD_WORDS = re.compile(r"(^|_)(normal|legit|legitimate|benign|control|good|negative|hard_negative|ok)($|_)")
_TRUE = {"true", "1", "yes", "y", "t", "bad"}


def _archetypes(truth: pl.DataFrame) -> pl.DataFrame:
    """Archetype names trimmed and in lower case; rows without one name nothing and are left out."""
    named = truth.with_columns(pl.col("archetype").cast(pl.String).str.strip_chars().str.to_lowercase())
    return named.filter(pl.col("archetype").is_not_null() & (pl.col("archetype") != ""))


def bad_archetypes(truth: pl.DataFrame, bad: list[str] | None = None) -> tuple[set[str], str]:
    """The bad archetypes of a truth table and where that came from (for the command to say)."""
    truth = _archetypes(truth)
    names = set(truth["archetype"].drop_nulls().unique().to_list())
    if bad:
        return {b.strip().lower() for b in bad if b.strip()}, "--bad"
    if "bad" in truth.columns:
        flagged = truth.filter(pl.col("bad").cast(pl.String).str.strip_chars().str.to_lowercase().is_in(_TRUE))
        return set(flagged["archetype"].unique().to_list()), "the truth file's bad column"
    legit = {n for n in names if n in KNOWN_NOT_BAD or NOT_BAD_WORDS.search(n)}
    return names - legit, "the archetype names (hard negatives and names such as normal or legit are not bad)"


@dataclass
class ArchetypeScore:
    archetype: str
    bad: bool
    planted: int
    in_top_k: int
    share_in_top_k: float  # recall for a bad archetype; for a hard negative, the share that leaked in


@dataclass
class Evaluation:
    k: int
    planted: int
    found: int
    precision: float
    recall: float
    false_positives: list[str]
    missed: list[str]
    hard_negatives_in_top_k: list[str]
    bad: list[str] = field(default_factory=list)
    per_archetype: list[ArchetypeScore] = field(default_factory=list)


def evaluate(
    table: pl.DataFrame, truth: pl.DataFrame, k: int | None = None, bad: list[str] | set[str] | None = None
) -> Evaluation:
    """Precision and recall at k of a ranked queue (`rank`, `business_id`) against the truth;
    k defaults to the number of planted bad actors."""
    truth = _archetypes(truth).unique("business_id", keep="first")
    bad_names = set(bad) if bad is not None else bad_archetypes(truth)[0]
    bad_ids = set(truth.filter(pl.col("archetype").is_in(list(bad_names)))["business_id"])
    other_ids = set(truth.filter(~pl.col("archetype").is_in(list(bad_names)))["business_id"])
    k = k or len(bad_ids)
    top = table.sort("rank")["business_id"].head(k).to_list() if k else []
    top_set = set(top)
    hits = [b for b in top if b in bad_ids]
    per = []
    for name, ids in sorted(truth.group_by("archetype").agg(pl.col("business_id")).iter_rows()):
        n_top = len(top_set & set(ids))
        per.append(ArchetypeScore(name, name in bad_names, len(ids), n_top, n_top / len(ids) if ids else 0.0))
    per.sort(key=lambda a: (not a.bad, a.archetype))
    return Evaluation(
        k=k,
        planted=len(bad_ids),
        found=len(hits),
        precision=len(hits) / k if k else 0.0,
        recall=len(hits) / len(bad_ids) if bad_ids else 0.0,
        false_positives=[b for b in top if b not in bad_ids],
        missed=sorted(bad_ids - top_set),
        hard_negatives_in_top_k=[b for b in top if b in other_ids],
        bad=sorted(bad_names),
        per_archetype=per,
    )
