"""The moderation audit log: one append-only table every moderation act writes a line to (cases,
policies, deliveries, exports), declared here once, so whichever of them opens the store first
finds it. A line once written is never changed or removed (appdb's triggers, in SQLite and PostgreSQL)."""

from __future__ import annotations

from trustdesk import appdb

appdb.register_schema(
    """
CREATE TABLE IF NOT EXISTS moderation_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    case_id INTEGER,
    business_id TEXT,
    event TEXT NOT NULL,
    detail TEXT
);
""",
    append_only=("moderation_audit",),
)


def record(
    con, at: str, actor: str, event: str, case_id: int | None = None, business_id: str | None = None, detail: str = ""
) -> None:
    """One line, inside the caller's transaction; `actor` is a person's name or 'system'."""
    con.execute(
        "INSERT INTO moderation_audit (at, actor, case_id, business_id, event, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (at, actor, case_id, business_id, event, detail),
    )
