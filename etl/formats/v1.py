"""Log format v1 itself (docs/log-format.md): nothing to convert, the loader reads it as it is."""

from __future__ import annotations

from pathlib import Path

from etl.contract import KINDS, detect_kind, normalise
from etl.formats.base import Conversion

NAME = "v1"
TITLE = "TrustDesk log format v1 (CSV)"


def header_kind(columns: list[str]) -> str | None:
    kind = detect_kind([normalise(c) for c in columns])
    return kind.name if kind else None


def convert(
    path: Path, out_dir: Path, *, kind: str | None = None, header: list[str] | None = None, **_options
) -> Conversion:
    name = kind or (header_kind(header) if header else None)
    conv = Conversion(file=path.name, source=NAME, passthrough=True)
    if name in KINDS:
        conv.files[name] = path
    conv.notes.append("Log format v1: loaded as it is.")
    return conv
