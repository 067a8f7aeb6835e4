"""The project's own contract documents stay in step with the code: every kind and column in
docs/log-format.md with a sample that loads cleanly, every command and option in docs/cli.md, every
registered metric in docs/metrics.md."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import click
import pytest

import trustdesk.cli
from etl.contract import BILLABLE_CATEGORIES, KINDS
from etl.ingest.load import load_files
from trustdesk.analytics.metrics import METRICS

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
SAMPLES = DOCS / "samples" / "v1"
REFERENCE_FILES = ("markets.csv", "rate_card.csv")
CONTRACT_PHRASE = "kept in step with the fixed contract"


def read_doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The text under the first heading whose title is exactly `heading` (with or without
    backticks), up to the next heading of the same or a higher level; '' when there is none."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"(#+)\s+(.*?)\s*$", line)
        if m and m[2].strip("`") == heading:
            level = len(m[1])
            body = []
            for rest in lines[i + 1 :]:
                n = re.match(r"(#+)\s", rest)
                if n and len(n[1]) <= level:
                    break
                body.append(rest)
            return "\n".join(body)
    return ""


def table_rows(text: str) -> dict[str, str]:
    """The first cell of each Markdown table row (backticks dropped) -> the whole row."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"\|\s*-", line):
            rows[line.split("|")[1].strip().replace("`", "")] = line
    return rows


def read_header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("doc", ["log-format.md", "metrics.md", "cli.md"])
def test_each_doc_says_the_spec_is_the_contract(doc):
    assert CONTRACT_PHRASE in read_doc(doc)


# --------------------------------------------------------------------------- log format


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_has_a_section_naming_its_columns(kind):
    body = section(read_doc("log-format.md"), kind)
    assert body, f"docs/log-format.md has no '### {kind}' section"
    rows = table_rows(body)
    documented = {name.rstrip("*"): name.endswith("*") for name in rows if name not in ("column",)}
    spec = KINDS[kind]
    assert set(documented) == set(spec.names), f"{kind}: documented columns differ from etl/contract.py"
    for col in spec.columns:
        assert documented[col.name] == col.required, f"{kind}.{col.name}: the required mark (*) is wrong"
        for value in col.values:
            assert f"`{value}`" in rows[col.name + ("*" if col.required else "")], (
                f"{kind}.{col.name}: allowed value {value!r} is not listed"
            )
    assert f"(samples/v1/{kind}.csv)" in body, f"{kind}: the section does not link its sample"


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_has_a_sample_with_exactly_its_columns(kind):
    sample = SAMPLES / f"{kind}.csv"
    assert sample.is_file(), f"docs/samples/v1/{kind}.csv is missing"
    assert read_header(sample) == list(KINDS[kind].names)
    assert read_rows(sample), f"docs/samples/v1/{kind}.csv has no rows"


def test_the_samples_name_only_ids_they_define():
    ids = {kind: {row[spec.key] for row in read_rows(SAMPLES / f"{kind}.csv")} for kind, spec in KINDS.items()}
    references = [
        ("messages", "business_id", "businesses"),
        ("reports", "business_id", "businesses"),
        ("blocks", "business_id", "businesses"),
        ("opt_outs", "business_id", "businesses"),
        ("ad_campaigns", "business_id", "businesses"),
        ("ad_events", "campaign_id", "ad_campaigns"),
        ("reports", "message_id", "messages"),
    ]
    for kind, column, defining in references:
        named = {row[column] for row in read_rows(SAMPLES / f"{kind}.csv") if row[column]}
        assert named <= ids[defining], f"{kind}.{column} names ids that {defining}.csv lacks: {named - ids[defining]}"


def test_the_sample_rate_card_prices_every_market_and_country_of_the_samples():
    markets = {row["country"]: row["market"] for row in read_rows(SAMPLES / "markets.csv")}
    priced = {(row["market"], row["category"]) for row in read_rows(SAMPLES / "rate_card.csv")}
    countries = {
        row["user_country"].upper() for kind in ("messages", "ad_events") for row in read_rows(SAMPLES / f"{kind}.csv")
    }
    assert countries <= set(markets), f"countries missing from markets.csv: {countries - set(markets)}"
    for market in set(markets.values()):
        for category in BILLABLE_CATEGORIES:
            assert (market, category) in priced, f"rate_card.csv has no {category} price for {market}"


def test_the_v1_samples_load_without_a_rejected_or_quarantined_row(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    for name in REFERENCE_FILES:
        shutil.copy(SAMPLES / name, root / name)
    files = [SAMPLES / f"{kind}.csv" for kind in KINDS]
    results = load_files(root, files, user="test")
    assert [(r.file, r.kind, r.status) for r in results] == [(f.name, f.stem, "loaded") for f in files]
    for r in results:
        assert r.quarantined == 0 and r.duplicates == 0, f"{r.file}: {r.reasons}"
        assert r.loaded == r.rows_read == len(read_rows(SAMPLES / r.file))
        assert r.unknown_columns == [] and r.undefined_rows == 0, r.file


def test_the_log_format_links_only_samples_that_exist():
    links = re.findall(r"\]\((samples/[^)#]+)\)", read_doc("log-format.md"))
    assert links
    for link in links:
        assert (DOCS / link).exists(), f"docs/log-format.md links {link}, which does not exist"
    for name in REFERENCE_FILES:
        assert f"(samples/v1/{name})" in read_doc("log-format.md")


# --------------------------------------------------------------------------- command line


def root_group() -> click.Group:
    groups = [v for v in vars(trustdesk.cli).values() if isinstance(v, click.Group)]
    inner = {id(g.get_command(click.Context(g), n)) for g in groups for n in g.list_commands(click.Context(g))}
    roots = [g for g in groups if id(g) not in inner]
    assert len(roots) == 1, "trustdesk.cli should expose exactly one root click group"
    return roots[0]


def commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every command under `group` with its words after `trustdesk`, the group itself first."""
    out = [(path, group)]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if isinstance(cmd, click.Group):
            out.extend(commands(cmd, path + (name,)))
        else:
            out.append((path + (name,), cmd))
    return out


def cli_sections() -> list[tuple[str, click.Command]]:
    return [(" ".join(("trustdesk", *path)), cmd) for path, cmd in commands(root_group())]


def test_the_command_tree_is_found():
    names = {name for name, _ in cli_sections()}
    assert {"trustdesk", "trustdesk load", "trustdesk metrics", "trustdesk users add"} <= names


def test_every_command_and_option_is_in_cli_md():
    doc = read_doc("cli.md")
    missing = []
    for name, cmd in cli_sections():
        body = section(doc, name)
        if not body:
            missing.append(f"no section '## `{name}`'")
            continue
        for param in cmd.params:
            if isinstance(param, click.Argument):
                if param.human_readable_name not in body:
                    missing.append(f"{name}: argument {param.human_readable_name}")
                continue
            missing.extend(
                f"{name}: option {opt}"
                for opt in param.opts + param.secondary_opts
                if opt.startswith("--") and not re.search(rf"{re.escape(opt)}(?![\w-])", body)
            )
    assert not missing, "docs/cli.md lacks: " + "; ".join(missing)


def test_cli_md_describes_no_command_that_does_not_exist():
    real = {name for name, _ in cli_sections()}
    headed = {m[1] for m in re.finditer(r"^#+\s+`(trustdesk[^`]*)`\s*$", read_doc("cli.md"), re.M)}
    assert headed, "docs/cli.md has no command sections"
    assert headed <= real, f"docs/cli.md has sections for commands that do not exist: {headed - real}"


def test_cli_md_names_every_exit_code_of_load():
    body = section(read_doc("cli.md"), "trustdesk load")
    for code in ("0", "1", "2"):
        assert re.search(rf"\b{code}\b", body)


# --------------------------------------------------------------------------- metrics


@pytest.mark.parametrize("name", list(METRICS))
def test_every_metric_has_a_section_with_its_columns_and_home(name):
    body = section(read_doc("metrics.md"), name)
    assert body, f"docs/metrics.md has no '### `{name}`' section"
    rows = table_rows(body)
    documented = [c for c in rows if c != "column"]
    assert documented[: len(METRICS[name])] == list(METRICS[name]), f"{name}: the first columns differ from METRICS"
    home = f"trustdesk/warehouse/sql/{name}.sql"
    assert home in body, f"{name}: the section does not say where it lives ({home})"
    assert (REPO / home).is_file(), f"{home} does not exist"
