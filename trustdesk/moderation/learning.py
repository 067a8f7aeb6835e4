"""Learning from decisions: moderators' outcomes as labels, and a model that re-ranks the review queue.

Labels (`labels`, `sql/learning_labels.sql`): a case's first decision against the business (any
action but dismiss) that was not overturned on appeal is 1; a dismissal, or a decision overturned,
is 0. An example's features are `risk.FEATURES` of the business at its riskiest day in the queue as
of the decision's data date (`decided_as_of`): the queue is computed once per data date, without
`settled`, as the moderator saw the flag. A decided business absent from that queue (its flag aged
out of the look-back, or a case opened by hand) gets its riskiest `risk.signals` row of the
look-back; one with no row at all is skipped and counted.

The model is a regularised logistic regression on standardised log1p(features), classes weighted
to balance, wrapped in a sigmoid calibration once there are CALIBRATE_FROM examples with
CALIBRATE_PER_CLASS of each class. It is trained once there are `learn_min_decisions` decisions
with MIN_PER_CLASS of each class (`Readiness`); before that there is no model and the rules rank.
It only re-ranks the businesses the rules flagged (`Ranker.rerank`): who is flagged stays the rules'.

The model is kept in `<data dir>/models/ranker.joblib` (written atomically) with its metadata and
its examples, so that a retrain computes only the queues of new data dates. `current` retrains when
the decisions changed (a new decision, an overturn) or the settings the features depend on did;
a model trained on another FEATURES tuple, or by another scikit-learn, is discarded.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import joblib
import numpy as np
import polars as pl
import sklearn
from filelock import FileLock
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from etl.settings import Settings
from etl.store import private_dir, private_file
from trustdesk.moderation import risk
from trustdesk.moderation.cases import Store
from trustdesk.warehouse import Warehouse

MODEL_DIR = "models"
MODEL_FILE = "ranker.joblib"
FORMAT = 1  # of the saved file; another is discarded
MIN_PER_CLASS = 5
CALIBRATE_FROM = 60
CALIBRATE_PER_CLASS = 10
REGULARISATION = 1.0  # LogisticRegression's C: smaller is stronger
MOST_DRIVERS = 3

# A feature in the words a moderator reads; a feature not listed reads as its column name.
FEATURE_WORDS = {
    "peer_excess": "report or block rates above its peers'",
    "surprise": "feedback far above what its peers' rates predict",
    "cold_share": "marketing to users who never wrote first",
    "history_change": "a jump against its own history",
    "campaign_surprise": "a coordinated campaign of look-alike accounts",
    "campaign_excess": "a coordinated campaign's pooled rates above its peers'",
    "campaign_cold": "a campaign of accounts marketing to users who never wrote first",
    "platform": "faults the platform itself reported",
    "freeform_outside_share": "free-form messages outside the 24 h window",
    "opt_out_rate": "marketing opt-outs",
    "political_burst": "a burst of political reports",
    "report_rate": "the spam report rate",
    "block_rate": "the block rate",
    "unsolicited_share": "messages to users who never wrote first",
}

LABEL_SCHEMA = {
    "case_id": pl.Int64,
    "business_id": pl.String,
    "decided_as_of": pl.Date,
    "flagged_on": pl.Date,
    "action": pl.String,
    "overturned": pl.Boolean,
    "against": pl.Int64,
}

Progress = Callable[[float, float, str], None]


def _quiet(done: float, total: float, text: str) -> None:
    return None


def sql(name: str) -> str:
    """The query `sql/<name>.sql` shipped with this package."""
    return resources.files("trustdesk.moderation").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def words(feature: str) -> str:
    return FEATURE_WORDS.get(feature, feature)


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --------------------------------------------------------------------------- labels


def labels(store: Store, until: date | None = None) -> pl.DataFrame:
    """Every decided case with a data date (LABEL_SCHEMA), oldest data date first; `until`: only
    those decided on data up to that day."""
    cur = store.con.execute(sql("learning_labels"), {"until": until.isoformat() if until else None})
    rows = [
        {
            "case_id": r["case_id"],
            "business_id": r["business_id"],
            "decided_as_of": date.fromisoformat(r["decided_as_of"][:10]),
            "flagged_on": _day(r["flagged_on"]),
            "action": r["action"],
            "overturned": bool(r["overturned"]),
            "against": int(r["against"]),
        }
        for r in cur
    ]
    return pl.DataFrame(rows, schema=LABEL_SCHEMA)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Readiness:
    """Whether there are enough decisions to train on, and if not, how many more."""

    decisions: int
    against: int
    dismissed: int
    minimum: int

    @classmethod
    def of(cls, labelled: pl.DataFrame, settings: Settings) -> Readiness:
        against = int(labelled["against"].sum()) if labelled.height else 0
        return cls(labelled.height, against, labelled.height - against, settings.learn_min_decisions)

    @property
    def more(self) -> int:
        """Decisions still needed (at least)."""
        per_class = max(0, MIN_PER_CLASS - self.against) + max(0, MIN_PER_CLASS - self.dismissed)
        return max(self.minimum - self.decisions, per_class, 0)

    @property
    def ready(self) -> bool:
        return self.more == 0

    @property
    def sentence(self) -> str:
        """What is missing, in one sentence (empty when ready)."""
        if self.ready:
            return ""
        classes = []
        if self.against < MIN_PER_CLASS:
            classes.append(f"{MIN_PER_CLASS - self.against} more decided against")
        if self.dismissed < MIN_PER_CLASS:
            classes.append(f"{MIN_PER_CLASS - self.dismissed} more dismissed")
        need = f"{self.more:,} more {'decision' if self.more == 1 else 'decisions'}"
        if classes:
            need += f" ({_listed(classes)})"
        return (
            f"the model needs {need}: it learns from {self.minimum:,} decided cases (setting "
            f"learn_min_decisions) with at least {MIN_PER_CLASS} decided against and {MIN_PER_CLASS} dismissed, "
            f"and there are {self.decisions:,} ({self.against:,} against, {self.dismissed:,} dismissed)"
        )


# --------------------------------------------------------------------------- examples


@dataclass
class Examples:
    frame: pl.DataFrame  # case_id, business_id, decided_as_of, against, source ("queue"/"signals"), *features
    skipped: int = 0  # decided businesses with no signals row at their data date
    from_signals: int = 0  # decided businesses absent from that date's queue


def _settings_key(settings: Settings) -> dict:
    """The settings the features depend on: a change retrains."""
    return {
        "risk_window_days": settings.risk_window_days,
        "risk_lookback_days": settings.risk_lookback_days,
        "risk_flag_score": settings.risk_flag_score,
        "quality_min_reached": settings.quality_min_reached,
    }


def _example_schema(features: tuple[str, ...]) -> dict:
    return {
        "case_id": pl.Int64,
        "business_id": pl.String,
        "decided_as_of": pl.Date,
        "against": pl.Int64,
        "source": pl.String,
        **{f: pl.Float64 for f in features},
    }


def examples(
    wh: Warehouse,
    labelled: pl.DataFrame,
    settings: Settings,
    known: pl.DataFrame | None = None,
    progress: Progress = _quiet,
) -> Examples:
    """Each decided case's features at its data date (see the module's text); `known`: examples
    already worked out (by case_id), reused as they are, with the label of now."""
    features = risk.FEATURES
    schema = _example_schema(features)
    done = []
    if known is not None and known.height:
        reused = known.select("case_id", "source", *features).join(
            labelled.select("case_id", "business_id", "decided_as_of", "against"), on="case_id", how="inner"
        )
        done.append(reused.select(list(schema)).cast(schema))
        labelled = labelled.filter(~pl.col("case_id").is_in(reused["case_id"].implode()))
    dates = sorted(set(labelled["decided_as_of"].to_list()))
    skipped = from_signals = 0
    for i, day in enumerate(dates):
        progress(i, len(dates), f"features as of {day:%d %b %Y}")
        cases = labelled.filter(pl.col("decided_as_of") == day).select(
            "case_id", "business_id", "decided_as_of", "against"
        )
        table = risk.queue(wh, day, None, settings).table
        peaks = (
            table.select("business_id", *features).unique("business_id", keep="first")
            if table.height
            else pl.DataFrame(schema={"business_id": pl.String, **{f: pl.Float64 for f in features}})
        )
        found = cases.join(peaks, on="business_id", how="inner").with_columns(pl.lit("queue").alias("source"))
        done.append(found.select(list(schema)).cast(schema))
        absent = cases.filter(~pl.col("business_id").is_in(peaks["business_id"].implode()))
        if absent.is_empty():
            continue
        rows = risk.signals(wh, day, settings.risk_lookback_days, settings)
        if rows.is_empty():
            skipped += absent.height
            continue
        best = (
            rows.filter(pl.col("business_id").is_in(absent["business_id"].implode()))
            .sort(["enough_data", "risk_score", "day"], descending=True, nulls_last=True)
            .unique("business_id", keep="first")
            .select("business_id", *features)
        )
        extra = absent.join(best, on="business_id", how="inner").with_columns(pl.lit("signals").alias("source"))
        from_signals += extra.height
        skipped += absent.height - extra.height
        done.append(extra.select(list(schema)).cast(schema))
    progress(len(dates), len(dates), "features worked out")
    frame = pl.concat(done) if done else pl.DataFrame(schema=schema)
    return Examples(frame.sort("decided_as_of", "case_id"), skipped, from_signals)


def matrix(table: pl.DataFrame, features: tuple[str, ...]) -> np.ndarray:
    """The model's input: each feature >= 0 (null as 0), as log1p, one row per table row."""
    missing = [f for f in features if f not in table.columns]
    if missing:
        raise ValueError(f"the queue lacks the model's features {', '.join(missing)}")
    cols = [pl.col(f).cast(pl.Float64).fill_nan(0.0).fill_null(0.0).clip(lower_bound=0.0) for f in features]
    return np.log1p(table.select(cols).to_numpy()) if table.height else np.zeros((0, len(features)))


# --------------------------------------------------------------------------- the model


def _pipeline() -> Pipeline:
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("logit", LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=2000, random_state=0)),
        ]
    )


def _cv_auc(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float | None:
    """Out-of-fold AUC, folds by business (a business's cases stay in one fold); None when the
    classes have too few businesses to fold."""
    pos_groups = len(set(groups[y == 1]))
    neg_groups = len(set(groups[y == 0]))
    splits = min(5, pos_groups, neg_groups)
    if splits < 2:
        return None
    scores = np.full(len(y), np.nan)
    try:
        for train, test in StratifiedGroupKFold(splits, shuffle=True, random_state=0).split(x, y, groups):
            if len(set(y[train])) < 2:
                return None
            scores[test] = clone(_pipeline()).fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    except ValueError:
        return None
    if np.isnan(scores).any() or len(set(y)) < 2:
        return None
    return float(roc_auc_score(y, scores))


@dataclass
class Ranker:
    """A trained model: re-ranks the rules' queue table by the probability of a decision against."""

    model: object  # predict_proba: the calibrated model, or the pipeline itself
    explainer: Pipeline  # fitted on every example: its coefficients explain a score
    meta: dict = field(default_factory=dict)

    @property
    def decisions(self) -> int:
        return int(self.meta["decisions"])

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self.meta["features"])

    @property
    def scorer(self) -> str:
        """Which scorer ranks, in words: "model trained on N decisions"."""
        return f"model trained on {self.decisions:,} decisions"

    def coefficients(self) -> list[tuple[str, float]]:
        """(feature, coefficient on its standardised value), largest magnitude first."""
        coef = self.explainer.named_steps["logit"].coef_[0]
        return sorted(zip(self.features, (float(c) for c in coef)), key=lambda p: -abs(p[1]))

    def probabilities(self, table: pl.DataFrame) -> np.ndarray:
        x = matrix(table, self.features)
        return self.model.predict_proba(x)[:, 1] if len(x) else np.zeros(0)

    def drivers(self, table: pl.DataFrame) -> list[list[str]]:
        """For each row, the 2-3 features with the largest positive contribution (coefficient times
        standardised value), strongest first; a third only when it weighs at least a quarter of the first."""
        x = matrix(table, self.features)
        if not len(x):
            return []
        scaled = self.explainer.named_steps["scale"].transform(x)
        contributions = scaled * self.explainer.named_steps["logit"].coef_[0]
        out = []
        for row in contributions:
            order = [i for i in np.argsort(-row) if row[i] > 0][:MOST_DRIVERS]
            if len(order) == MOST_DRIVERS and row[order[2]] < 0.25 * row[order[0]]:
                order = order[:2]
            out.append([words(self.features[i]) for i in order])
        return out

    def reason(self, drivers: list[str]) -> str:
        head = f"Model (trained on {self.decisions:,} decisions): "
        if not drivers:
            return head + "no feature stands out above the decided cases' average; "
        return head + f"driven by {_listed(drivers)}; "

    def rerank(self, table: pl.DataFrame) -> pl.DataFrame:
        """The rules' queue table ranked by the model: `risk_score` is the calibrated probability of a
        decision against x 100 (0.1), `rule_score` the rules' score, `score_source` "model"; the
        reasons start with what drove the model, then the rules' reasons."""
        if table.is_empty():
            return _with_source(table, "model")
        probs = self.probabilities(table)
        reasons = [self.reason(d) for d in self.drivers(table)]
        ranked = (
            table.with_columns(
                pl.col("rule_score" if "rule_score" in table.columns else "risk_score").alias("rule_score"),
                pl.Series("risk_score", np.round(probs * 100, 1), dtype=pl.Float64),
                pl.lit("model").alias("score_source"),
                pl.concat_str([pl.lit(pl.Series("lead", reasons, dtype=pl.String)), pl.col("reasons").fill_null("")])
                .str.strip_chars_end("; ")
                .alias("reasons"),
            )
            .sort(["risk_score", "rule_score", "business_id"], descending=[True, True, False])
            .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"))
        )
        return ranked.select(_order(table.columns))


def _order(columns: list[str]) -> list[str]:
    """The table's columns with rule_score and score_source right after risk_score."""
    base = [c for c in columns if c not in ("rule_score", "score_source")]
    at = base.index("risk_score") + 1 if "risk_score" in base else len(base)
    return base[:at] + ["rule_score", "score_source"] + base[at:]


def _with_source(table: pl.DataFrame, source: str) -> pl.DataFrame:
    out = table.with_columns(
        (pl.col("risk_score") if "rule_score" not in table.columns else pl.col("rule_score"))
        .cast(pl.Float64)
        .alias("rule_score"),
        pl.lit(source, pl.String).alias("score_source"),
    )
    return out.select(_order(table.columns))


def ranked(table: pl.DataFrame, ranker: Ranker | None) -> pl.DataFrame:
    """The queue table as the scorer in force ranks it: the model's re-ranking, or the rules' table
    with `rule_score` (= risk_score) and `score_source` "rules", so both have the same columns."""
    return ranker.rerank(table) if ranker is not None else _with_source(table, "rules")


def fit(frame: pl.DataFrame, features: tuple[str, ...] | None = None) -> Ranker:
    """A ranker fitted on examples (case_id, business_id, against, *features); the caller checked
    there are enough of each class."""
    features = tuple(features or risk.FEATURES)
    x = matrix(frame, features)
    y = frame["against"].to_numpy().astype(int)
    groups = frame["business_id"].to_numpy()
    explainer = _pipeline().fit(x, y)
    positives = int(y.sum())
    negatives = len(y) - positives
    calibrated = len(y) >= CALIBRATE_FROM and min(positives, negatives) >= CALIBRATE_PER_CLASS
    model = (
        CalibratedClassifierCV(_pipeline(), method="sigmoid", cv=StratifiedKFold(5, shuffle=True, random_state=0)).fit(
            x, y
        )
        if calibrated
        else explainer
    )
    meta = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "decisions": len(y),
        "against": positives,
        "dismissed": negatives,
        "features": list(features),
        "calibrated": calibrated,
        "auc": _cv_auc(x, y, groups),
        "sklearn": sklearn.__version__,
    }
    ranker = Ranker(model, explainer, meta)
    meta["coefficients"] = dict(ranker.coefficients())
    return ranker


# --------------------------------------------------------------------------- kept in the data directory


def model_path(root: Path) -> Path:
    return root / MODEL_DIR / MODEL_FILE


def fingerprint(labelled: pl.DataFrame, settings: Settings) -> str:
    """What a model was trained on: every decision's case, label and data date, the features and
    the settings they depend on."""
    lines = [f"{c}:{a}:{d}" for c, a, d in labelled.select("case_id", "against", "decided_as_of").iter_rows()]
    text = json.dumps({"labels": lines, "features": list(risk.FEATURES), "settings": _settings_key(settings)})
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Saved:
    ranker: Ranker | None  # None: the examples fell short (too many skipped)
    meta: dict
    examples: pl.DataFrame


def _save(root: Path, saved: Saved) -> None:
    folder = private_dir(root / MODEL_DIR)
    payload = {
        "format": FORMAT,
        "meta": saved.meta,
        "model": saved.ranker.model if saved.ranker else None,
        "explainer": saved.ranker.explainer if saved.ranker else None,
        "examples": saved.examples.to_dicts(),
    }
    fd, tmp = tempfile.mkstemp(prefix=".ranker-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            joblib.dump(payload, fh)
            fh.flush()
            os.fsync(fh.fileno())
        private_file(Path(tmp))
        os.replace(tmp, model_path(root))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(root: Path) -> Saved | None:
    """The saved model, or None when there is none, it cannot be read, or it was trained on
    another FEATURES tuple or by another scikit-learn (such a file is discarded)."""
    path = model_path(root)
    if not path.exists():
        return None
    try:
        payload = joblib.load(path)
        meta = payload["meta"]
        usable = (
            payload.get("format") == FORMAT
            and tuple(meta["features"]) == risk.FEATURES
            and meta.get("sklearn") == sklearn.__version__
        )
    except Exception:  # a damaged or foreign file: it is retrained, never trusted
        usable = False
    if not usable:
        path.unlink(missing_ok=True)
        return None
    schema = _example_schema(risk.FEATURES)
    examples_ = pl.DataFrame(payload["examples"], schema=schema) if payload["examples"] else pl.DataFrame(schema=schema)
    ranker = Ranker(payload["model"], payload["explainer"], meta) if payload["model"] is not None else None
    return Saved(ranker, meta, examples_)


def saved(root: Path) -> Ranker | None:
    """The saved ranker as it is (no retraining), or None."""
    found = load(root)
    return found.ranker if found else None


@dataclass
class Training:
    """What `train` did: the ranker (None: not enough decisions, or too many skipped), the counts."""

    ranker: Ranker | None
    readiness: Readiness
    examples: int = 0
    skipped: int = 0
    from_signals: int = 0

    @property
    def sentence(self) -> str:
        """Why there is no model, in one sentence (empty when there is one)."""
        if self.ranker is not None:
            return ""
        if not self.readiness.ready:
            return self.readiness.sentence
        return (
            f"only {self.examples:,} of the {self.readiness.decisions:,} decided cases have signals at their data "
            f"date ({self.skipped:,} skipped), too few of one class to learn from"
        )


def _train(
    root: Path, wh: Warehouse, labelled: pl.DataFrame, settings: Settings, known, progress: Progress
) -> Training:
    readiness = Readiness.of(labelled, settings)
    ex = examples(wh, labelled, settings, known, progress)
    usable = Readiness.of(ex.frame, settings)
    ranker = fit(ex.frame) if usable.ready else None
    meta = {
        **(ranker.meta if ranker else {"features": list(risk.FEATURES), "sklearn": sklearn.__version__}),
        "fingerprint": fingerprint(labelled, settings),
        "settings": _settings_key(settings),
        "cases": labelled.height,
        "skipped": ex.skipped,
        "from_signals": ex.from_signals,
        "warehouse_version": wh.version,
    }
    if ranker:
        ranker.meta = meta
    _save(root, Saved(ranker, meta, ex.frame))
    return Training(ranker, readiness, ex.frame.height, ex.skipped, ex.from_signals)


def _lock(root: Path) -> FileLock:
    return FileLock(str(private_dir(root / MODEL_DIR) / "ranker.lock"), timeout=600)


def train(root: Path, wh: Warehouse, store: Store, settings: Settings, progress: Progress = _quiet) -> Training:
    """Train now from every decision, working every example out afresh (no reuse)."""
    labelled = labels(store)
    readiness = Readiness.of(labelled, settings)
    if not readiness.ready:
        return Training(None, readiness)
    with _lock(root):
        return _train(root, wh, labelled, settings, None, progress)


def current(root: Path, wh: Warehouse, store: Store, settings: Settings, progress: Progress = _quiet) -> Ranker | None:
    """The ranker in force: None below the minimum of decisions (the rules rank); else the saved one
    when it was trained on the decisions and settings of now, else one trained now (reusing the
    saved examples of cases already worked out) and saved."""
    labelled = labels(store)
    if not Readiness.of(labelled, settings).ready:
        return None
    key = fingerprint(labelled, settings)
    found = load(root)
    if found and found.meta.get("fingerprint") == key:
        return found.ranker
    with _lock(root):
        found = load(root)  # another process may have trained while this one waited
        if found and found.meta.get("fingerprint") == key:
            return found.ranker
        reuse = found.examples if found and found.meta.get("settings") == _settings_key(settings) else None
        return _train(root, wh, labelled, settings, reuse, progress).ranker
