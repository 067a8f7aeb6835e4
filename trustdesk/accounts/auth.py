"""Accounts, roles, sign-in with slow-down and lockout, and the audit log of all of it.

Roles are enforced here and in the read side (`require`), not only by hiding pages.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from etl.settings import Settings
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
# One client address trying many names: after ADDRESS_FREE failures (any names) each further try
# from it waits, and ADDRESS_BLOCK_AFTER failures refuse it for LOCK_MINUTES. Failures older than
# LOCK_MINUTES are forgotten.
ADDRESS_FREE = 20
ADDRESS_BLOCK_AFTER = 50
# A browser session lasts at most SESSION_HOURS (and ends sooner when idle, see the setting
# session_idle_minutes); the one-time ticket that sets its cookie is good for TICKET_SECONDS.
SESSION_COOKIE = "trustdesk_session"
SESSION_HOURS = 12
TICKET_SECONDS = 120
# last_seen is written at most this often, so that page reruns do not queue behind decisions.
TOUCH_SECONDS = 20

_hasher = PasswordHasher()
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class AuthError(Exception):
    """A refusal a person reads: one sentence."""


class PermissionDenied(AuthError):
    pass


class SessionEnded(AuthError):
    """The browser session is no longer valid; the text says why, for the sign-in form."""


@dataclass(frozen=True)
class Principal:
    """A person and role. `session` is set for people signed in through the dashboard: then every
    `require` checks the session and the account again, so a removed, locked or changed account
    loses its power at once, even in a page that is already open."""

    name: str
    role: str
    session: str | None = field(default=None, compare=False, repr=False)
    root: Path | None = field(default=None, compare=False, repr=False)

    def can(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]

    @property
    def sees_personal_data(self) -> bool:
        return self.can("moderator")


def require(principal: Principal | None, role: str, action: str = "do this") -> Principal:
    """Server-side check: every function that reads personal data or writes calls it."""
    if principal is None:
        raise PermissionDenied(f"sign in to {action}")
    if principal.session is not None:
        try:
            fresh = check_session(principal.root, principal.session)
        except SessionEnded as exc:
            raise PermissionDenied(f"{exc}; sign in again to {action}") from None
        if fresh.name != principal.name:
            raise PermissionDenied(f"this session belongs to another account; sign in again to {action}")
        principal = fresh
    if not principal.can(role):
        raise PermissionDenied(f"the {principal.role} role may not {action}; it needs {role} or above")
    return principal


# --------------------------------------------------------------------------- audit


def audit(
    con, event: str, account: str | None, actor: str | None = None, detail: str = "", clock: Clock = utcnow
) -> None:
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


def upsert_account(
    root: Path,
    name: str,
    role: str,
    password: str | None = None,
    email: str | None = None,
    actor: str = "cli",
    clock: Clock = utcnow,
) -> str:
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
                "email = coalesce(?, email), updated_at = ?, failed_count = 0, locked_until = NULL, "
                "version = version + 1 WHERE name = ?",
                (role, hashed, email, now, name),
            )
            con.execute("DELETE FROM signin_failures WHERE name = ?", (name,))
            _revoke_all(con, name, "account changed", now)
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
                _revoke_all(con, name, "account removed", clock().isoformat(timespec="seconds"))
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


def wait_seconds(failed: int) -> int:
    if failed < FREE_TRIES:
        return 0
    return min(2 ** (failed - FREE_TRIES), 60)


def sign_in(root: Path, name: str, password: str, clock: Clock = utcnow, address: str | None = None) -> Principal:
    """Check a password. Raises AuthError with the sentence to show; never says which part was wrong.

    The Argon2 check runs outside any transaction: a flood of attempts costs CPU, but never holds
    the database's write lock that decisions need. Counters and the audit line are committed before
    the refusal is raised. Unknown names get the same counters, waits and answers as real ones.
    """
    now = clock()
    addr = address or ""
    con = appdb.connect(root)
    try:
        row = con.execute("SELECT * FROM accounts WHERE name = ?", (name,)).fetchone()
        refusal = _refusal(con, name, addr, now)
        if refusal is not None:
            with appdb.transaction(con):
                audit(con, "sign-in refused", name, name, refusal[0] + _at(addr), clock)
            raise AuthError(refusal[1])
        ok = _verify(row["password_hash"] if row is not None else None, password)
        raise_later: AuthError | None = None
        with appdb.transaction(con):
            if not ok:
                _count_failure(con, name, row is not None, addr, now, clock)
                raise_later = AuthError("wrong name or password")
            else:
                locked = appdb.moment(row["locked_until"])
                if locked and locked > now:
                    # Said only to someone who knows the password: it tells nothing to a guesser.
                    audit(con, "sign-in refused", name, name, "account locked by an admin" + _at(addr), clock)
                    raise_later = AuthError("this account is locked; ask an admin to unlock it")
                else:
                    if _hasher.check_needs_rehash(row["password_hash"]):
                        con.execute(
                            "UPDATE accounts SET password_hash = ? WHERE name = ?", (_hasher.hash(password), name)
                        )
                    con.execute("UPDATE accounts SET failed_count = 0, last_failed_at = NULL WHERE name = ?", (name,))
                    con.execute("DELETE FROM signin_failures WHERE name = ? AND address = ?", (name, addr))
                    audit(con, "signed in", name, name, "password" + _at(addr), clock)
    finally:
        con.close()
    if raise_later is not None:
        raise raise_later
    return Principal(row["name"], row["role"])


def _at(address: str) -> str:
    return f" from {address}" if address else ""


def _recent(ts: str | None, now: datetime) -> bool:
    last = appdb.moment(ts)
    return last is not None and (now - last).total_seconds() < LOCK_MINUTES * 60


def _refusal(con, name: str, addr: str, now: datetime) -> tuple[str, str] | None:
    """(audit detail, sentence) when this attempt must be refused before checking the password."""
    if addr:
        by_addr = con.execute("SELECT * FROM address_failures WHERE address = ?", (addr,)).fetchone()
        if by_addr is not None:
            blocked = appdb.moment(by_addr["blocked_until"])
            if blocked and blocked > now:
                mins = max(1, int((blocked - now).total_seconds() // 60) + 1)
                return ("address blocked", f"too many failed sign-ins from your address; try again in {mins} min")
            if _recent(by_addr["last_failed_at"], now) and by_addr["failed_count"] >= ADDRESS_FREE:
                wait = min(2 ** (by_addr["failed_count"] - ADDRESS_FREE), 60)
                last = appdb.moment(by_addr["last_failed_at"])
                if (now - last).total_seconds() < wait:
                    return ("address too soon", f"too many failed attempts; wait {wait} s before trying again")
    pair = con.execute("SELECT * FROM signin_failures WHERE name = ? AND address = ?", (name, addr)).fetchone()
    if pair is None:
        return None
    locked = appdb.moment(pair["locked_until"])
    if locked and locked > now:
        mins = max(1, int((locked - now).total_seconds() // 60) + 1)
        return ("locked", f"this account is locked after repeated failures; try again in {mins} min")
    wait = wait_seconds(pair["failed_count"])
    last = appdb.moment(pair["last_failed_at"])
    if wait and last and (now - last).total_seconds() < wait:
        return ("too soon after failures", f"too many failed attempts; wait {wait} s before trying again")
    return None


def _count_failure(con, name: str, exists: bool, addr: str, now: datetime, clock: Clock) -> None:
    stamp = now.isoformat()
    pair = con.execute("SELECT * FROM signin_failures WHERE name = ? AND address = ?", (name, addr)).fetchone()
    lapsed = pair is not None and pair["locked_until"] and appdb.moment(pair["locked_until"]) <= now
    failed = 1 if pair is None or lapsed else pair["failed_count"] + 1
    lock = now + timedelta(minutes=LOCK_MINUTES) if failed >= LOCK_AFTER else None
    con.execute(
        "INSERT INTO signin_failures (name, address, failed_count, last_failed_at, locked_until) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, address) DO UPDATE SET failed_count = excluded.failed_count, "
        "last_failed_at = excluded.last_failed_at, locked_until = excluded.locked_until",
        (name, addr, failed, stamp, lock.isoformat() if lock else None),
    )
    if exists:
        con.execute(
            "UPDATE accounts SET failed_count = failed_count + 1, last_failed_at = ? WHERE name = ?", (stamp, name)
        )
    audit(
        con,
        "sign-in failed",
        name,
        name,
        ("" if exists else "no such account; ") + f"failure {failed}" + _at(addr),
        clock,
    )
    if lock:
        audit(con, "account locked", name, name, f"{LOCK_MINUTES} min after {failed} failures" + _at(addr), clock)
    if addr:
        by_addr = con.execute("SELECT * FROM address_failures WHERE address = ?", (addr,)).fetchone()
        count = by_addr["failed_count"] + 1 if by_addr is not None and _recent(by_addr["last_failed_at"], now) else 1
        blocked = now + timedelta(minutes=LOCK_MINUTES) if count >= ADDRESS_BLOCK_AFTER else None
        con.execute(
            "INSERT INTO address_failures (address, failed_count, last_failed_at, blocked_until) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (address) DO UPDATE SET failed_count = excluded.failed_count, "
            "last_failed_at = excluded.last_failed_at, blocked_until = excluded.blocked_until",
            (addr, 0 if blocked else count, stamp, blocked.isoformat() if blocked else None),
        )
        if blocked:
            audit(con, "address blocked", None, None, f"{LOCK_MINUTES} min after {count} failures from {addr}", clock)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password or "") and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY = _hasher.hash("not a real password")


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


# --------------------------------------------------------------------------- browser sessions


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(
    root: Path, who: Principal, address: str | None = None, clock: Clock = utcnow
) -> tuple[Principal, str]:
    """After a successful sign-in: a server-side session, and a one-time ticket that the browser
    trades for its HttpOnly cookie (see trustdesk/web/server.py), so that a reload or a new tab stays
    signed in. Returns the principal bound to the session and the ticket."""
    sid = secrets.token_urlsafe(24)
    ticket = secrets.token_urlsafe(24)
    now = clock()
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            row = con.execute("SELECT role, version FROM accounts WHERE name = ?", (who.name,)).fetchone()
            if row is None:
                raise AuthError("this account no longer exists")
            con.execute(
                "INSERT INTO sessions (id, account, account_version, address, created_at, last_seen, "
                "expires_at, ticket_hash, ticket_expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sid,
                    who.name,
                    row["version"],
                    address,
                    now.isoformat(),
                    now.isoformat(),
                    (now + timedelta(hours=SESSION_HOURS)).isoformat(),
                    _digest(ticket),
                    (now + timedelta(seconds=TICKET_SECONDS)).isoformat(),
                ),
            )
    finally:
        con.close()
    return Principal(who.name, row["role"], sid, Path(root)), ticket


def _idle_limit(root: Path) -> float:
    return Settings.load(root).session_idle_minutes * 60


def check_session(root: Path, sid: str, clock: Clock = utcnow) -> Principal:
    """The session's person as the account store says now, or SessionEnded with the reason.

    A session ends when it is signed out, its account is removed, locked or changed (role,
    password, e-mail: every change bumps the account's version), it has been idle longer than
    session_idle_minutes, or it is older than SESSION_HOURS. Activity keeps it alive."""
    now = clock()
    con = appdb.connect(root)
    try:
        row = con.execute(
            "SELECT s.*, a.role AS role, a.version AS version, a.locked_until AS locked_until "
            "FROM sessions s LEFT JOIN accounts a ON a.name = s.account WHERE s.id = ?",
            (sid,),
        ).fetchone()
        if row is None:
            raise SessionEnded("you are signed out")
        if row["revoked_at"]:
            raise SessionEnded(_ENDED.get(row["revoked_why"], "you are signed out"))
        why = None
        if row["role"] is None:
            why = "account removed"
        elif row["version"] != row["account_version"]:
            why = "account changed"
        elif (locked := appdb.moment(row["locked_until"])) and locked > now:
            why = "account locked"
        elif appdb.moment(row["expires_at"]) <= now:
            why = "session too old"
        elif (now - appdb.moment(row["last_seen"])).total_seconds() > _idle_limit(root):
            why = "session expired"
        if why:
            with appdb.transaction(con):
                _revoke(con, sid, why, now.isoformat())
                audit(con, why, row["account"], "system", "session ended", clock)
            raise SessionEnded(_ENDED[why])
        if (now - appdb.moment(row["last_seen"])).total_seconds() >= TOUCH_SECONDS:
            with appdb.transaction(con):
                con.execute("UPDATE sessions SET last_seen = ? WHERE id = ?", (now.isoformat(), sid))
        return Principal(row["account"], row["role"], sid, Path(root))
    finally:
        con.close()


_ENDED = {
    "signed out": "you are signed out",
    "account removed": "your account was removed",
    "account changed": "your account was changed by an admin",
    "account locked": "your account was locked",
    "session too old": f"your session is older than {SESSION_HOURS} hours",
    "session expired": "your session expired after inactivity",
}


def resume_session(root: Path, cookie: str, clock: Clock = utcnow) -> Principal:
    """The session a browser's cookie names (a reload, a new tab), checked like any session."""
    con = appdb.connect(root)
    try:
        row = con.execute("SELECT id FROM sessions WHERE cookie_hash = ?", (_digest(cookie),)).fetchone()
    finally:
        con.close()
    if row is None:
        raise SessionEnded("you are signed out")
    return check_session(root, row["id"], clock)


def redeem_ticket(root: Path, ticket: str, clock: Clock = utcnow) -> str | None:
    """Trade a one-time ticket for the session's cookie value (once, within TICKET_SECONDS)."""
    now = clock()
    token = secrets.token_urlsafe(32)
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            row = con.execute(
                "SELECT id FROM sessions WHERE ticket_hash = ? AND ticket_expires > ? AND revoked_at IS NULL",
                (_digest(ticket), now.isoformat()),
            ).fetchone()
            if row is None:
                return None
            con.execute(
                "UPDATE sessions SET ticket_hash = NULL, ticket_expires = NULL, cookie_hash = ? WHERE id = ?",
                (_digest(token), row["id"]),
            )
    finally:
        con.close()
    return token


def ticket_pending(root: Path, sid: str) -> bool:
    """Whether the browser has yet to trade this session's ticket for its cookie."""
    con = appdb.connect(root)
    try:
        row = con.execute("SELECT ticket_hash FROM sessions WHERE id = ?", (sid,)).fetchone()
    finally:
        con.close()
    return row is not None and row["ticket_hash"] is not None


def end_session(root: Path, principal: Principal, why: str = "signed out", clock: Clock = utcnow) -> None:
    """Sign out: the session ends for every tab that shares it, and the sign-out is audited."""
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            if principal.session:
                _revoke(con, principal.session, why, clock().isoformat())
            audit(con, why, principal.name, principal.name, "", clock)
    finally:
        con.close()


LOCKED_FOR_GOOD = "9999-12-31T00:00:00+00:00"


def lock_account(root: Path, name: str, minutes: int | None = None, actor: str = "cli", clock: Clock = utcnow) -> bool:
    """Lock an account for `minutes` (None: until unlocked) and end its sessions at once."""
    now = clock()
    until = (now + timedelta(minutes=minutes)).isoformat() if minutes else LOCKED_FOR_GOOD
    return _set_lock(root, name, until, "account locked", actor, clock)


def unlock_account(root: Path, name: str, actor: str = "cli", clock: Clock = utcnow) -> bool:
    return _set_lock(root, name, None, "account unlocked", actor, clock)


def _set_lock(root: Path, name: str, until: str | None, event: str, actor: str, clock: Clock) -> bool:
    now = clock()
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            found = (
                con.execute(
                    "UPDATE accounts SET locked_until = ?, version = version + 1, updated_at = ? WHERE name = ?",
                    (until, now.isoformat(timespec="seconds"), name),
                ).rowcount
                > 0
            )
            if found:
                _revoke_all(con, name, "account locked" if until else "account changed", now.isoformat())
                if until is None:
                    con.execute("DELETE FROM signin_failures WHERE name = ?", (name,))
                audit(con, event, name, actor, "", clock)
            return found
    finally:
        con.close()


def _revoke(con, sid: str, why: str, at: str) -> None:
    _revoke_where(con, "id", sid, why, at)


def _revoke_all(con, name: str, why: str, at: str) -> None:
    _revoke_where(con, "account", name, why, at)


def _revoke_where(con, column: str, value: str, why: str, at: str) -> None:
    # `column` is one of two fixed names above, never input; the values are bound.
    con.execute(
        f"UPDATE sessions SET revoked_at = ?, revoked_why = ?, ticket_hash = NULL, cookie_hash = NULL "
        f"WHERE {column} = ? AND revoked_at IS NULL",
        (at, why, value),
    )


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
    present = [c for c in columns if c in df.columns]
    if not present or (viewer is not None and viewer.sees_personal_data):
        return df
    masker = Masker(root)
    return df.with_columns([pl.col(c).map_elements(masker, return_dtype=pl.String).alias(c) for c in present])
