"""Reproducible randomness: seeded generators, hashes that are pure functions of their inputs, and
vectorised draws. Every draw comes from `PCG64` seeded with (seed, purpose, index)."""

from __future__ import annotations

import zlib

import numpy as np


def make_rng(seed: int, purpose: str, index: int = 0) -> np.random.Generator:
    entropy = [int(seed) % (1 << 64), zlib.crc32(purpose.encode()), int(index)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def hash01(a: np.ndarray, b: np.ndarray, salt: int) -> np.ndarray:
    """A uniform [0, 1) value that is a pure function of (a, b, salt): splitmix64 finaliser."""
    with np.errstate(over="ignore"):
        x = a.astype(np.uint64) * _GOLD + b.astype(np.uint64) * _M2 + np.uint64(salt & 0xFFFFFFFF)
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


_PRIMES: list[int] = []


def big_primes() -> list[int]:
    """64 primes just below 2**31: strides of the slot permutations (coprime with any pool size)."""
    if not _PRIMES:
        limit = 46_341
        sieve = np.ones(limit + 1, dtype=bool)
        sieve[:2] = False
        for i in range(2, int(limit**0.5) + 1):
            if sieve[i]:
                sieve[i * i :: i] = False
        small = np.flatnonzero(sieve)
        n = (1 << 31) - 1
        while len(_PRIMES) < 64:
            if n % 2 and not np.any(n % small[small < n] == 0):
                _PRIMES.append(n)
            n -= 2
    return _PRIMES


def pick(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw: cum is (n, k) cumulative probabilities, u is (n,) uniforms."""
    return (u[:, None] >= cum[:, :-1]).sum(axis=1)


def alloc(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Integers >= minimum summing to about total, proportional to weights (largest remainder)."""
    raw = weights / weights.sum() * total
    out = np.maximum(np.floor(raw).astype(np.int64), minimum)
    rest = total - out.sum()
    if rest > 0:
        order = np.argsort(-(raw - np.floor(raw)), kind="stable")
        out[order[:rest]] += 1
    return out
