"""The models as a project: order derived from their SQL, declared parameters, audits that stop a
publish, the prices and business categories the marts carry, and the quality_rating macro."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from etl import store
from etl.build import MODELS_DIR, AuditFailed, BuildError, build_warehouse, load_project
from etl.contract import MONEY_TYPE
from etl.ingest.load import ensure_schema
from etl.settings import Settings
from tests.worlds import ad, build, msg, report, warehouse

# The tables the read side queries: their names may not change.
MARTS = {
    "dim_users",
    "dim_businesses",
    "dim_campaigns",
    "business_user_day",
    "business_day",
    "response_day",
    "feedback_events",
    "quality_day",
    "risk_window_users",
    "business_activity_day",
    "political_reports_day",
    "ad_user_day",
    "reported_messages",
    "rows_by_day",
    "platform_events",
    "billed_pricing",
    "template_texts",
    # intermediate tables kept in the warehouse for the next incremental build; pages never read them
    "int_message_facts",
    "int_trailing_users_7",
}
CATEGORISED = (
    "business_day",
    "business_user_day",
    "feedback_events",
    "response_day",
    "reported_messages",
    "business_activity_day",
    "quality_day",
)


def rebuild(root: Path, models_dir: Path = MODELS_DIR, settings: Settings | None = None) -> dict:
    with store.load_lock(root):
        con = store.connect_ingest(root)
        try:
            ensure_schema(con)
            return build_warehouse(root, con, settings, force=True, models_dir=models_dir)
        finally:
            con.close()


def models_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(MODELS_DIR, tmp_path / "models"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def tiny_project(tmp_path: Path, marts: dict[str, str]) -> Path:
    root = tmp_path / "tiny"
    for layer in ("staging", "intermediate", "marts", "audits", "macros", "templates"):
        (root / layer).mkdir(parents=True)
    (root / "staging" / "stg_messages.sql").write_text("select message_id from raw_messages\n")
    for name, sql in marts.items():
        (root / "marts" / f"{name}.sql").write_text(sql)
    return root


# The build order


def test_the_derived_order_respects_every_reference():
    project = load_project()
    position = {m.name: i for i, m in enumerate(project.order)}
    for model in project.order:
        for table in model.reads & position.keys():
            assert position[table] < position[model.name], (model.name, table)
    assert {m.name for m in project.order if m.materialized == "table"} == MARTS
    for model in project.order:
        raw = {t for t in model.reads if t.startswith("raw_")}
        staging = model.path.startswith("staging/")
        assert (len(raw) == 1 and model.name == "stg_" + raw.pop()[4:]) if staging else not raw, model.name


def test_parameters_are_declared_next_to_the_model():
    models = {m.name: m for m in load_project().order}
    assert models["int_trailing_users_7"].args(Settings()) == {"window": 7}
    assert models["risk_window_users"].args(Settings(risk_window_days=3)) == {"window": 3}
    assert models["risk_window_users"].sql == models["int_trailing_users_7"].sql
    assert models["int_message_facts"].materialized == "table"  # kept for the next incremental build
    assert (models["int_message_facts"].incremental, models["int_message_facts"].key) == ("by", "message_id")
    assert models["business_day"].incremental == "same day" and "keep" in models["int_message_facts"].scope
    assert models["risk_window_users"].window(Settings(risk_window_days=3)) == 3
    assert models["quality_day"].incremental == "same day" and models["dim_campaigns"].incremental is None
    assert (models["dim_users"].incremental, models["dim_users"].key) == ("by", "user_id")


def test_an_incremental_header_that_says_nothing_known_is_a_build_error(tmp_path):
    project = tiny_project(tmp_path, {"a": "-- incremental: when it feels right\nselect 1 as x\n"})
    with pytest.raises(BuildError, match="must be `by COLUMN`, `same day` or `trailing N days`"):
        load_project(project)


def test_a_cycle_is_a_build_error(tmp_path):
    project = tiny_project(tmp_path, {"a": "select * from b\n", "b": "select * from stg_messages, a\n"})
    with pytest.raises(BuildError, match=r"cycle: (a -> b -> a|b -> a -> b)$"):
        load_project(project)


def test_an_unknown_table_is_a_build_error(tmp_path):
    project = tiny_project(tmp_path, {"a": "with x as (select 1) select * from x, nowhere\n"})
    with pytest.raises(BuildError, match="marts/a.sql reads nowhere, which is neither a model nor a source"):
        load_project(project)


def test_a_mart_reading_a_raw_table_is_a_build_error(tmp_path):
    project = tiny_project(tmp_path, {"a": "select * from raw_messages\n"})
    with pytest.raises(BuildError, match="only a staging model may read a raw table"):
        load_project(project)


def test_an_undeclared_parameter_is_a_build_error(tmp_path):
    project = tiny_project(tmp_path, {"a": "select * from stg_messages where message_id = $id\n"})
    with pytest.raises(BuildError, match=r"marts/a.sql uses \$id but declares params none"):
        load_project(project)


# Prices and categories, priced once when the mart is built


@pytest.fixture(scope="module")
def priced(tmp_path_factory):
    # India marketing costs 0.01 until 2026-03-01 and 0.02 from 2026-03-02 (tests/worlds.py); Brazil
    # has no authentication price; bx is named by events but by no businesses file.
    root, results = build(
        tmp_path_factory.mktemp("priced"),
        businesses=[dict(business_id="b1", name="Chai", category="retail", country="IN")],
        messages=[
            msg("m0", "2026-03-01T07:00:00Z", "b1", "u1", "inbound", "IN"),
            msg("m00", "2026-03-02T09:00:00Z", "bx", "u3", "inbound", "BR"),
            msg("m1", "2026-03-01T23:59:59Z", "b1", "u1", "outbound", "IN", "marketing", "promo", "delivered"),
            msg("m2", "2026-03-01T08:00:00Z", "b1", "u2", "outbound", "IN", "marketing", "promo", "read"),
            msg("m3", "2026-03-02T00:00:00Z", "b1", "u1", "outbound", "IN", "marketing", "promo", "delivered"),
            msg("m4", "2026-03-02T10:00:00Z", "bx", "u3", "outbound", "BR", "authentication", "otp", "read"),
            msg("m5", "2026-03-02T11:00:00Z", "bx", "u3", "outbound", "BR", "marketing", "promo", "failed"),
        ],
        blocks=[dict(block_id="k1", blocked_at="2026-03-02T12:00:00Z", user_id="u3", business_id="bx", reason="spam")],
        reports=[report("r1", "2026-03-02T12:00:00Z", "u1", "b1", "spam", "m3")],
        ad_campaigns=[
            dict(campaign_id="c1", business_id="b1", name="Spring", starts_on="2026-03-01", ends_on="2026-03-03")
        ],
        ad_events=[
            ad("a1", "2026-03-01T10:00:00Z", "u1", "IN", "impression", "0.001"),
            {**ad("a2", "2026-03-01T10:00:00Z", "u9", "IN", "impression", "0.5"), "campaign_id": "c9"},
        ],
    )
    assert all(r.status == "loaded" for r in results), results
    wh = warehouse(root)
    yield root, wh
    wh.close()


def test_revenue_is_priced_on_each_side_of_a_price_change(priced):
    _, wh = priced
    got = {
        (r["day"].isoformat(), r["business_id"], r["category"]): r
        for r in wh.query("SELECT day, business_id, category, billable, revenue_usd FROM business_day").to_dicts()
    }
    assert got[("2026-03-01", "b1", "marketing")]["billable"] == 2
    assert got[("2026-03-01", "b1", "marketing")]["revenue_usd"] == Decimal("0.02")  # 2 x 0.01
    assert got[("2026-03-02", "b1", "marketing")]["revenue_usd"] == Decimal("0.02")  # 1 x 0.02
    assert got[("2026-03-02", "bx", "authentication")]["revenue_usd"] == 0  # no price
    assert got[("2026-03-02", "bx", "marketing")]["revenue_usd"] == 0  # failed: not billable
    assert wh.scalar("SELECT typeof(revenue_usd) FROM business_day LIMIT 1") == MONEY_TYPE.replace(" ", "")


def test_the_marts_revenue_equals_the_read_sides_pricing(priced):
    # The rule revenue_by_region.sql, revenue_daily.sql and business_revenue.sql applied before the
    # mart carried revenue_usd: billable summed by (day, region, market, category), then priced.
    _, wh = priced
    expected = dict(
        wh.query("""
        with billable as (
            select day, user_region as region, user_market as market, category, sum(billable)::bigint as n
            from business_day where billable > 0 group by all
        )
        select b.region, sum(b.n * coalesce(
            (select arg_max(r.price_usd, r.effective_from) from ref_rate_card as r
             where r.market = b.market and r.category = b.category and r.effective_from <= b.day), 0))
        from billable as b group by 1""").iter_rows()
    )
    got = dict(
        wh.query("SELECT user_region, sum(revenue_usd) FROM business_day WHERE billable > 0 GROUP BY 1").iter_rows()
    )
    assert got == expected == {"Asia Pacific": Decimal("0.04"), "Latin America": Decimal("0")}


def test_business_category_is_unknown_for_a_business_no_file_defines(priced):
    _, wh = priced
    for table in CATEGORISED:
        got = dict(wh.query(f"SELECT DISTINCT business_id, business_category FROM {table}").iter_rows())
        assert got.get("b1", "retail") == "retail" and got.get("bx", "unknown") == "unknown", table
        assert got, table
    ads = wh.query("SELECT campaign_id, business_category FROM ad_user_day ORDER BY 1").rows()
    assert ads == [("c1", "retail"), ("c9", "unknown")]  # c9: no campaign file, so no business
    assert wh.query("SELECT business_category FROM quality_day WHERE business_id = 'bx'").rows()[0] == ("unknown",)


# The quality rating macro


@pytest.mark.parametrize(
    ("negative", "reached", "rating"),
    [(0, 4, "UNKNOWN"), (0, 5, "HIGH"), (1, 20, "MEDIUM"), (1, 10, "MEDIUM"), (2, 10, "LOW")],
)
def test_the_quality_rating_macro_from_a_read_only_connection(priced, negative, reached, rating):
    _, wh = priced
    with pytest.raises(Exception, match="read-only"):
        wh.scalar("CREATE TABLE x (a INT)")
    params = {"n": negative, "r": reached, "min_reached": 5, "medium_from": 0.05, "low_from": 0.2}
    got = wh.scalar("SELECT quality_rating($n, $r, $min_reached, $medium_from, $low_from)", params)
    assert got == rating


def test_the_macro_rates_as_the_read_sides_case(priced):
    _, wh = priced
    params = {"min_reached": 1, "medium_from": 0.3, "low_from": 0.6}
    rows = wh.query(
        """SELECT quality_rating(negative_7d, reached_7d, $min_reached, $medium_from, $low_from) AS macro,
                  CASE WHEN reached_7d < $min_reached THEN 'UNKNOWN'
                       WHEN negative_7d / reached_7d < $medium_from THEN 'HIGH'
                       WHEN negative_7d / reached_7d < $low_from THEN 'MEDIUM'
                       ELSE 'LOW' END AS inline
           FROM quality_day""",
        params,
    ).rows()
    assert rows and all(macro == inline for macro, inline in rows)
    assert {macro for macro, _ in rows} >= {"HIGH", "LOW"}


# Audits stop the publish


def refused(root: Path, tmp_path: Path, model: str, old: str, new: str) -> str:
    """Rebuild `root` with `model` edited; the build must fail an audit and publish nothing."""
    before = store.read_pointer(root)
    broken = models_copy(tmp_path)
    edit(broken / model, old, new)
    with pytest.raises(AuditFailed) as err:
        rebuild(root, broken)
    assert store.read_pointer(root) == before
    assert not list((root / store.WAREHOUSE_DIR).glob("building-*"))
    assert "\n" not in str(err.value)
    return str(err.value)


def test_a_failing_audit_stops_the_publish_and_the_previous_warehouse_stays_current(priced, tmp_path):
    root, _ = priced
    message = refused(
        root,
        tmp_path,
        "marts/business_day.sql",
        "count(*) filter (where f.is_ok) as ok",
        "-count(*) filter (where f.is_ok) as ok",
    )
    assert message.startswith("audit non_negative_counts (etl/models/audits/non_negative_counts.sql) found")
    assert "mart=business_day" in message and "previous one stays current" in message
    wh = warehouse(root)
    try:
        assert wh.scalar("SELECT min(ok) FROM business_day") >= 0
    finally:
        wh.close()


def test_a_duplicated_grain_fails_its_unique_audit(priced, tmp_path):
    root, _ = priced
    message = refused(
        root,
        tmp_path,
        "marts/dim_users.sql",
        "select * from final\n",
        "select * from final\nunion all select * from final where user_id = 'u1'\n",
    )
    assert message.startswith(
        "audit unique_dim_users (etl/models/marts/dim_users.sql) found 1 bad row(s), e.g. user_id=u1, copies=2;"
    )


def test_the_risk_window_comes_from_the_settings(priced):
    root, _ = priced
    rebuild(root, settings=Settings(risk_window_days=1))
    wh = warehouse(root)
    try:
        one_day = dict(
            wh.query("SELECT day, reached_users FROM risk_window_users WHERE business_id = 'b1'").iter_rows()
        )
        seven = dict(wh.query("SELECT day, reached_7d FROM quality_day WHERE business_id = 'b1'").iter_rows())
    finally:
        wh.close()
    assert one_day[date(2026, 3, 2)] == 1  # u1 only; u2 was reached the day before
    assert seven[date(2026, 3, 2)] == 2
    assert date(2026, 3, 3) not in one_day or one_day[date(2026, 3, 3)] == 0
    rebuild(root)
