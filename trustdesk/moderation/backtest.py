"""Backtesting the review queue: what it would have flagged on past days, against the decisions taken.

For each day D of [from, to], every `every` days counted back from `to` (so the last day is always
judged), the queue as of D is computed with the settings of now (and re-ranked by the model in
force, if one is trained), without leaving decided businesses out: it measures the scorer, not the
workflow. Its top k is scored:

- precision@k: the share of the top k that was decided against (a business is decided against when
  any of its decisions, taken before or after D, is against it and not overturned on appeal; see
  learning.py for the labels); businesses never decided count as not decided against, so the
  column `labelled_in_top_k` says how many of the top k were decided at all;
- recall@k: the share of the businesses decided against whose flag (the day its case's flag was
  first seen) falls in D's look-back that are in the top k;
- against a ground-truth file (business_id, archetype) with its bad archetypes, when given: the
  share of the top k that is planted bad, and the share of the planted bad actors in the top k.

A trained model learned from every decision, later ones included, so its figures on past days
flatter it; the rules' figures have no such lean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from etl.settings import Settings
from trustdesk.accounts.auth import Principal, require
from trustdesk.moderation import learning, risk
from trustdesk.moderation.cases import Store
from trustdesk.moderation.errors import ModerationError
from trustdesk.moderation.evaluation import bad_archetypes
from trustdesk.warehouse import Warehouse

DEFAULT_DAYS = 30
DEFAULT_EVERY = 3
DEFAULT_K = 20

SCHEMA = {
    "day": pl.Date,
    "k": pl.Int64,
    "queue_size": pl.Int64,
    "labelled_in_top_k": pl.Int64,
    "against_in_top_k": pl.Int64,
    "decided_against": pl.Int64,  # decided against with a flag in the day's look-back: recall's denominator
    "precision": pl.Float64,
    "recall": pl.Float64,
}
TRUTH_SCHEMA = {"truth_in_top_k": pl.Int64, "truth_precision": pl.Float64, "truth_recall": pl.Float64}


class BacktestError(ModerationError, ValueError):
    """Input a backtest cannot use, in one sentence."""


@dataclass(frozen=True)
class Truth:
    bad_ids: frozenset[str]
    bad: tuple[str, ...]  # the bad archetypes
    source: str  # where the bad archetypes came from (evaluation.bad_archetypes)


def _when(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".")


def read_truth(path: Path | str, bad: list[str] | None = None) -> Truth:
    """A ground-truth CSV (business_id, archetype) and its bad archetypes (`bad`, else as
    `trustdesk evaluate` decides them); BacktestError with the sentence otherwise."""
    path = Path(path)
    if not path.is_file():
        raise BacktestError(f"there is no truth file {path}")
    try:
        truth = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise BacktestError(f"{path} could not be read as CSV ({_first_line(exc)})") from exc
    if not {"business_id", "archetype"} <= set(truth.columns):
        raise BacktestError(f"{path} needs the columns business_id and archetype")
    names, source = bad_archetypes(truth, bad)
    known = set(truth["archetype"].drop_nulls().str.strip_chars().str.to_lowercase().to_list())
    unknown = names - known
    if unknown:
        raise BacktestError(f"the bad archetypes {', '.join(sorted(unknown))} are not in {path}")
    if not names:
        raise BacktestError(f"{path} holds no bad archetype by {source}; name them")
    ids = truth.filter(pl.col("archetype").str.strip_chars().str.to_lowercase().is_in(sorted(names)))["business_id"]
    return Truth(frozenset(ids.to_list()), tuple(sorted(names)), source)


def judged_days(date_from: date, date_to: date, every: int) -> list[date]:
    """The days judged: `date_to`, then every `every` days back to `date_from`, oldest first."""
    if every < 1:
        raise BacktestError("judge every 1 day or more")
    if date_from > date_to:
        raise BacktestError(f"the first day {_when(date_from)} is after the last {_when(date_to)}")
    out, day = [], date_to
    while day >= date_from:
        out.append(day)
        day -= timedelta(days=every)
    return out[::-1]


def span(wh: Warehouse, date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The days to judge: the given ones, else the last DEFAULT_DAYS of the data, kept to the
    data's days; BacktestError when there is no data or no data in them."""
    first, last = wh.date_range()
    if first is None or last is None:
        raise BacktestError("there is no data to backtest yet: load some first")
    if date_from and date_to and date_from > date_to:
        raise BacktestError(f"the first day {_when(date_from)} is after the last {_when(date_to)}")
    if (date_from and date_from > last) or (date_to and date_to < first):
        asked = " to ".join(_when(d) for d in (date_from, date_to) if d)
        raise BacktestError(f"the data covers {_when(first)} to {_when(last)}, not {asked}")
    end = min(date_to or last, last)
    start = max(date_from or end - timedelta(days=DEFAULT_DAYS - 1), first)
    return start, end


def _business_labels(labelled: pl.DataFrame) -> tuple[set[str], set[str]]:
    """(businesses decided at all, businesses decided against)."""
    decided = set(labelled["business_id"].to_list())
    against = set(labelled.filter(pl.col("against") == 1)["business_id"].to_list())
    return decided, against


def _share(part: int, whole: int, known: bool = True) -> float | None:
    return part / whole if known and whole else None


def run(
    wh: Warehouse,
    labelled: pl.DataFrame,
    settings: Settings,
    date_from: date,
    date_to: date,
    every: int = DEFAULT_EVERY,
    k: int = DEFAULT_K,
    truth: Truth | None = None,
    ranker: learning.Ranker | None = None,
    progress: learning.Progress = learning._quiet,
) -> pl.DataFrame:
    """One row per judged day (SCHEMA, then TRUTH_SCHEMA with a truth): see the module's text.
    `labelled`: learning.labels(store). Precision and recall are null without decisions, or on a
    day whose queue is empty (precision) or with no business decided against in its look-back (recall)."""
    if k < 1:
        raise BacktestError("k is 1 or more")
    days = judged_days(date_from, date_to, every)
    decided, against = _business_labels(labelled)
    flags = labelled.filter(pl.col("against") == 1).with_columns(
        pl.coalesce("flagged_on", "decided_as_of").alias("flag_day")
    )
    lookback = settings.risk_lookback_days
    rows = []
    for i, day in enumerate(days):
        progress(i, len(days), f"the queue as of {day:%d %b %Y}")
        table = learning.ranked(risk.queue(wh, day, lookback, settings).table, ranker)
        top = table.sort("rank")["business_id"].head(k).to_list()
        start = day - timedelta(days=lookback - 1)
        due = set(flags.filter(pl.col("flag_day").is_between(start, day))["business_id"].to_list())
        hits = sum(b in against for b in top)
        row = {
            "day": day,
            "k": k,
            "queue_size": table.height,
            "labelled_in_top_k": sum(b in decided for b in top),
            "against_in_top_k": hits,
            "decided_against": len(due),
            "precision": _share(hits, k, bool(decided)),  # of the k, as `trustdesk evaluate` counts
            "recall": _share(len(due & set(top)), len(due)),
        }
        if truth is not None:
            found = sum(b in truth.bad_ids for b in top)
            row |= {
                "truth_in_top_k": found,
                "truth_precision": _share(found, k),
                "truth_recall": _share(found, len(truth.bad_ids)),
            }
        rows.append(row)
    progress(len(days), len(days), "backtest done")
    return pl.DataFrame(rows, schema=SCHEMA | (TRUTH_SCHEMA if truth is not None else {}))


# --------------------------------------------------------------------------- the page's read side


@dataclass
class Backtest:
    """What the backtest page draws."""

    frame: pl.DataFrame  # run()'s
    scorer: str  # "rules" or "model trained on N decisions"
    readiness: learning.Readiness
    date_from: date
    date_to: date
    every: int
    k: int

    @property
    def has_decisions(self) -> bool:
        return self.readiness.decisions > 0

    def long(self) -> pl.DataFrame:
        """day, measure ("precision@k", "recall@k"), value: the chart's rows (no nulls)."""
        measures = {"precision": f"precision@{self.k}", "recall": f"recall@{self.k}"}
        return (
            self.frame.select("day", *measures)
            .unpivot(index="day", variable_name="measure", value_name="value")
            .drop_nulls("value")
            .with_columns(pl.col("measure").replace_strict(measures))
        )


def _rows(wh: Warehouse, date_from, date_to, every, k, labels_rows, settings_items, model_key) -> pl.DataFrame:
    """run() from hashable arguments, for a cache keyed by the warehouse version: the decisions
    (their rows), the settings and the saved model's fingerprint are in the key."""
    labelled = pl.DataFrame(list(labels_rows), schema=learning.LABEL_SCHEMA, orient="row")
    settings = Settings(**dict(settings_items))
    ranker = learning.saved(wh.root) if model_key else None
    return run(wh, labelled, settings, date_from, date_to, every, k, None, ranker)


def call(fn: Callable, wh: Warehouse, *args):
    return fn(wh, *args)


def backtest(
    wh: Warehouse,
    who: Principal,
    date_from: date | None = None,
    date_to: date | None = None,
    k: int = DEFAULT_K,
    every: int = DEFAULT_EVERY,
    read: Callable = call,
) -> Backtest:
    """The backtest over [date_from, date_to] (default: the last DEFAULT_DAYS days of the data) with
    the settings and model of now (training it first when the decisions changed). `read(fn, wh,
    *args)` runs the warehouse part: pages pass their cache (trustdesk.web.cache.cached)."""
    who = require(who, "moderator", "backtest the review queue")
    start, end = span(wh, date_from, date_to)
    judged_days(start, end, every)  # refuses a bad step before any work
    if k < 1:
        raise BacktestError("k is 1 or more")
    settings = Settings.load(wh.root)
    with Store(wh.root) as store:
        labelled = learning.labels(store)
        ranker = learning.current(wh.root, wh, store, settings)
    model_key = ranker.meta.get("fingerprint") if ranker else None
    frame = read(
        _rows, wh, start, end, every, k, tuple(labelled.iter_rows()), tuple(sorted(asdict(settings).items())), model_key
    )
    return Backtest(
        frame, ranker.scorer if ranker else "rules", learning.Readiness.of(labelled, settings), start, end, every, k
    )
