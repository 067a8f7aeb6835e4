"""Keeping the published warehouse in step with the loaded events: what is stale, and the rebuild.

`trustdesk rebuild` (and `build`) and the admin's button in the dashboard's data box both call
`rebuild_marts`, so there is one way to rebuild.
"""

from __future__ import annotations

from pathlib import Path

from etl import store
from etl.build import Engine, build_warehouse
from etl.ingest.load import ensure_schema
from trustdesk.accounts import auth
from trustdesk.data import status


def rebuild_marts(root: Path, engine: Engine | None = None, full: bool = True) -> dict:
    """Build the marts into a new warehouse and publish it: from every loaded event (`full`), else
    incrementally from the published one where it can (its meta's `build` and `build_reason` say
    which). `engine` (see etl.build.Engine) builds the models, DuckDB's by default."""
    with store.load_lock(root):
        con = store.connect_ingest(root)
        try:
            ensure_schema(con)
            return build_warehouse(root, con, force=full, engine=engine)
        finally:
            con.close()


def data_warnings(root: Path) -> list[str]:
    """Why the dashboard's data may be behind the loaded events, in sentences for every page."""
    said = []
    for warning in status.describe(root)["warnings"]:
        text = warning.split(";")[0]
        said.append(f"The dashboard shows older data: {text}.")
    return said


def rebuild(root: Path, viewer: auth.Principal) -> dict:
    auth.require(viewer, "admin", "rebuild the warehouse")
    return rebuild_marts(root)
