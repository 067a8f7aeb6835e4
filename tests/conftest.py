"""Hypothesis profiles. CI (the `CI` environment variable set) runs a fixed set of examples, the
same on every run, so that a red CI run is the code's fault and a re-run reproduces it; a person's
run (`dev`) draws new examples each time, which is how new failures are found. `thorough` is for
looking hard: `pytest --hypothesis-profile thorough tests/etl/test_properties.py`."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests import worlds

# The fixture `store_backend` (a test once on SQLite, once on PostgreSQL) for every test module.
pytest_plugins = ["tests.pg"]

# Loads are slow examples (a DuckDB store each): no deadline, no complaint about their speed.
_SLOW = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

settings.register_profile("ci", derandomize=True, max_examples=30, database=None, print_blob=True, **_SLOW)
settings.register_profile("dev", max_examples=30, print_blob=True, **_SLOW)
settings.register_profile("thorough", max_examples=600, database=None, **_SLOW)
settings.load_profile("ci" if os.environ.get("CI", "").lower() not in ("", "0", "false") else "dev")


@pytest.fixture(scope="module")
def make_world(tmp_path_factory):
    """The one synthetic-world factory: `make_world(name, seed=..., businesses=..., ...)` generates
    a world and loads it, once per module that asks; its base directory (`w/` logs, `data/`)."""
    return lambda name, **world: worlds.synthetic(tmp_path_factory.mktemp(name), **world)


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    """The golden world (tests/worlds.py), its metrics worked out by hand in
    tests/analytics/test_metrics.py, loaded once per module that asks: its data directory."""
    return worlds.golden_world(tmp_path_factory.mktemp("golden"))


@pytest.fixture(scope="module")
def golden_wh(golden):
    """The golden world's published warehouse, open for the module."""
    wh = worlds.warehouse(golden)
    yield wh
    wh.close()
