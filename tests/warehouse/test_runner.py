"""The one query runner: models from trustdesk/warehouse/sql/, their clauses expanded, parameters bound."""

from __future__ import annotations

import re
from datetime import date
from importlib import resources

import pytest

from trustdesk.warehouse import QueryError, bind, clauses, has_table, params_named, run, sql_for

MODELS = sorted(
    p.name[:-4] for p in resources.files("trustdesk.warehouse").joinpath("sql").iterdir() if p.name.endswith(".sql")
)
SPAN = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 3)}


@pytest.fixture(scope="module")
def wh(golden_wh):
    return golden_wh


def test_a_missing_parameter_is_refused_naming_the_file_and_the_parameters(wh):
    with pytest.raises(KeyError) as refused:
        run(wh, "ratings_by_day", SPAN)
    message = str(refused.value)
    assert "ratings_by_day.sql" in message
    assert all(name in message for name in ("min_reached", "medium_from", "low_from"))
    assert "date_from" not in message  # only the missing ones


def test_extra_parameters_are_ignored_and_exactly_the_named_ones_bound(wh):
    params = {**SPAN, "region": None, "market": None, "category": None, "unused": "ignored"}
    assert set(bind("block_reasons", params)) == {"date_from", "date_to", "region", "market", "category"}
    assert run(wh, "block_reasons", params)["blocks"].sum() == 2
    # as a dict, as keywords, or both: keywords win
    assert run(wh, "block_reasons", params, category="finance")["blocks"].sum() == 1


def test_an_unknown_model_is_refused_naming_its_file(wh):
    with pytest.raises(QueryError, match=r"trustdesk/warehouse/sql/no_such_model\.sql does not exist"):
        run(wh, "no_such_model")


def test_values_are_bound_never_formatted_in(wh):
    hostile = "retail' or '1'='1"
    assert run(wh, "block_reasons", {**SPAN, "region": None, "market": None, "category": hostile}).is_empty()
    assert run(wh, "block_reasons", {**SPAN, "region": None, "market": None, "category": "retail"}).height == 1


@pytest.mark.parametrize("name", MODELS)
def test_every_model_expands_to_plain_sql_with_parameters(name):
    sql = sql_for(name)
    assert "{{" not in sql and "}}" not in sql, name
    assert params_named(name) == frozenset(re.findall(r"\$([a-z_]+)", sql))


def test_the_filter_clause_refers_to_bound_parameters_only():
    clause = clauses.filters("s")
    assert clause.split("\n      and ") == [
        "s.day between $date_from and $date_to",
        "($region::varchar is null or s.user_region = $region)",
        "($market::varchar is null or s.user_market = $market)",
        "($category::varchar is null or s.business_category = $category)",
    ]
    # no literal anywhere: every value is a $parameter
    assert "'" not in clause and not re.search(r"(?<![a-z_])\d", clause)
    assert clauses.filters("q", region=False, market=False) == (
        "q.day between $date_from and $date_to\n"
        "      and ($category::varchar is null or q.business_category = $category)"
    )
    assert "$date_from" not in clauses.filters("f", dates=False)
    with pytest.raises(ValueError, match="not a table name"):
        clauses.filters("s; drop table x")


def test_the_filters_are_written_once_in_the_clause_not_in_the_models():
    # A model filters by region, market and category only through {{ filters(...) }}.
    for name in MODELS:
        raw = resources.files("trustdesk.warehouse").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
        for copied in ("= $region", "= $market", "= $category", "ref_rate_card as r"):
            assert copied not in raw, (name, copied)


def test_has_table_and_meta(wh):
    assert has_table(wh, "business_day") and not has_table(wh, "no_such_table")
    assert wh.meta()  # the build's record, read through the runner
