"""The review queue from the command line: queue, and evaluate against planted ground truth."""

from __future__ import annotations

import click
import polars as pl

from trustdesk.cli.common import UserError, load_settings, open_wh, parse_date, root, write_table
from trustdesk.moderation import learning
from trustdesk.moderation.cases import Store
from trustdesk.moderation.evaluation import bad_archetypes
from trustdesk.moderation.evaluation import evaluate as score
from trustdesk.moderation.risk import queue as review_queue


@click.command()
@click.option(
    "--as-of", "as_of", default=None, help="Judge the days up to this one (default: the last day in the data)."
)
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N businesses.")
@click.option(
    "--lookback",
    type=click.IntRange(1),
    default=None,
    help="Days before --as-of whose flags count (default: setting risk_lookback_days, 30).",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.pass_context
def queue(ctx, as_of, limit, lookback, fmt) -> None:
    """Print the review queue, highest risk first (decided cases left out)."""
    data_root = root(ctx)
    wh = open_wh(data_root)
    try:
        settings = load_settings(data_root)
        with Store(data_root) as store:
            settled = store.decided_as_of()
            ranker = learning.current(data_root, wh, store, settings)
        result = review_queue(wh, parse_date(as_of, "--as-of"), lookback, settings, settled, ranker=ranker)
    finally:
        wh.close()
    table = result.table.head(limit) if limit else result.table
    write_table(table, fmt)


@click.command()
@click.option(
    "--truth",
    "truth_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True),
    help="A ground-truth CSV (business_id, archetype), e.g. truth.csv from `trustdesk generate`.",
)
@click.option(
    "--k", type=click.IntRange(1), default=None, help="Top k of the queue (default: the number of planted bad actors)."
)
@click.option(
    "--bad",
    default=None,
    help="Comma-separated bad archetypes (default: from the truth file's `bad` column, else every archetype "
    "but the hard negatives and names such as normal or legit).",
)
@click.option("--as-of", "as_of", default=None)
@click.option(
    "--lookback",
    type=click.IntRange(1),
    default=None,
    help="Days whose flags count (default: the whole data range, like the truth).",
)
@click.option(
    "--rules-only", is_flag=True, help="Rank by the rules even when a model learned from decisions is trained."
)
@click.pass_context
def evaluate(ctx, truth_file, k, bad, as_of, lookback, rules_only) -> None:
    """Score the review queue against planted ground truth: precision@k, recall@k, per archetype."""
    try:
        truth = pl.read_csv(truth_file, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise UserError(f"{truth_file} could not be read as CSV ({exc})") from exc
    if not {"business_id", "archetype"} <= set(truth.columns):
        raise UserError(f"{truth_file} needs the columns business_id and archetype")
    bad_names, source = bad_archetypes(truth, bad.split(",") if bad else None)
    unknown = bad_names - set(truth["archetype"].str.strip_chars().str.to_lowercase().to_list())
    if unknown:
        raise UserError(f"--bad names archetypes that {truth_file} does not hold: {', '.join(sorted(unknown))}")
    if not bad_names:
        raise UserError(f"{truth_file} holds no bad archetype by {source}; name them with --bad NAME,...")
    data_root = root(ctx)
    wh = open_wh(data_root)
    try:
        first, last = wh.date_range()
        end = parse_date(as_of, "--as-of") or last
        days = lookback or ((end - first).days + 1 if first and end else 30)
        settings = load_settings(data_root)
        ranker = None
        if not rules_only:
            with Store(data_root) as store:
                ranker = learning.current(data_root, wh, store, settings)
        result = review_queue(wh, end, days, settings, ranker=ranker)
    finally:
        wh.close()
    ev = score(result.table, truth, k, bad_names)
    scorer = f"a model trained on {ranker.meta.get('decisions')} decisions" if ranker else "the rules"
    click.echo(f"queue as of {result.as_of}, flags over {result.lookback} days: {result.table.height} businesses")
    click.echo(f"ranked by {scorer}")
    click.echo(f"bad archetypes (from {source}): {', '.join(ev.bad)}")
    click.echo(f"planted bad actors: {ev.planted}; top {ev.k}: {ev.found} of them")
    click.echo(f"precision@{ev.k}: {ev.precision:.3f}")
    click.echo(f"recall@{ev.k}: {ev.recall:.3f}")
    click.echo(f"per archetype (in the top {ev.k} / planted):")
    for a in ev.per_archetype:
        kind = "bad" if a.bad else "not bad"
        click.echo(f"  {a.archetype} ({kind}): {a.in_top_k} / {a.planted} = {a.share_in_top_k:.2f}")
    for label, names in (
        ("false positives", ev.false_positives),
        ("missed", ev.missed),
        (f"hard negatives in the top {ev.k}", ev.hard_negatives_in_top_k),
    ):
        if names:
            click.echo(f"{label}: {', '.join(names)}")
