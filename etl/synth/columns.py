"""Output columns without a Python loop per row: ids and timestamps as fixed-width ASCII byte
matrices, low-cardinality columns gathered from polars Enums, text fields quoted once."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa


def fixed_width(matrix: np.ndarray, name: str) -> pl.Series:
    """A String series from an (n, width) uint8 matrix of ASCII, without a Python loop."""
    n, w = matrix.shape
    data = np.ascontiguousarray(matrix).reshape(-1)
    offsets = np.arange(0, n * w + 1, w, dtype=np.int32)
    arr = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    return pl.Series(name, arr)


DIGITS4 = (np.arange(10_000)[:, None] // np.array([1000, 100, 10, 1]) % 10 + 48).astype(np.uint8)
_DIGITS4_U32 = DIGITS4.copy().view(np.uint32).reshape(-1)  # the same four bytes as one word


def id_matrix(prefix: str, values: np.ndarray, width: int) -> np.ndarray:
    """prefix + zero-padded decimal of values (int64 >= 0) as an (n, len(prefix) + width) matrix."""
    p = len(prefix)
    n = len(values)
    groups = -(-width // 4)
    words = np.empty((n, groups), dtype=np.uint32)
    v = values.astype(np.int64)
    for g in range(groups - 1, -1, -1):
        v, r = np.divmod(v, 10_000)
        words[:, g] = _DIGITS4_U32[r]
    out = np.empty((n, p + width), dtype=np.uint8)
    out[:, p:] = words.view(np.uint8)[:, groups * 4 - width :]
    if p:
        out[:, :p] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    return out


def id_series(name: str, prefix: str, values: np.ndarray, width: int) -> pl.Series:
    return fixed_width(id_matrix(prefix, values, width), name)


def enum_source(values: tuple[str, ...] | list[str], with_null: bool = True) -> pl.Series:
    """A series holding each value once (plus a trailing null): gathering from it builds a column."""
    items = list(values) + ([None] if with_null else [])
    return pl.Series(items, dtype=pl.Enum(list(values)))


def csv_field(value: str) -> str:
    """value as an RFC 4180 field: quoted (quotes doubled) when it holds a comma, quote or newline."""
    if any(ch in value for ch in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def gather(source: pl.Series, idx: np.ndarray, name: str) -> pl.Series:
    return source.gather(pl.Series(idx.astype(np.uint32))).alias(name)
