"""Accounts, roles, sign-in with slow-down and lockout, and the audit log of all of it.

Roles are enforced here and in the read side (`require`), not only by hiding pages.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from trustdesk import appdb

ROLES = ("analyst", "moderator", "admin")
RANK = {r: i for i, r in enumerate(ROLES)}
NAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
MIN_PASSWORD = 10
# After FREE_TRIES failures, each further try must wait 2^(n - FREE_TRIES) s (at most 60 s);
# LOCK_AFTER failures lock the account for LOCK_MINUTES.
FREE_TRIES = 3
LOCK_AFTER = 8
LOCK_MINUTES = 15

_hasher = PasswordHasher()
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AuthError(Exception):
    """A refusal a person reads: one sentence."""


class PermissionDenied(AuthError):
    pass


@dataclass(frozen=True)
class Principal:
    name: str
    role: str

    def can(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]

    @property
    def sees_personal_data(self) -> bool:
        return self.can("moderator")


def require(principal: Principal | None, role: str, action: str = "do this") -> Principal:
    """Server-side check: every function that reads personal data or writes calls it."""
    if principal is None:
        raise PermissionDenied(f"sign in to {action}")
    if not principal.can(role):
        raise PermissionDenied(f"the {principal.role} role may not {action}; it needs {role} or above")
    return principal


# --------------------------------------------------------------------------- audit

def audit(con, event: str, account: str | None, actor: str | None = None, detail: str = "",
          clock: Clock = utcnow) -> None:
    con.execute(
        "INSERT INTO auth_audit (at, actor, account, event, detail) VALUES (?, ?, ?, ?, ?)",
        (clock().isoformat(timespec="seconds"), actor, account, event, detail),
    )


def audit_log(root: Path, viewer: Principal, limit: int = 1000) -> list[dict]:
    require(viewer, "admin", "read the sign-in audit log")
    con = appdb.connect(root)
    try:
        rows = con.execute("SELECT * FROM auth_audit ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(r) for r in rows]
    finally:
        con.close()


# --------------------------------------------------------------------------- accounts

def _check_name(name: str) -> None:
    if not NAME_RE.match(name or ""):
        raise AuthError("a name is 1 to 64 letters, digits, dots, dashes, underscores or @")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AuthError(f"a password needs at least {MIN_PASSWORD} characters")


def upsert_account(root: Path, name: str, role: str, password: str | None = None,
                   email: str | None = None, actor: str = "cli", clock: Clock = utcnow) -> str:
    """Create or update an account. Returns 'created' or 'updated'."""
    _check_name(name)
    if role not in ROLES:
        raise AuthError(f"unknown role '{role}'; choose one of {', '.join(ROLES)}")
    if password is not None:
        _check_password(password)
    now = clock().isoformat(timespec="seconds")
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            old = con.execute("SELECT name FROM accounts WHERE name = ?", (name,)).fetchone()
            hashed = _hasher.hash(password) if password is not None else None
            if old is None:
                if hashed is None and not email:
                    raise AuthError("a new account needs a password (or an e-mail for single sign-on)")
                con.execute(
                    "INSERT INTO accounts (name, role, password_hash, email, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (name, role, hashed, email, now, now),
                )
                audit(con, "account created", name, actor, f"role {role}", clock)
                return "created"
            con.execute(
                "UPDATE accounts SET role = ?, password_hash = coalesce(?, password_hash), "
                "email = coalesce(?, email), updated_at = ?, failed_count = 0, locked_until = NULL "
                "WHERE name = ?",
                (role, hashed, email, now, name),
            )
            changes = [f"role {role}"] + (["password"] if hashed else []) + ([f"e-mail {email}"] if email else [])
            audit(con, "account updated", name, actor, ", ".join(changes), clock)
            return "updated"
    finally:
        con.close()


def remove_account(root: Path, name: str, actor: str = "cli", clock: Clock = utcnow) -> bool:
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            gone = con.execute("DELETE FROM accounts WHERE name = ?", (name,)).rowcount > 0
            if gone:
                audit(con, "account removed", name, actor, "", clock)
            return gone
    finally:
        con.close()


def list_accounts(root: Path) -> list[dict]:
    con = appdb.connect(root)
    try:
        rows = con.execute(
            "SELECT name, role, email, created_at, updated_at, failed_count, locked_until, "
            "password_hash IS NOT NULL AS has_password FROM accounts ORDER BY name"
        ).fetchall()
        return [dict(r) for r in rows]
    finally:
        con.close()


def has_accounts(root: Path) -> bool:
    con = appdb.connect(root)
    try:
        return con.execute("SELECT count(*) FROM accounts").fetchone()[0] > 0
    finally:
        con.close()


def random_password() -> str:
    return secrets.token_urlsafe(12)


def create_demo_accounts(root: Path) -> dict[str, str] | None:
    """On first run only: one account per role with a random password, returned once to print."""
    if has_accounts(root):
        return None
    made = {}
    for role in ROLES:
        password = random_password()
        upsert_account(root, role, role, password, actor="first run")
        made[role] = password
    return made


# --------------------------------------------------------------------------- sign-in

def _parse(ts: str | None) -> datetime | None:
    return datetime.fromisoformat(ts) if ts else None


def wait_seconds(failed: int) -> int:
    if failed < FREE_TRIES:
        return 0
    return min(2 ** (failed - FREE_TRIES), 60)


def sign_in(root: Path, name: str, password: str, clock: Clock = utcnow) -> Principal:
    """Check a password. Raises AuthError with the sentence to show; never says which part was wrong.

    Failures are committed before the refusal is raised: the counters and the audit log must
    survive the refusal.
    """
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            outcome = _attempt(con, name, password, clock)
    finally:
        con.close()
    if isinstance(outcome, AuthError):
        raise outcome
    return outcome


def _attempt(con, name: str, password: str, clock: Clock) -> Principal | AuthError:
    now = clock()
    row = con.execute("SELECT * FROM accounts WHERE name = ?", (name,)).fetchone()
    if row is None:
        # Same work as a real check, so timing does not reveal which names exist.
        _dummy_verify(password)
        audit(con, "sign-in failed", name, name, "no such account", clock)
        return AuthError("wrong name or password")
    locked = _parse(row["locked_until"])
    if locked and locked > now:
        audit(con, "sign-in refused", name, name, "locked", clock)
        mins = max(1, int((locked - now).total_seconds() // 60) + 1)
        return AuthError(f"this account is locked after repeated failures; try again in {mins} min")
    last = _parse(row["last_failed_at"])
    wait = wait_seconds(row["failed_count"])
    if wait and last and (now - last).total_seconds() < wait:
        audit(con, "sign-in refused", name, name, "too soon after failures", clock)
        return AuthError(f"too many failed attempts; wait {wait} s before trying again")
    ok = False
    if row["password_hash"]:
        try:
            ok = _hasher.verify(row["password_hash"], password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    if not ok:
        failed = row["failed_count"] + 1
        lock = now + timedelta(minutes=LOCK_MINUTES) if failed >= LOCK_AFTER else None
        con.execute(
            "UPDATE accounts SET failed_count = ?, last_failed_at = ?, locked_until = ? WHERE name = ?",
            (failed, now.isoformat(), lock.isoformat() if lock else None, name),
        )
        audit(con, "sign-in failed", name, name, f"failure {failed}", clock)
        if lock:
            audit(con, "account locked", name, name, f"{LOCK_MINUTES} min after {failed} failures", clock)
        return AuthError("wrong name or password")
    if _hasher.check_needs_rehash(row["password_hash"]):
        con.execute("UPDATE accounts SET password_hash = ? WHERE name = ?", (_hasher.hash(password), name))
    con.execute(
        "UPDATE accounts SET failed_count = 0, last_failed_at = NULL, locked_until = NULL WHERE name = ?",
        (name,),
    )
    audit(con, "signed in", name, name, "password", clock)
    return Principal(row["name"], row["role"])


_DUMMY = _hasher.hash("not a real password")


def _dummy_verify(password: str) -> None:
    try:
        _hasher.verify(_DUMMY, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


def sign_in_email(root: Path, email: str, clock: Clock = utcnow) -> Principal:
    """Single sign-on: the provider vouched for the e-mail; the accounts store gives the role."""
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            row = con.execute("SELECT name, role FROM accounts WHERE lower(email) = lower(?)", (email,)).fetchone()
            if row is None:
                audit(con, "sign-in failed", None, email, "single sign-on: no account for this e-mail", clock)
            else:
                audit(con, "signed in", row["name"], email, "single sign-on", clock)
    finally:
        con.close()
    if row is None:
        raise AuthError(f"{email} has no TrustDesk account; ask an admin to add it")
    return Principal(row["name"], row["role"])


def record_sign_out(root: Path, principal: Principal, why: str = "signed out", clock: Clock = utcnow) -> None:
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            audit(con, why, principal.name, principal.name, "", clock)
    finally:
        con.close()


# --------------------------------------------------------------------------- masking

def _install_secret(root: Path) -> bytes:
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            row = con.execute("SELECT value FROM secrets WHERE name = 'mask'").fetchone()
            if row:
                return bytes(row[0])
            value = secrets.token_bytes(32)
            con.execute("INSERT INTO secrets (name, value) VALUES ('mask', ?)", (value,))
            return value
    finally:
        con.close()


class Masker:
    """Replaces user identifiers with stable pseudonyms for viewers who may not see them."""

    def __init__(self, root: Path):
        self._key = _install_secret(root)

    def __call__(self, user_id: str | None) -> str | None:
        if user_id is None:
            return None
        digest = hmac.new(self._key, user_id.encode("utf-8"), hashlib.sha256).hexdigest()[:10]
        return f"user-{digest}"


def mask_users(df, viewer: Principal | None, root: Path, columns: tuple[str, ...] = ("user_id",)):
    """A Polars frame with user identifiers pseudonymised unless the viewer may see them."""
    import polars as pl

    present = [c for c in columns if c in df.columns]
    if not present or (viewer is not None and viewer.sees_personal_data):
        return df
    masker = Masker(root)
    return df.with_columns(
        [pl.col(c).map_elements(masker, return_dtype=pl.String).alias(c) for c in present]
    )
