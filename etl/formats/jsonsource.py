"""The JSON values of a file, each with its place, in the three shapes archives come in:

- one value per line (`.jsonl` / `.ndjson`, what a webhook archive or the inbox holds): the place
  is "line N", and a line that is not JSON is quarantined while the others load;
- one JSON array of values: "body N";
- one value, or several written one after another (pretty-printed bodies appended to a file):
  "body N (line L)".

The shape is told from the content: values one per line when one of the first lines is a whole
JSON object on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from etl.formats.base import UnreadableFile, clip, decode_text, read_bytes

_decoder = json.JSONDecoder()
_WS = " \t\r\n"


@dataclass
class NotJSON:
    raw: str
    problem: str


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _one_object_per_line(text: str) -> bool:
    seen = 0
    for line in text.split("\n", 64)[:64]:
        s = line.strip()
        if not s:
            continue
        seen += 1
        if s[0] == "{" and s[-1] == "}":
            try:
                json.loads(s)
                return True
            except ValueError:
                pass
        if seen >= 5:
            return False
    return False


def file_values(path: Path, max_bytes: int | None = None) -> Iterator[tuple[str, object]]:
    """`iter_values` of a file (plain or gzip); the file is read, and refused if it is no text, at the call."""
    name = path.name
    return iter_values(name, decode_text(name, read_bytes(path, max_bytes)))


def iter_values(name: str, text: str) -> Iterator[tuple[str, object]]:
    """(place, value) for every JSON value; value is a `NotJSON` for a line that is not JSON.
    Raises `UnreadableFile` when the file is not JSON at all."""
    s = text.lstrip(_WS)
    if not s:
        raise UnreadableFile(f"{name}: is empty")
    if s[0] not in "{[":
        line = text[: len(text) - len(s)].count("\n") + 1
        raise UnreadableFile(f"{name}: line {line:,} does not start a JSON value (it starts with {s[:20]!r})")
    if s[0] == "{" and _one_object_per_line(text):
        yield from _lines(text)
        return
    yield from _document(name, text)


def _lines(text: str) -> Iterator[tuple[str, object]]:
    loads = json.loads
    for i, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            yield f"line {i}", loads(line)
        except ValueError as exc:
            yield f"line {i}", NotJSON(clip(line.rstrip("\r")), f"is not JSON ({_reason(exc)})")


def _reason(exc: ValueError) -> str:
    msg = getattr(exc, "msg", None) or str(exc)
    pos = getattr(exc, "colno", None)
    return f"{msg} at column {pos}" if pos else msg


def _document(name: str, text: str) -> Iterator[tuple[str, object]]:
    pos, n, count = 0, len(text), 0
    array = text.lstrip(_WS).startswith("[")
    while True:
        while pos < n and text[pos] in _WS:
            pos += 1
        if pos >= n:
            return
        try:
            value, end = _decoder.raw_decode(text, pos)
        except ValueError as exc:
            line, col = _line_col(text, getattr(exc, "pos", pos))
            problem = f"is not JSON ({getattr(exc, 'msg', exc)} at line {line:,}, column {col:,})"
            if count == 0:
                raise UnreadableFile(f"{name}: {problem}") from exc
            # Nothing after a broken value can be found again with certainty: the rest is kept
            # as one quarantined item, the values before it load.
            at, _ = _line_col(text, pos)
            yield f"line {at}", NotJSON(clip(text[pos:]), f"from line {at:,} on {problem}")
            return
        count += 1
        if array and count == 1 and isinstance(value, list):
            for i, item in enumerate(value, 1):
                yield f"body {i}", item
            array = False
        else:
            line, _ = _line_col(text, pos)
            yield (f"body {count}" if line == 1 and count == 1 else f"body {count} (line {line})"), value
        pos = end


def first_value(text: str):
    """The first JSON value of a file's beginning, the first element for an array; None when the
    beginning holds no whole value (a large first body) or is not JSON."""
    s = text.lstrip(_WS)
    if not s or s[0] not in "{[":
        return None
    if s[0] == "[":
        inner = s[1:].lstrip(_WS)
        if not inner or inner[0] == "]":
            return None
        s = inner
    line = s.split("\n", 1)[0].strip()
    if line.startswith("{") and line.endswith("}"):
        try:
            return json.loads(line)
        except ValueError:
            pass
    try:
        return _decoder.raw_decode(s)[0]
    except ValueError:
        return None
