"""Updates cost what they change: one prefix into a slot holding 10^5 others
rebuilds a path, not the slot's whole subtree."""

import numpy as np

from fastroute import Fib


def _shared_slot_table(n=100_000, seed=6):
    # a single IPv6 pool: every prefix under 2001:db8::/32, so all in one top-16-bit slot
    rng = np.random.default_rng(seed)
    hi = np.uint64(0x2001_0DB8_0000_0000) | (rng.integers(0, 2**32, n, dtype=np.uint64) << np.uint64(0))
    nets = np.stack([hi, np.zeros(n, np.uint64)], axis=1)
    return Fib.from_arrays(nets, np.full(n, 64), np.arange(n))


def test_one_insert_into_a_crowded_slot_rebuilds_only_its_path():
    fib = _shared_slot_table()
    before = fib.stats()
    fib[(0x2001_0DB8_1234_5678 << 64, 64)] = 7
    fib[(0x2001_0DB8_0000_0001 << 64 | 5, 128)] = 8
    assert fib.lookup((0x2001_0DB8_1234_5678 << 64) | 1) == 7
    assert fib.lookup((0x2001_0DB8_0000_0001 << 64) | 5) == 8
    after = fib.stats()
    # a path is at most 19 nodes deep with 64 children each; the slot has ~10^5 nodes
    assert after["nodes"] - before["nodes"] < 19 * 64 * 2
    assert after["leaves"] - before["leaves"] < 19 * 64 * 2
    del fib[(0x2001_0DB8_1234_5678 << 64, 64)]
    assert fib.lookup((0x2001_0DB8_1234_5678 << 64) | 1) == fib.copy().lookup((0x2001_0DB8_1234_5678 << 64) | 1)
    fresh = fib.copy().stats()
    assert (fib.stats()["live_nodes"], fib.stats()["live_leaves"]) == (fresh["live_nodes"], fresh["live_leaves"])


def test_a_covering_prefix_inside_a_crowded_slot_still_reaches_every_leaf_below():
    fib = _shared_slot_table(20_000)
    addrs = np.array([[0x2001_0DB8_0000_0000 | i, 1] for i in range(0, 2**32, 2**32 // 997)], np.uint64)
    fib[(0x2001_0DB8_0000_0000 << 64, 33)] = 99      # covers half the pool's /64s
    want = fib.copy().lookup_batch(addrs)
    assert np.array_equal(fib.lookup_batch(addrs), want)
    del fib[(0x2001_0DB8_0000_0000 << 64, 33)]
    assert np.array_equal(fib.lookup_batch(addrs), fib.copy().lookup_batch(addrs))
