"""First run and the dashboard: demo, serve."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from etl import store
from etl.ingest.load import load_files
from etl.synth import generate_world
from trustdesk.cli.accounts import ensure_first_accounts
from trustdesk.cli.common import guard, progress, root
from trustdesk.cli.data import is_truth_file
from trustdesk.site import site_root

DEMO = {"businesses": 300, "days": 60, "messages": 400_000, "seed": 7}


def run_demo(data_root: Path, quiet: bool = False) -> bool:
    """Generate and load a modest world when the data directory is empty. True when it did."""
    if store.read_pointer(data_root) is not None:
        return False
    world = data_root / "demo-world"
    say = (lambda m: None) if quiet else (lambda m: click.echo(m, err=True))
    say(f"no data in {data_root}: generating a demo world ({DEMO['messages']:,} messages) ...")
    with progress("generating demo world", DEMO["messages"]) as update:
        generate_world(
            world,
            seed=DEMO["seed"],
            businesses=DEMO["businesses"],
            days=DEMO["days"],
            messages=DEMO["messages"],
            progress=lambda d, t: update(d, t),
        )
    files = sorted(p for p in world.glob("*.csv") if not is_truth_file(p))
    say(f"loading {len(files)} files ...")
    with progress("loading demo world", len(files) + 1) as update:
        names = [f.name for f in files]
        results = load_files(
            data_root,
            files,
            user="demo",
            progress=lambda f, s, x: update(
                (names.index(f) if f in names else len(names)) + x, len(names) + 1, f"{f or 'marts'}: {s}"
            ),
        )
    for r in results:
        say(f"  {r.file}: {r.loaded:,} rows loaded")
    say(f"demo data ready; ground truth for `trustdesk evaluate` is in {world / 'truth.csv'}")
    return True


@click.command()
@click.pass_context
def demo(ctx) -> None:
    """First run: when the data directory holds no data, generate a modest world and load it."""
    data_root = root(ctx)
    if not guard(lambda: run_demo(data_root)):
        click.echo(f"{data_root} already holds data; nothing to do (see `trustdesk status`)")


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--no-demo", is_flag=True, help="Do not create demo data in an empty data directory.")
@click.pass_context
def serve(ctx, no_demo) -> None:
    """Start the dashboard on this data directory; extra options (--server.port 8502 ...) go to Streamlit."""
    data_root = root(ctx)
    if not no_demo:
        guard(lambda: run_demo(data_root))
    ensure_first_accounts(data_root)
    env = dict(os.environ, TRUSTDESK_DATA=str(data_root))
    # The server replaces this process, so a service manager's SIGTERM or a terminal's Ctrl-C
    # reaches it directly and nothing is left serving the port.
    cmd = [sys.executable, "-m", "trustdesk.web.serve", *ctx.args]
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(site_root())
    os.execve(sys.executable, cmd, env)
