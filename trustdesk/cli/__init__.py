"""The `trustdesk` command (`docs/cli.md`): the root group, with one module per command group.

A command's module is imported when the command runs (click's lazy-group pattern): each command
module imports what it needs at its top, with `common.py`'s shared helpers, and none imports
Streamlit (only the server process `serve` starts does). `--help` imports every command module,
since click asks each for its one-line help.
"""

from __future__ import annotations

import importlib
import sys

import click

# command name -> "module:attribute" under trustdesk.cli
COMMANDS = {
    "generate": "data:generate",
    "load": "data:load",
    "build": "data:build",
    "rebuild": "data:rebuild",
    "status": "data:status",
    "quarantine": "data:quarantine",
    "webhook": "webhook:webhook",
    "metrics": "metrics:metrics",
    "queue": "moderation:queue",
    "evaluate": "moderation:evaluate",
    "backtest": "learning:backtest",
    "train": "learning:train",
    "users": "accounts:users",
    "outbox": "outbox:outbox",
    "transparency": "transparency:transparency",
    "demo": "serve:demo",
    "serve": "serve:serve",
}


class LazyGroup(click.Group):
    """A group whose commands live in their own modules, imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name].split(":")
        return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Data directory (default: $TRUSTDESK_DATA, else ./data).",
)
@click.version_option(package_name="trustdesk")
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None) -> None:
    """TrustDesk: trust-and-safety and business-messaging analytics over exported logs."""
    ctx.ensure_object(dict)
    ctx.obj["data_dir"] = data_dir


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("trustdesk: interrupted", err=True)
        sys.exit(130)
