"""Calico's hashed start block for many hosts at once: Go's ``hash/fnv`` FNV-1, ``math/rand``
``rngSource.Seed``/``Uint64`` and ``big.Int.Rand`` for a bound below 2**62 (one 64-bit word),
bit for bit as :mod:`fastroute.model.gorand` spells them out in Python (Go's
``src/math/rand/rng.go``; libcalico-go ``ipam_block_reader_writer.go``, ``randomBlockGenerator``).
"""

from libc.stdint cimport int64_t, uint32_t, uint64_t

DEF LEN = 607
DEF TAP = 273
cdef int64_t M31 = 2147483647
cdef uint64_t M63 = 0x7FFFFFFFFFFFFFFF


cdef inline int64_t _seedrand(int64_t x) noexcept nogil:
    # Park-Miller x -> 48271 x mod (2^31 - 1) by Schrage's method, as Go does it (x >= 0)
    cdef int64_t hi = x // 44488
    cdef int64_t lo = x - hi * 44488
    x = 48271 * lo - 3399 * hi
    return x + M31 if x < 0 else x


def fnv1_32_many(hosts):
    """FNV-1 32-bit hash of each host's UTF-8 bytes (list of int)."""
    cdef uint32_t h
    cdef bytes raw
    cdef const unsigned char[:] data
    cdef Py_ssize_t i
    out = []
    for host in hosts:
        raw = host.encode()
        data = raw
        h = 2166136261u
        for i in range(data.shape[0]):
            h = (h * 16777619u) ^ data[i]
        out.append(h)
    return out


def start_indices(const int64_t[::1] seeds, const uint64_t[::1] cooked, uint64_t n_blocks, int64_t[::1] out):
    """``out[h]`` = ``big.Int.Rand(n_blocks)`` of the Go source seeded with ``seeds[h]`` (``0 < n_blocks <= 2**62``)."""
    cdef uint64_t vec[LEN]
    cdef uint64_t u, w, lo, mask
    cdef int64_t x
    cdef Py_ssize_t h, i
    cdef int tap, feed, bits = 0, half
    while (n_blocks >> bits) != 0:
        bits += 1
    mask = (<uint64_t>1 << bits) - 1
    with nogil:
        for h in range(seeds.shape[0]):
            x = seeds[h] % M31
            if x < 0:
                x += M31
            if x == 0:
                x = 89482311
            for i in range(20):
                x = _seedrand(x)
            for i in range(LEN):
                x = _seedrand(x)
                u = (<uint64_t>x) << 40
                x = _seedrand(x)
                u ^= (<uint64_t>x) << 20
                x = _seedrand(x)
                u ^= <uint64_t>x
                vec[i] = u ^ cooked[i]
            tap, feed = 0, LEN - TAP
            while True:
                w = 0
                for half in range(2):      # a 64-bit word from two Uint32 draws, low half first
                    tap = tap - 1 if tap else LEN - 1
                    feed = feed - 1 if feed else LEN - 1
                    u = vec[feed] + vec[tap]
                    vec[feed] = u
                    lo = (u & M63) >> 31
                    w |= lo << (32 * half)
                w &= mask
                if w < n_blocks:
                    break
            out[h] = <int64_t>w
