"""The Admin pages (Accounts, Settings) as an admin reads them: a new account in the table at once,
passwords, locks and times in words, thresholds in percent, every setting with its documentation,
the rate card as a table."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from etl.settings import Settings
from tests.worlds import sign_in_apptest
from trustdesk import admin
from trustdesk.accounts import auth
from trustdesk.accounts.auth import Principal
from trustdesk.web.navigation import page_path

ADA = Principal("ada", "admin")
WHEN = "DD MMM YYYY HH:mm"


@pytest.fixture
def root(tmp_path):
    path = tmp_path / "data"
    path.mkdir()
    return path


def page(name: str, root, monkeypatch) -> AppTest:
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(page_path(name)), default_timeout=60)
    sign_in_apptest(at, root, ADA)
    at.run()
    assert not at.exception, at.exception
    return at


def columns(frame) -> dict[str, dict]:
    """The column configuration a dataframe element was drawn with."""
    return json.loads(frame.proto.columns)


def test_a_new_account_is_in_the_table_as_soon_as_it_is_saved(root, monkeypatch):
    at = page("accounts", root, monkeypatch)
    assert list(at.dataframe[0].value["name"]) == ["ada"]
    by_label = {w.label: w for w in list(at.text_input) + list(at.selectbox)}
    by_label["Name"].input("newbie")
    by_label["Role"].set_value("moderator")
    by_label["Password (leave empty to keep the current one)"].input("a long enough password")
    (save,) = [b for b in at.button if b.label == "Save"]
    save.click().run()
    assert not at.exception
    assert list(at.dataframe[0].value["name"]) == ["ada", "newbie"]
    assert at.success[0].value == "Account newbie created."
    (removable,) = [s for s in at.selectbox if s.label == "Account"]
    assert "newbie" in removable.options
    assert [w.value for w in at.text_input if w.label.startswith("Password")] == [""]  # nothing typed stays


def test_accounts_say_password_lock_and_times_in_words(root, monkeypatch):
    auth.upsert_account(root, "sso", "analyst", None, email="sso@example.org", actor="test")
    auth.upsert_account(root, "lockie", "moderator", "a long enough password", actor="test")
    auth.lock_account(root, "lockie", 15, actor="test")
    at = page("accounts", root, monkeypatch)
    shown = at.dataframe[0].value.set_index("name")
    assert shown.loc["ada", "password"] == "yes" and shown.loc["sso", "password"] == "no"
    (stored,) = [a["locked_until"] for a in auth.list_accounts(root) if a["name"] == "lockie"]
    until = datetime.fromisoformat(stored)
    today = until.date() == datetime.now(UTC).date()
    assert shown.loc["lockie", "locked"] == (
        f"Locked until {until:%H:%M} UTC" if today else f"Locked until {until:%d %b %Y %H:%M} UTC"
    )
    assert shown.loc["ada", "locked"] == ""
    assert "has_password" not in shown.columns and "locked_until" not in shown.columns
    config = columns(at.dataframe[0])
    for name in ("created_at", "updated_at"):
        assert config[name]["type_config"] == {"type": "datetime", "format": WHEN}
        assert str(shown[name].dtype).startswith("datetime64")
    assert all("_" not in c["label"] for k, c in config.items() if k != "_index")
    log = at.dataframe[1]
    assert columns(log)["at"]["type_config"] == {"type": "datetime", "format": WHEN}
    assert str(log.value["at"].dtype).startswith("datetime64")
    # an account locked with no end is said so, not as the year 9999
    assert admin.locked_words("9999-12-31T00:00:00+00:00", datetime.now(UTC)) == "Locked until an admin unlocks it"
    assert admin.locked_words((until - timedelta(hours=1)).isoformat(), until) == ""


def test_thresholds_show_in_percent_and_are_stored_as_fractions(root, monkeypatch):
    at = page("settings", root, monkeypatch)
    medium = next(n for n in at.number_input if n.label.startswith("Negative rate from which the rating is MEDIUM"))
    low = next(n for n in at.number_input if n.label.startswith("Negative rate from which the rating is LOW"))
    assert medium.label.endswith("(%)") and (medium.value, low.value) == (2.0, 5.0)
    assert medium.proto.format == "%.1f"
    medium.set_value(3.5)
    at.button[0].click().run()
    assert not at.exception
    saved = Settings.load(root)
    assert (saved.quality_medium_from, saved.quality_low_from) == (0.035, 0.05)
    assert at.success[0].value.startswith("Saved.")
    medium = next(n for n in at.number_input if n.label.startswith("Negative rate from which the rating is MEDIUM"))
    assert medium.value == 3.5


def test_every_setting_is_on_the_page_with_its_documentation(root, monkeypatch):
    at = page("settings", root, monkeypatch)
    helps = [w.help for w in list(at.number_input) + list(at.text_input)]
    for name in Settings.__dataclass_fields__:
        (doc,) = [h for h in helps if h and f"setting `{name}`" in h]
        assert doc == admin.setting_help()[name]
    memory = at.text_input(key="duckdb_memory_limit")
    assert memory.value == "4GB" and "spills to" in memory.help
    assert "Default 2.0%" in admin.setting_help()["quality_medium_from"]
    memory.input("512 mib")
    at.button[0].click().run()
    assert Settings.load(root).duckdb_memory_limit == "512MiB"
    assert at.text_input(key="duckdb_memory_limit").value == "512MiB"
    at.text_input(key="duckdb_memory_limit").input("lots")
    at.button[0].click().run()
    assert not at.exception
    assert at.error[0].value == (
        "Not saved: the DuckDB memory limit must be a number and a unit, such as 4GB, 512MB or 2GiB."
    )
    assert Settings.load(root).duckdb_memory_limit == "512MiB"


def test_the_rate_card_is_a_table_with_filters(root, monkeypatch):
    at = page("settings", root, monkeypatch)
    assert not at.code  # no raw dump of the file
    (card,) = [d for d in at.dataframe if "price_usd" in d.value.columns]
    full = admin.rate_card(root, ADA)
    assert len(card.value) == full.filter(full["current"]).height < full.height
    config = columns(card)
    assert config["price_usd"]["label"] == "Price per message (USD)"
    assert config["effective_from"]["type_config"]["type"] == "date"
    assert f"{full.height:,} prices for " in " ".join(c.value for c in at.caption)
    at.selectbox(key="rate_market").set_value("India").run()
    (card,) = [d for d in at.dataframe if "price_usd" in d.value.columns]
    assert set(card.value["market"]) == {"India"} and len(card.value) == 3  # one price per category
    at.toggle(key="rate_history").set_value(True).run()
    (card,) = [d for d in at.dataframe if "price_usd" in d.value.columns]
    assert len(card.value) == full.filter(full["market"] == "India").height
    at.selectbox(key="rate_category").set_value("marketing").run()
    (card,) = [d for d in at.dataframe if "price_usd" in d.value.columns]
    assert set(card.value["category"]) == {"marketing"}
    assert list(card.value["effective_from"]) == sorted(card.value["effective_from"])


def test_moderation_settings_are_saved_and_checked(root, monkeypatch):
    at = page("settings", root, monkeypatch)
    (target,) = [w for w in at.number_input if w.label == "Hours to the decision"]
    target.set_value(12.0)
    (score,) = [w for w in at.number_input if w.label.startswith("Risk score from which a case goes")]
    score.set_value(88.0)
    at.button[0].click().run()
    saved = Settings.load(root)
    assert (saved.decision_target_hours, saved.escalate_risk_score) == (12.0, 88.0)
    with pytest.raises(ValueError, match="service targets must be more than 0 hours"):
        admin.save_settings(root, Principal("boss", "admin"), {"claim_target_hours": 0.0})
