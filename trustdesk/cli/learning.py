"""Learning from decisions from the command line: train the ranker, backtest the queue."""

from __future__ import annotations

import json

import click
import polars as pl

from trustdesk.cli.common import UserError, load_settings, open_wh, parse_date, progress, root, write_table
from trustdesk.moderation import backtest as bt
from trustdesk.moderation import learning
from trustdesk.moderation.cases import Store


@click.command()
@click.option("--from", "date_from", default=None, help="First day to judge (default: 29 days before --to).")
@click.option("--to", "date_to", default=None, help="Last day to judge (default: the last day in the data).")
@click.option(
    "--every", type=click.IntRange(1), default=bt.DEFAULT_EVERY, show_default=True, help="Judge every N days."
)
@click.option("--k", type=click.IntRange(1), default=bt.DEFAULT_K, show_default=True, help="Top k of each queue.")
@click.option(
    "--truth",
    "truth_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="A ground-truth CSV (business_id, archetype) to score against too, e.g. truth.csv of `trustdesk generate`.",
)
@click.option(
    "--bad",
    default=None,
    help="Comma-separated bad archetypes of --truth (default: as `trustdesk evaluate` decides them).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True)
@click.pass_context
def backtest(ctx, date_from, date_to, every, k, truth_file, bad, fmt) -> None:
    """What the queue would have flagged on past days, scored against the decisions taken."""
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    if bad and not truth_file:
        raise UserError("--bad names the bad archetypes of a --truth file; give the file too")
    truth = None
    if truth_file:
        try:
            truth = bt.read_truth(truth_file, bad.split(",") if bad else None)
        except bt.BacktestError as exc:
            raise UserError(str(exc)) from exc
    data_root = root(ctx)
    settings = load_settings(data_root)
    wh = open_wh(data_root)
    try:
        start, end = bt.span(wh, start, end)
        with Store(data_root) as store:
            labelled = learning.labels(store)
            with progress("Training the ranker") as update:
                ranker = learning.current(data_root, wh, store, settings, update)
        with progress("Backtesting the queue") as update:
            frame = bt.run(wh, labelled, settings, start, end, every, k, truth, ranker, update)
    except bt.BacktestError as exc:
        raise UserError(str(exc)) from exc
    finally:
        wh.close()
    scorer = ranker.scorer if ranker else "rules"
    if fmt != "text":
        write_table(frame.with_columns(pl.lit(scorer).alias("scorer")), fmt)
        return
    readiness = learning.Readiness.of(labelled, settings)
    click.echo(f"the queue as of every {every} days from {start} to {end}, its top {k} ranked by the {scorer}")
    if not readiness.decisions:
        click.echo("no decisions yet: precision against decisions needs decided cases; showing what the queue flagged")
    else:
        click.echo(
            f"decisions: {readiness.decisions:,} ({readiness.against:,} against, {readiness.dismissed:,} dismissed)"
        )
    if truth is not None:
        click.echo(f"truth: {len(truth.bad_ids):,} planted bad actors ({', '.join(truth.bad)}, from {truth.source})")
    click.echo(_text_table(frame))
    averages = {c: frame[c].mean() for c in frame.columns if c.endswith(("precision", "recall"))}
    means = [f"{c} {v:.3f}" for c, v in averages.items() if v is not None]
    if means:
        click.echo("mean over the days: " + ", ".join(means))


def _text_table(frame: pl.DataFrame) -> str:
    def cell(v) -> str:
        if v is None:
            return "-"
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    rows = [list(frame.columns)] + [[cell(v) for v in row] for row in frame.iter_rows()]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def train(ctx, fmt) -> None:
    """Train the ranker from moderators' decisions now, if there are enough of them."""
    data_root = root(ctx)
    settings = load_settings(data_root)
    wh = open_wh(data_root)
    try:
        with Store(data_root) as store, progress("Training the ranker") as update:
            done = learning.train(data_root, wh, store, settings, update)
    finally:
        wh.close()
    r = done.readiness
    if done.ranker is None:
        if fmt == "json":
            click.echo(json.dumps({"trained": False, "why": done.sentence, "more_decisions": r.more}))
            return
        click.echo(f"not trained: {done.sentence}")
        return
    meta = done.ranker.meta
    if fmt == "json":
        keep = ("trained_at", "decisions", "against", "dismissed", "calibrated", "auc", "skipped", "coefficients")
        click.echo(json.dumps({"trained": True, **{key: meta.get(key) for key in keep}}, indent=2))
        return
    auc = meta.get("auc")
    click.echo(
        f"trained on {meta['decisions']:,} decisions: {meta['against']:,} against, {meta['dismissed']:,} dismissed"
    )
    if done.skipped or done.from_signals:
        click.echo(
            f"{done.skipped:,} decided cases skipped (no signals at their data date); "
            f"{done.from_signals:,} taken from their riskiest day outside the queue"
        )
    click.echo(
        "cross-validated AUC (folds by business): "
        + (f"{auc:.3f}" if auc is not None else "not computable (too few businesses of a class)")
    )
    click.echo("calibrated: " + ("yes (sigmoid)" if meta["calibrated"] else "no (too few decisions of a class yet)"))
    click.echo("top coefficients (on standardised log1p features):")
    for feature, coef in done.ranker.coefficients()[:5]:
        click.echo(f"  {feature} ({learning.words(feature)}): {coef:+.3f}")
    click.echo(f"saved to {learning.MODEL_DIR}/{learning.MODEL_FILE} in the data directory")
