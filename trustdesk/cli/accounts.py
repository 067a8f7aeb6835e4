"""`trustdesk users`: sign-in accounts from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from trustdesk.accounts import auth
from trustdesk.cli.common import UserError, os_user, root


@click.group()
def users() -> None:
    """Sign-in accounts: add (or update), list, remove, lock, unlock."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["analyst", "moderator", "admin"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--email", default=None, help="E-mail for single sign-on (OpenID Connect).")
@click.pass_context
def users_add(ctx, name, role, password_stdin, email) -> None:
    """Create or update account NAME. Without --password-stdin, asks for a password on a terminal
    or, when there is none, makes a random one and prints it once."""
    shown = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    elif email:
        password = None
    else:
        password = shown = auth.random_password()
    try:
        what = auth.upsert_account(root(ctx), name, role, password, email=email, actor=f"cli:{os_user()}")
    except auth.AuthError as exc:
        raise UserError(str(exc)) from exc
    click.echo(f"{what} {name} ({role})")
    if shown:
        click.echo(f"password (shown once): {shown}")


@users.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def users_list(ctx, fmt) -> None:
    """List accounts (never passwords)."""
    rows = auth.list_accounts(root(ctx))
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no accounts yet: trustdesk users add NAME --role analyst|moderator|admin")
    for r in rows:
        lock = f", locked until {r['locked_until']}" if r["locked_until"] else ""
        email = f" <{r['email']}>" if r["email"] else ""
        click.echo(f"{r['name']:<24} {r['role']:<10}{email}{lock}")


def _on_account(done: bool, name: str, said: str) -> None:
    if not done:
        raise UserError(f"there is no account named {name}")
    click.echo(said)


@users.command("remove")
@click.argument("name")
@click.pass_context
def users_remove(ctx, name) -> None:
    """Remove account NAME."""
    _on_account(auth.remove_account(root(ctx), name, actor=f"cli:{os_user()}"), name, f"removed {name}")


@users.command("lock")
@click.argument("name")
@click.option(
    "--minutes",
    type=click.IntRange(min=1),
    default=None,
    help="Lock for this long; without it the account stays locked until unlocked.",
)
@click.pass_context
def users_lock(ctx, name, minutes) -> None:
    """Lock account NAME: its open sessions end at once and it cannot sign in."""
    _on_account(
        auth.lock_account(root(ctx), name, minutes, actor=f"cli:{os_user()}"),
        name,
        f"locked {name}" + (f" for {minutes} min" if minutes else " until unlocked"),
    )


@users.command("unlock")
@click.argument("name")
@click.pass_context
def users_unlock(ctx, name) -> None:
    """Unlock account NAME."""
    _on_account(auth.unlock_account(root(ctx), name, actor=f"cli:{os_user()}"), name, f"unlocked {name}")


def ensure_first_accounts(data_root: Path) -> None:
    """First run: demo accounts with random passwords, printed once, so a newcomer can sign in."""
    made = auth.create_demo_accounts(data_root)
    if not made:
        return
    click.echo("\nFirst run: created one account per role. Passwords are shown only now:", err=True)
    for role, password in made.items():
        click.echo(f"  name: {role:<10} password: {password}", err=True)
    click.echo(
        "Add real accounts with `trustdesk users add NAME --role ...`; "
        "remove these with `trustdesk users remove NAME`.\n",
        err=True,
    )
