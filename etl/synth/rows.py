"""Message rows of a time slice as column arrays, the chunk a slice hands to the writer, and the
array helpers that order and expand rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl


def time_order(t: np.ndarray) -> np.ndarray:
    """Stable argsort of non-negative second counts below 2**32: two 16-bit radix passes."""
    order = np.argsort((t & 0xFFFF).astype(np.uint16), kind="stable")
    return order[np.argsort((t[order] >> 16).astype(np.uint16), kind="stable")]


def seg_positions(counts: np.ndarray) -> np.ndarray:
    """0..n-1 inside each segment of the given lengths, concatenated."""
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total) - np.repeat(starts, counts)


@dataclass
class Rows:
    """Message rows as column arrays (t in seconds since the period start)."""

    t: np.ndarray
    b: np.ndarray
    u: np.ndarray
    d: np.ndarray
    cat: np.ndarray
    tpl: np.ndarray
    st: np.ndarray
    txt: np.ndarray
    src: np.ndarray

    _DTYPES = {
        "t": np.int64,
        "b": np.int32,
        "u": np.int32,
        "d": np.int8,
        "cat": np.int8,
        "tpl": np.int32,
        "st": np.int8,
        "txt": np.int32,
        "src": np.int32,
    }

    def __post_init__(self) -> None:
        for f, dtype in self._DTYPES.items():
            setattr(self, f, np.asarray(getattr(self, f), dtype=dtype))

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        return Rows(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("t", "b", "u", "d", "cat", "tpl", "st", "txt", "src")
            )
        )

    def take(self, idx: np.ndarray) -> Rows:
        return Rows(*(getattr(self, f)[idx] for f in ("t", "b", "u", "d", "cat", "tpl", "st", "txt", "src")))


# per file: the number of rows, and a function that formats them. The random draws and the ids are
# fixed when the chunk is made; formatting and writing run in the writer thread.
Chunk = dict[str, tuple[int, Callable[[], pl.DataFrame]]]
