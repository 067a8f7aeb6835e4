"""The layout's rules, checked with the tests: the import contracts of pyproject.toml hold, pages
call the read side only, and no module hides an import inside a function without saying why."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from etl.settings import REPO_ROOT

PAGES = sorted((REPO_ROOT / "pages").rglob("*.py"))
# What a page may import: Streamlit and Altair to draw, the read side, and the standard library.
PAGE_MAY_IMPORT = {
    "streamlit",
    "altair",
    "trustdesk",
    "__future__",
    "datetime",
    "dataclasses",
    "typing",
    "math",
    "json",
    "io",
    "pathlib",
    "time",
    "decimal",
    "functools",
}


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(top-level module, line, inside a function) of every import in the file."""
    found = []

    def visit(node, in_function: bool):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((a.name.split(".")[0], child.lineno, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0:
                found.append((child.module.split(".")[0], child.lineno, in_function))
            visit(child, nested)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    res = subprocess.run([str(lint_imports), "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 broken" in res.stdout


def test_pages_call_the_read_side_only():
    assert PAGES, "no pages found"
    wrong = [
        f"{p.relative_to(REPO_ROOT)}:{line} imports {module}"
        for p in PAGES
        for module, line, _ in _imports(p)
        if module not in PAGE_MAY_IMPORT
    ]
    assert not wrong, wrong


def test_imports_are_at_the_top_of_modules():
    """An import inside a function hides a dependency (and once hid an import cycle). The few that
    stay have a measured reason, written on the line before them."""
    modules = [
        *REPO_ROOT.joinpath("etl").rglob("*.py"),
        *REPO_ROOT.joinpath("trustdesk").rglob("*.py"),
        *PAGES,
        REPO_ROOT / "app.py",
    ]
    hidden = []
    for path in modules:
        if "_site" in path.parts:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for module, line, in_function in _imports(path):
            if in_function and "import inside" not in " ".join(lines[max(line - 3, 0) : line - 1]).lower():
                hidden.append(f"{path.relative_to(REPO_ROOT)}:{line} {module}")
    assert not hidden, hidden
