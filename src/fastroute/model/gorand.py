"""Go's ``math/rand`` source, ``big.Int.Rand`` and ``hash/fnv`` FNV-1, bit for bit.

Calico picks the first block it tries for a host by seeding Go's ``math/rand``
with the FNV-1 32-bit hash of the hostname and drawing a uniform block index
with ``big.Int.Rand`` (``randomBlockGenerator`` in libcalico-go's
``ipam_block_reader_writer.go``).  Reproducing Calico's block placement
therefore needs Go's generator exactly, not just "a" generator:

* ``rngSource.Seed``: Park-Miller (48271, 2**31-1) warm-up of 20 steps, then
  607 slots of three steps each, XORed with the ``rngCooked`` constants that
  ship in ``fastroute/data/rng_cooked.txt`` (Go's ``src/math/rand/rng.go``).
* ``Uint64``: additive lagged Fibonacci step, lags 607 and 273.
* ``Uint32`` = ``Int63 >> 31``; ``big.Int.Rand`` on a 64-bit platform fills
  each 64-bit word with two ``Uint32`` draws (low half first), masks the top
  word to the bit length of ``n`` and redraws until the value is below ``n``.

:func:`start_indices` is the vectorised form used for thousands of hosts: it
seeds all generators at once with numpy and only reads the slots the first
draws touch.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import numpy as np

from ..errors import InvalidValueError, PackageDataError

__all__ = ["GoRand", "fnv1_32", "start_index", "start_indices", "cooked"]

_LEN = 607
_TAP = 273
_M31 = (1 << 31) - 1
_M63 = (1 << 63) - 1
_M64 = (1 << 64) - 1


@lru_cache(maxsize=1)
def cooked():
    """Go's ``rngCooked`` table as a read-only ndarray of uint64, shape (607,)."""
    text = resources.files("fastroute").joinpath("data/rng_cooked.txt").read_text()
    lines = (line.strip() for line in text.splitlines())
    vals = [int(line) for line in lines if line and not line.startswith("#")]
    if len(vals) != _LEN:  # pragma: no cover - a broken package install
        raise PackageDataError(f"rng_cooked.txt holds {len(vals)} values, expected {_LEN}")
    arr = np.array([v & _M64 for v in vals], dtype=np.uint64)
    arr.flags.writeable = False
    return arr


def fnv1_32(text: str) -> int:
    """FNV-1 32-bit hash (Go ``hash/fnv.New32``) of the UTF-8 bytes of ``text``.

    FNV-1 multiplies by the prime first and XORs the byte second (FNV-1a is the
    other way round).

    Examples
    --------
    >>> fnv1_32("node-1")
    568266919
    """
    h = 2166136261
    for b in text.encode():
        h = ((h * 16777619) & 0xFFFFFFFF) ^ b
    return h


def _seedrand(x):
    # Park-Miller x -> 48271 x mod (2^31 - 1) by Schrage's method, as Go does it.
    hi, lo = divmod(x, 44488)
    x = 48271 * lo - 3399 * hi
    return x + _M31 if x < 0 else x


class GoRand:
    """Go ``rand.New(rand.NewSource(seed))``: the draws fastroute needs from it.

    Parameters
    ----------
    seed : int
        Any int64; reduced modulo 2**31-1 the way Go does.

    Examples
    --------
    >>> r = GoRand(1)
    >>> r.int63()
    5577006791947779410
    """

    __slots__ = ("_vec", "_tap", "_feed")

    def __init__(self, seed: int) -> None:
        table = cooked()
        seed %= _M31  # Python's % already gives the non-negative remainder Go adds _M for
        if seed == 0:
            seed = 89482311
        x = seed
        vec = [0] * _LEN
        for i in range(-20, _LEN):
            x = _seedrand(x)
            if i >= 0:
                u = (x << 40) & _M64
                x = _seedrand(x)
                u ^= (x << 20) & _M64
                x = _seedrand(x)
                u ^= x
                vec[i] = u ^ int(table[i])
        self._vec = vec
        self._tap = 0
        self._feed = _LEN - _TAP

    def uint64(self):
        """Next 64-bit value (Go ``Uint64``)."""
        self._tap = self._tap - 1 if self._tap else _LEN - 1
        self._feed = self._feed - 1 if self._feed else _LEN - 1
        x = (self._vec[self._feed] + self._vec[self._tap]) & _M64
        self._vec[self._feed] = x
        return x

    def int63(self):
        """Next non-negative 63-bit value (Go ``Int63``)."""
        return self.uint64() & _M63

    def uint32(self):
        """Next 32-bit value (Go ``Uint32`` = ``Int63 >> 31``)."""
        return self.int63() >> 31

    def big_rand(self, n):
        """Uniform integer in ``[0, n)`` drawn exactly as Go's ``big.Int.Rand`` (64-bit words)."""
        if n <= 0:
            raise InvalidValueError(f"big_rand bound must be positive, got {n!r}")
        bits = n.bit_length()
        words = (bits + 63) // 64
        top_mask = (1 << (bits % 64 or 64)) - 1
        while True:
            z = 0
            for k in range(words):
                w = self.uint32()
                w |= self.uint32() << 32
                if k == words - 1:
                    w &= top_mask
                z |= w << (64 * k)
            if z < n:
                return z


def start_index(host: str, n_blocks: int) -> int:
    """Index of the first block Calico's ``randomBlockGenerator`` tries for ``host``.

    Parameters
    ----------
    host : str
        Node name (Calico's hostname).
    n_blocks : int
        Number of blocks in the pool, ``2 ** (blockSize - prefixLength)``.

    Examples
    --------
    >>> start_index("master", 1024)   # 10.244.0.0/16, /26 blocks -> 10.244.219.64/26
    877
    """
    return GoRand(fnv1_32(host)).big_rand(int(n_blocks))


def _seed_vec(seeds):
    """Seed one Go source per entry of ``seeds``; returns uint64 state, shape (n, 607)."""
    x = np.asarray(seeds, dtype=np.int64) % _M31
    x[x == 0] = 89482311

    def step(x):
        hi = x // 44488
        lo = x - hi * 44488
        x = 48271 * lo - 3399 * hi
        return np.where(x < 0, x + _M31, x)

    for _ in range(20):
        x = step(x)
    n = x.shape[0]
    vec = np.empty((n, _LEN), dtype=np.uint64)
    table = cooked()
    for i in range(_LEN):
        x = step(x)
        u = x.astype(np.uint64) << np.uint64(40)
        x = step(x)
        u ^= x.astype(np.uint64) << np.uint64(20)
        x = step(x)
        u ^= x.astype(np.uint64)
        vec[:, i] = u ^ table[i]
    return vec


def start_indices(hosts: Sequence[str], n_blocks: int) -> np.ndarray:
    """:func:`start_index` for many hosts at once; ndarray of int64, shape (n_hosts,).

    Vectorised over hosts with numpy.  Bounds above 2**62 blocks (IPv6 pools
    wider than /60 with /122 blocks, say) fall back to the scalar generator.
    """
    n_blocks = int(n_blocks)
    hosts = list(hosts)
    if not hosts:
        return np.empty(0, dtype=np.int64)
    if n_blocks > (1 << 62):
        return np.array([start_index(h, n_blocks) for h in hosts], dtype=object)
    if n_blocks == 1:
        return np.zeros(len(hosts), dtype=np.int64)
    seeds = np.array([fnv1_32(h) for h in hosts], dtype=np.int64)
    vec = _seed_vec(seeds)
    bits = n_blocks.bit_length()
    mask = np.uint64((1 << bits) - 1)
    out = np.full(len(hosts), -1, dtype=np.int64)
    pending = np.arange(len(hosts))
    # Draw k (1-based) adds slots 334-k and 607-k; for k <= 273 neither slot has
    # been written yet, so each draw is a sum of two seeded slots.
    k = 0
    while pending.size and k + 2 <= _TAP:
        lo = vec[pending, _LEN - _TAP - (k + 1)] + vec[pending, _LEN - (k + 1)]
        hi = vec[pending, _LEN - _TAP - (k + 2)] + vec[pending, _LEN - (k + 2)]
        lo = (lo & np.uint64(_M63)) >> np.uint64(31)
        hi = (hi & np.uint64(_M63)) >> np.uint64(31)
        z = (lo | (hi << np.uint64(32))) & mask
        ok = z < np.uint64(n_blocks)
        out[pending[ok]] = z[ok].astype(np.int64)
        pending = pending[~ok]
        k += 2
    for i in pending:  # astronomically unlikely: > 136 rejections in a row
        out[i] = start_index(hosts[i], n_blocks)
    return out
