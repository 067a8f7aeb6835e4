"""Sign-in, roles and hardening: hashing, slow-down, lockout, expiry, refusals on the server side,
masking, the audit log, and every role against every page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from etl.settings import REPO_ROOT
from tests.pg import every_value
from tests.worlds import BLOCKS, BUSINESSES, MESSAGES, REPORTS, Clock, build, sign_in_apptest, td
from trustdesk import admin, appdb
from trustdesk.accounts import auth
from trustdesk.accounts.auth import AuthError, PermissionDenied, Principal
from trustdesk.data.export import neutralise, safe_csv
from trustdesk.web.navigation import PAGES, pages_for

PASSWORD = "correct horse battery"


@pytest.fixture
def root(store_backend, tmp_path):
    """A data directory with three accounts, on SQLite and on PostgreSQL (tests/pg.py)."""
    r = tmp_path / "data"
    auth.upsert_account(r, "mona", "moderator", PASSWORD)
    auth.upsert_account(r, "ana", "analyst", PASSWORD)
    auth.upsert_account(r, "ada", "admin", PASSWORD)
    return r


def events(root):
    con = appdb.connect(root)
    try:
        return [(r["event"], r["account"]) for r in con.execute("SELECT * FROM auth_audit ORDER BY id")]
    finally:
        con.close()


def test_password_is_stored_as_a_slow_salted_hash(root):
    con = appdb.connect(root)
    hashes = [h for (h,) in con.execute("SELECT password_hash FROM accounts")]
    con.close()
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    assert len(set(hashes)) == 3  # same password, different salts
    assert PASSWORD.encode() not in every_value(root, "accounts")
    if appdb.backend() == "sqlite":
        assert PASSWORD.encode() not in appdb.path_for(root).read_bytes()


def test_sign_in_and_same_answer_for_unknown_name_or_wrong_password(root):
    assert auth.sign_in(root, "mona", PASSWORD) == Principal("mona", "moderator")
    with pytest.raises(AuthError, match="^wrong name or password$"):
        auth.sign_in(root, "mona", "nope nope nope")
    with pytest.raises(AuthError, match="^wrong name or password$"):
        auth.sign_in(root, "nobody", PASSWORD)
    assert ("signed in", "mona") in events(root) and ("sign-in failed", "nobody") in events(root)


def test_repeated_failures_slow_down_then_lock(root):
    clock = Clock()
    for _ in range(auth.FREE_TRIES):
        with pytest.raises(AuthError, match="wrong name"):
            auth.sign_in(root, "ana", "bad password!", clock)
    # From now on each try must wait, even with the right password.
    with pytest.raises(AuthError, match="wait 1 s"):
        auth.sign_in(root, "ana", PASSWORD, clock)
    failures = auth.FREE_TRIES
    while failures < auth.LOCK_AFTER:
        clock.advance(seconds=auth.wait_seconds(failures))
        with pytest.raises(AuthError, match="wrong name"):
            auth.sign_in(root, "ana", "bad password!", clock)
        failures += 1
    clock.advance(seconds=120)
    with pytest.raises(AuthError, match="locked"):
        auth.sign_in(root, "ana", PASSWORD, clock)
    assert ("account locked", "ana") in events(root)
    clock.advance(minutes=auth.LOCK_MINUTES)
    assert auth.sign_in(root, "ana", PASSWORD, clock).role == "analyst"
    assert auth.list_accounts(root)[1]["failed_count"] == 0  # reset on success


def test_audit_log_is_append_only(root):
    con = appdb.connect(root)
    with pytest.raises(appdb.DatabaseError, match="append-only"):
        con.execute("UPDATE auth_audit SET event = 'x'")
    with pytest.raises(appdb.DatabaseError, match="append-only"):
        con.execute("DELETE FROM auth_audit")
    con.close()


def test_account_changes_are_audited_and_need_admin(root):
    ada, ana = Principal("ada", "admin"), Principal("ana", "analyst")
    assert admin.save_account(root, ada, "newbie", "analyst", "a long password", None) == "created"
    with pytest.raises(PermissionDenied, match="analyst role may not manage accounts"):
        admin.save_account(root, ana, "sneaky", "admin", "a long password", None)
    with pytest.raises(PermissionDenied):
        admin.save_settings(root, ana, {"quality_low_from": 0.5})
    with pytest.raises(AuthError, match="cannot remove the account you are signed in with"):
        admin.delete_account(root, ada, "ada")
    assert admin.delete_account(root, ada, "newbie")
    assert ("account created", "newbie") in events(root) and ("account removed", "newbie") in events(root)
    assert "sneaky" not in [a["name"] for a in auth.list_accounts(root)]


def test_settings_validation(root):
    ada = Principal("ada", "admin")
    with pytest.raises(ValueError, match="thresholds"):
        admin.save_settings(root, ada, {"quality_medium_from": 0.2, "quality_low_from": 0.1})
    assert admin.save_settings(root, ada, {"quality_low_from": 0.08}).quality_low_from == 0.08


def test_rate_card_check_names_the_line():
    with pytest.raises(ValueError, match="line 3: category"):
        admin.check_rate_card(
            b"market,category,price_usd,effective_from\nIndia,marketing,0.01,2026-01-01\nIndia,spam,1,2026-01-01\n"
        )
    assert (
        len(admin.check_rate_card(b"market,category,price_usd,effective_from\nIndia,utility,0.001,2026-01-01\n")) == 1
    )


def test_masking_hides_user_ids_from_analysts_only(root):
    df = pl.DataFrame({"user_id": ["u1", "u2", "u1"], "n": [1, 2, 3]})
    masked = auth.mask_users(df, Principal("ana", "analyst"), root)["user_id"].to_list()
    assert masked[0] == masked[2] != masked[1]
    assert all(m.startswith("user-") and "u1" not in m for m in masked)
    assert auth.mask_users(df, Principal("mona", "moderator"), root)["user_id"].to_list() == ["u1", "u2", "u1"]
    assert auth.mask_users(df, None, root)["user_id"].to_list() == masked  # no viewer: masked


def test_sso_maps_email_to_account(root):
    auth.upsert_account(root, "sso-user", "moderator", email="Mod@Example.org")
    assert auth.sign_in_email(root, "mod@example.org") == Principal("sso-user", "moderator")
    with pytest.raises(AuthError, match="has no TrustDesk account"):
        auth.sign_in_email(root, "stranger@example.org")
    with pytest.raises(AuthError, match="wrong name or password"):
        auth.sign_in(root, "sso-user", "")  # no password set: password sign-in impossible


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
    ],
)
def test_formula_neutralisation(cell, expected):
    assert neutralise(cell) == expected


def test_safe_csv_neutralises_text_but_not_numbers():
    df = pl.DataFrame({"name": ['=HYPERLINK("http://evil")', "ok"], "delta": [-5, 3], "reasons": [["=x", "y"], ["z"]]})
    out = safe_csv(df).splitlines()
    assert out[1].startswith("\"'=HYPERLINK") and out[1].split(",")[-2] == "-5"
    assert "'=x; y" in out[1]


# ----------------------------------------------------------------------------- pages and roles


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root, _ = build(
        tmp_path_factory.mktemp("roles"), businesses=BUSINESSES, messages=MESSAGES, blocks=BLOCKS, reports=REPORTS
    )
    auth.upsert_account(root, "ana", "analyst", PASSWORD)
    return root


def page_run(world, monkeypatch, file, who):
    monkeypatch.setenv("TRUSTDESK_DATA", str(world))
    at = AppTest.from_file(str(REPO_ROOT / file), default_timeout=90)
    if who:
        sign_in_apptest(at, world, who)
    at.run()
    return at


EXISTING = [p for p in PAGES if (REPO_ROOT / p.file).exists()]


@pytest.mark.parametrize("role", auth.ROLES)
@pytest.mark.parametrize("page", EXISTING, ids=[p.file for p in EXISTING])
def test_each_role_against_each_page(world, monkeypatch, role, page):
    at = page_run(world, monkeypatch, page.file, Principal(role, role))
    allowed = auth.RANK[role] >= auth.RANK[page.role]
    refused = [e.value for e in at.error if e.value.startswith("Refused")]
    if allowed:
        assert not at.exception, at.exception
        assert not refused
    else:
        assert refused and f"needs the {page.role} role" in refused[0]
    assert (page in pages_for(role)) is allowed


@pytest.mark.parametrize("page", EXISTING, ids=[p.file for p in EXISTING])
def test_signed_out_sees_no_page(world, monkeypatch, page):
    at = page_run(world, monkeypatch, page.file, None)
    assert [t.label for t in at.text_input] == ["Name", "Password"]
    assert not at.dataframe and not at.metric and not at.exception


def test_app_without_sign_in_shows_only_the_form_then_signs_in(world, monkeypatch):
    at = page_run(world, monkeypatch, "app.py", None)
    assert [t.label for t in at.text_input] == ["Name", "Password"]
    assert not at.metric
    at.text_input[0].input("ana")
    at.text_input[1].input("wrong password")
    at.button[0].click().run()
    assert at.error[0].value == "Wrong name or password."
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Overview" and at.metric


def test_idle_session_expires(world, monkeypatch):
    monkeypatch.setenv("TRUSTDESK_DATA", str(world))
    at = AppTest.from_file(str(REPO_ROOT / "pages/analytics/overview.py"), default_timeout=60)
    who = sign_in_apptest(at, world, Principal("ana", "analyst"))
    con = appdb.connect(world)
    con.execute(
        "UPDATE sessions SET last_seen = ? WHERE id = ?",
        ((datetime.now(UTC) - timedelta(minutes=61)).isoformat(), who.session),
    )
    con.close()
    at.run()
    assert [t.label for t in at.text_input] == ["Name", "Password"]
    assert "session expired" in at.info[0].value
    assert ("session expired", "ana") in events(world)


def test_sign_out_button(world, monkeypatch):
    at = page_run(world, monkeypatch, "app.py", Principal("ana", "analyst"))
    at.sidebar.button(key="sign_out").click().run()
    assert [t.label for t in at.text_input] == ["Name", "Password"]
    assert ("signed out", "ana") in events(world)


# ----------------------------------------------------------------------------- command line


def test_users_command(tmp_path):
    root = tmp_path / "data"
    res = td(root, "users", "add", "zoe", "--role", "moderator", "--password-stdin", input="a fine password\n")
    assert res.returncode == 0 and res.stdout.strip() == "created zoe (moderator)"
    res = td(root, "users", "add", "yan", "--role", "analyst", input="")
    assert "password (shown once): " in res.stdout
    shown = res.stdout.split("password (shown once): ")[1].strip()
    assert auth.sign_in(root, "yan", shown).role == "analyst"
    listed = json.loads(td(root, "users", "list", "--format", "json").stdout)
    assert [(a["name"], a["role"]) for a in listed] == [("yan", "analyst"), ("zoe", "moderator")]
    assert "password_hash" not in listed[0]
    res = td(root, "users", "add", "x y", "--role", "admin", "--password-stdin", input="a fine password\n")
    assert res.returncode == 1 and "a name is" in res.stderr
    assert td(root, "users", "remove", "zoe").returncode == 0
    assert td(root, "users", "remove", "zoe").returncode == 1


def test_first_run_creates_one_account_per_role_once(tmp_path):
    root = tmp_path / "data"
    made = auth.create_demo_accounts(root)
    assert set(made) == set(auth.ROLES)
    assert auth.sign_in(root, "admin", made["admin"]).role == "admin"
    assert auth.create_demo_accounts(root) is None


def test_dashboard_connections_cannot_touch_files(world):
    from trustdesk.warehouse import open_current

    wh = open_current(world)
    for sql in (
        "SELECT * FROM read_csv('/etc/passwd')",
        "COPY (SELECT 1) TO '/tmp/x.csv'",
        "ATTACH '/tmp/other.duckdb' AS o",
        "SET enable_external_access = true",
    ):
        with pytest.raises(Exception) as exc:
            wh.query(sql)
        assert any(w in str(exc.value).lower() for w in ("disabled", "read-only", "cannot", "permission")), str(
            exc.value
        )
    wh.close()
