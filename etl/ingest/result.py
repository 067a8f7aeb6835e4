"""What a load says about each file (`trustdesk load`'s summary, its JSON, the Upload page)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class FileResult:
    file: str
    kind: str | None
    status: str  # loaded | partial | rejected
    rows_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    error: str | None = None
    load_id: int | None = None
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    # Every reason group: (reason without values, rows, the first REASON_LINES lines)
    reasons: list[tuple[str, int, list[int]]] = field(default_factory=list)
    # Rows that name a business (a campaign, for ad events) that no loaded file defines, and how
    # many such ids; counted after the whole batch, so that a later file of the batch counts.
    undefined_rows: int = 0
    undefined_ids: int = 0
    undefined_entity: str | None = None  # business | campaign
    note: str | None = None  # why a file was skipped
    unknown_columns: list[str] = field(default_factory=list)
    already_loaded: str | None = None
    sha256: str | None = None
    duration_s: float = 0.0
    # A foreign file (etl/formats): the format it was read as, what it held and became, what was
    # not used, and one result per kind it was converted into (`kind` is then the format's name).
    source: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    unused: dict[str, int] = field(default_factory=dict)
    conversion: list[str] = field(default_factory=list)
    parts: list[FileResult] = field(default_factory=list)

    def as_json(self) -> dict:
        d = asdict(self)
        d["parts"] = [p.as_json() for p in self.parts]
        # docs/cli.md: what a reader did not use is counted (`ignored`) and named (`unused`).
        d["ignored"] = sum(self.unused.values())
        d["top_reasons"] = [{"reason": r, "rows": n} for r, n in self.top_reasons]
        d["reasons"] = [{"reason": r, "rows": n, "lines": lines} for r, n, lines in self.reasons]
        return d


def exit_code(results: list[FileResult]) -> int:
    if any(r.status == "rejected" for r in results):
        return 2
    if any(r.quarantined for r in results):
        return 1
    return 0
