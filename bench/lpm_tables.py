"""Seeded LPM benchmark tables and address sets (shared by bench/test_lpm.py and reports)."""

import numpy as np

N_ADDRS = 1_000_000


def _mask(nets, lens):
    shift = (32 - lens.astype(np.uint64))
    return (nets.astype(np.uint64) >> shift << shift).astype(np.uint32)


def calico_table(seed=0, n_blocks=5000):
    """Calico-like: 5,000 /26 blocks + 2% /32 host routes + a few /16 + a default route."""
    rng = np.random.default_rng(seed)
    # distinct /26 blocks in a /12 pool (10.240.0.0/12 holds 16,384 of them)
    idx = rng.choice(1 << 14, size=n_blocks, replace=False).astype(np.uint32)
    blocks = np.uint32(0x0AF00000) + (idx << np.uint32(6))
    host_blocks = rng.choice(blocks, size=n_blocks // 50, replace=False)
    hosts = host_blocks + rng.integers(1, 63, size=len(host_blocks)).astype(np.uint32)
    sixteens = np.array([0x0AF00000, 0xAC110000, 0xC0A80000, 0x0A000000], dtype=np.uint32)
    nets = np.concatenate([blocks, hosts, sixteens, np.array([0], np.uint32)])
    lens = np.concatenate([np.full(len(blocks), 26), np.full(len(hosts), 32),
                           np.full(len(sixteens), 16), [0]]).astype(np.uint8)
    return nets, lens, np.arange(len(nets), dtype=np.int64)


def _distinct(gen, n, seed):
    """n distinct prefixes from a generator that may repeat some (draws 60% extra)."""
    nets, lens = gen(int(n * 1.6) + 100, np.random.default_rng(seed))
    key = nets.reshape(len(lens), -1)
    _, first = np.unique(np.column_stack([key, lens]), axis=0, return_index=True)
    first = np.sort(first)[:n]
    if len(first) < n:
        raise ValueError("generator produced too few distinct prefixes")
    vals = np.random.default_rng(seed + 1).integers(0, 1 << 16, size=n, dtype=np.int64)
    return nets[first], lens[first], vals


def realistic_table(n, seed=0):
    """n distinct BGP-like IPv4 prefixes: ~60% /24, ~33% /16-/23, ~1% shorter, ~6% /32,
    clustered in unicast space."""
    return _distinct(_gen4, n, seed)


def realistic_table6(n, seed=0):
    """n distinct BGP-like IPv6 prefixes in 2000::/3: ~50% /48, ~35% /32-/44, a few
    /29-/31, /56, /64 and /128."""
    return _distinct(_gen6, n, seed)


def _gen4(n, rng):
    lens = rng.choice(
        [8, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 32],
        size=n,
        p=[.0005, .001, .002, .002, .0025, .002, .03, .01, .02, .04, .05, .06, .09, .03, .60, .0600],
    ).astype(np.uint8)
    # cluster prefixes in a few thousand /12-ish regions, as real allocations are
    regions = rng.integers(0x01000000, 0xDF000000, size=max(64, n // 400), dtype=np.uint64)
    base = rng.choice(regions, size=n) + rng.integers(0, 1 << 20, size=n, dtype=np.uint64)
    return _mask(base.astype(np.uint32), lens), lens


def _gen6(n, rng):
    lens = rng.choice([29, 32, 36, 40, 44, 48, 56, 64, 128], size=n,
                      p=[.01, .15, .06, .08, .06, .50, .05, .06, .03]).astype(np.int64)
    regions = (np.uint64(0x2000) << np.uint64(48)) + rng.integers(0, 1 << 44, size=max(64, n // 200),
                                                                   dtype=np.uint64)
    hi = rng.choice(regions, size=n) + rng.integers(0, 1 << 28, size=n, dtype=np.uint64)
    lo = rng.integers(0, 2**63, size=n, dtype=np.uint64)
    hmask = np.where(lens >= 64, np.uint64(2**64 - 1),
                     ~((np.uint64(1) << (np.uint64(64) - lens.clip(0, 63).astype(np.uint64))) - np.uint64(1)))
    lshift = (128 - lens).clip(0, 64).astype(np.uint64)
    lmask = np.where(lens <= 64, np.uint64(0),
                     ~((np.uint64(1) << lshift.clip(0, 63)) - np.uint64(1)))
    return np.stack([hi & hmask, lo & lmask], axis=1), lens.astype(np.uint8)


def addresses(nets, lens, n=N_ADDRS, seed=1):
    """n addresses: half inside a stored prefix of length >= 16 (or any, if none), half uniform."""
    rng = np.random.default_rng(seed)
    pick = np.flatnonzero(lens >= 16) if (lens >= 16).any() else np.arange(len(lens))
    k = n // 2
    if nets.ndim == 1:
        which = rng.choice(pick, size=k)
        span = (np.uint64(1) << (32 - lens[which].astype(np.uint64)))
        inside = (nets[which].astype(np.uint64) + rng.integers(0, 2**32, size=k, dtype=np.uint64) % span)
        uniform = rng.integers(0, 2**32, size=n - k, dtype=np.uint64)
        out = np.concatenate([inside, uniform]).astype(np.uint32)
        return out[rng.permutation(n)]
    which = rng.choice(pick, size=k)
    inside = nets[which].copy()
    ln = lens[which].astype(np.int64)
    noise_lo = rng.integers(0, 2**63, size=k, dtype=np.uint64)
    noise_hi = rng.integers(0, 2**63, size=k, dtype=np.uint64)
    hmask = np.where(ln >= 64, np.uint64(0),
                     (np.uint64(1) << (np.uint64(64) - ln.clip(0, 63).astype(np.uint64))) - np.uint64(1))
    lmask = np.where(ln <= 64, np.uint64(2**64 - 1),
                     (np.uint64(1) << (128 - ln).clip(0, 63).astype(np.uint64)) - np.uint64(1))
    inside[:, 0] |= noise_hi & hmask
    inside[:, 1] |= noise_lo & lmask
    uniform = np.stack([(np.uint64(0x2000) << np.uint64(48)) | rng.integers(0, 2**61, size=n - k, dtype=np.uint64),
                        rng.integers(0, 2**63, size=n - k, dtype=np.uint64)], axis=1)
    out = np.concatenate([inside, uniform])
    return out[rng.permutation(n)]


def prefix_strings(nets, lens):
    from fastroute.addr import format_prefixes
    return format_prefixes(nets, lens)
