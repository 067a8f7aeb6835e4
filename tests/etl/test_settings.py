"""Settings: every one documented, bad files refused with a sentence, data directory resolution."""

from dataclasses import fields

import pytest

from etl import settings as config
from etl.settings import Settings


def test_every_setting_is_documented():
    doc = (config.REPO_ROOT / "docs" / "SETTINGS.md").read_text()
    for f in fields(Settings):
        assert f"`{f.name}`" in doc, f.name


def test_round_trip_and_validation(tmp_path):
    Settings(quality_low_from=0.1).save(tmp_path)
    assert Settings.load(tmp_path).quality_low_from == 0.1
    (tmp_path / "settings.json").write_text('{"quality_low_from": "high"}')
    with pytest.raises(ValueError, match="quality_low_from must be a float"):
        Settings.load(tmp_path)
    (tmp_path / "settings.json").write_text('{"colour": 1}')
    with pytest.raises(ValueError, match="unknown settings: colour"):
        Settings.load(tmp_path)
    (tmp_path / "settings.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        Settings.load(tmp_path)


def test_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTDESK_DATA", str(tmp_path / "env"))
    assert config.data_dir(tmp_path / "flag") == (tmp_path / "flag").resolve()
    assert config.data_dir() == (tmp_path / "env").resolve()
    monkeypatch.delenv("TRUSTDESK_DATA")
    monkeypatch.chdir(tmp_path)
    assert config.data_dir() == (tmp_path / "data").resolve()


def test_reference_files_prefer_the_data_directory(tmp_path):
    assert config.reference_file(tmp_path, "markets.csv") == config.SHIPPED_DATA / "markets.csv"
    (tmp_path / "markets.csv").write_text("country,market,region\n")
    assert config.reference_file(tmp_path, "markets.csv") == tmp_path / "markets.csv"


def test_shipped_reference_data_is_complete():
    import csv

    from etl.ingest.validate import COUNTRY_CODES

    markets = list(csv.DictReader(open(config.SHIPPED_DATA / "markets.csv")))
    assert sorted(r["country"] for r in markets) == sorted(COUNTRY_CODES)
    regions = {r["region"] for r in markets}
    assert regions <= {"Asia Pacific", "Europe", "Latin America", "Middle East & Africa", "North America", "Other"}
    rates = list(csv.DictReader(open(config.SHIPPED_DATA / "rate_card.csv")))
    priced = {r["market"] for r in rates}
    assert {r["market"] for r in markets} <= priced
    own = {r["market"] for r in markets if not r["market"].startswith(("Rest of", "Other"))}
    assert len(own) >= 15
    assert {"India", "Brazil", "Indonesia", "Mexico", "Germany", "France", "Pakistan", "Nigeria"} <= own
    assert all(float(r["price_usd"]) >= 0 for r in rates)
