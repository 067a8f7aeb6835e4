"""The navigation and the pages on disk agree, and every page runs for its role on a small world."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from etl.settings import REPO_ROOT
from tests.worlds import sign_in_apptest
from trustdesk.accounts.auth import ROLES, Principal
from trustdesk.web.navigation import PAGES, pages_for


def test_every_page_the_navigation_names_exists():
    missing = [p.file for p in PAGES if not (REPO_ROOT / p.file).is_file()]
    assert not missing, f"the navigation names pages that do not exist: {missing}"


def test_every_page_file_is_in_the_navigation():
    named = {p.file for p in PAGES}
    on_disk = {path.relative_to(REPO_ROOT).as_posix() for path in (REPO_ROOT / "pages").rglob("*.py")}
    assert on_disk - named == set(), "page files that no navigation entry opens"
    assert len(named) == len(PAGES), "a page is named twice in the navigation"


def test_each_role_sees_the_pages_of_the_roles_below_it():
    assert {p.file for p in pages_for("analyst")} < {p.file for p in pages_for("moderator")}
    assert {p.file for p in pages_for("admin")} == {p.file for p in PAGES}


@pytest.fixture(scope="module")
def root(golden):
    return golden


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.file)
def test_every_page_runs_for_its_role(spec, root, monkeypatch):
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(REPO_ROOT / spec.file), default_timeout=90)
    sign_in_apptest(at, root, Principal(f"nav_{spec.role}", spec.role))
    at.run()
    assert not at.exception, (spec.file, at.exception)
    assert at.title and at.title[0].value == spec.title


@pytest.mark.parametrize("spec", [p for p in PAGES if p.role != "analyst"], ids=lambda p: p.file)
def test_every_page_refuses_the_role_below_its_own(spec, root, monkeypatch):
    """Opened by URL as the role just below its own, a page says no and shows nothing else."""
    below = ROLES[ROLES.index(spec.role) - 1]
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(REPO_ROOT / spec.file), default_timeout=90)
    sign_in_apptest(at, root, Principal(f"nav_{below}", below))
    at.run()
    assert [e.value for e in at.error] == [
        f"Refused: this page needs the {spec.role} role; you are signed in as {below}."
    ]
    assert not at.dataframe and not at.get("form") and not at.button
