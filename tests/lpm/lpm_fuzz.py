"""Differential fuzzing of the LPM table: random inserts, deletes and lookups run
against fastroute.Fib, fastroute.compat.PyTricia, pytricia and a brute-force
reference, which must all agree after every operation.

Shared by the short seeded run in tests/lpm/test_differential.py and the long one in
bench/test_lpm_fuzz.py.
"""

import ipaddress
import random

import numpy as np
import pytricia

from fastroute import Fib, _lpm
from fastroute.compat import PyTricia
from fastroute.errors import UnknownPrefixError


class Reference:
    """Longest-prefix match by scanning every stored prefix."""

    def __init__(self, version):
        self.width = 32 if version == 4 else 128
        self.prefixes = {}          # (network int, length) -> value

    def lookup(self, addr):
        """(network, length, value) of the longest stored prefix covering addr, or None."""
        best = None
        w = self.width
        for (net, plen), value in self.prefixes.items():
            if (addr ^ net) >> (w - plen) == 0 and (best is None or plen > best[1]):
                best = (net, plen, value)
        return best


class Fuzzer:
    """One seeded run over one IP version."""

    def __init__(self, version, seed, max_prefixes=96):
        self.version = version
        self.width = w = 32 if version == 4 else 128
        self.rng = random.Random(seed)
        self.max_prefixes = max_prefixes
        self.fib = Fib(version)
        self.compat = PyTricia(w)
        self.pyt = pytricia.PyTricia(w)
        self.ref = Reference(version)
        self.ops = {"insert": 0, "replace": 0, "delete": 0, "delete_missing": 0,
                    "lookup": 0, "batch": 0, "to_arrays": 0}
        # a few anchors so that prefixes nest and share slots
        self.anchors = [self.rng.getrandbits(w) for _ in range(6)] + [0, (1 << w) - 1]
        self.keys = []                                   # stored (net, plen), for picking

    # ------------------------------------------------------------ generators

    def _length(self):
        w = self.width
        r = self.rng.random()
        if r < 0.08:
            return 0
        if r < 0.25:
            return w
        if r < 0.35:
            return self.rng.choice([1, 15, 16, 17, w - 1])
        return self.rng.randint(0, w)

    def _prefix(self):
        w = self.width
        plen = self._length()
        base = self.rng.choice(self.anchors) ^ self.rng.getrandbits(self.rng.randint(0, w))
        mask = ((1 << plen) - 1) << (w - plen)
        return base & mask, plen

    def _address(self):
        w, rng = self.width, self.rng
        r = rng.random()
        if self.keys and r < 0.6:
            net, plen = rng.choice(self.keys)
            size = 1 << (w - plen)
            pick = rng.random()
            if pick < 0.25:
                return net
            if pick < 0.5:
                return (net + size - 1) % (1 << w)           # last address inside
            if pick < 0.6:
                return (net + size) % (1 << w)               # first one after
            if pick < 0.7:
                return (net - 1) % (1 << w)                  # last one before
            return net | rng.getrandbits(w - plen) if plen < w else net
        if r < 0.85:
            return rng.choice(self.anchors) ^ rng.getrandbits(rng.randint(0, w))
        return rng.getrandbits(w)

    def _text(self, addr):
        return str(ipaddress.IPv6Address(addr) if self.version == 6 else ipaddress.IPv4Address(addr))

    def _ptext(self, net, plen):
        return f"{self._text(net)}/{plen}"

    # ------------------------------------------------------------ operations

    def insert(self):
        net, plen = self._prefix()
        value = self.rng.randrange(0, 2**31 - 1)          # 0..MAX_VALUE
        text = self._ptext(net, plen)
        present = (net, plen) in self.ref.prefixes
        key = text if self.rng.random() < 0.5 else (net, plen)
        self.fib[key] = value
        self.compat[text] = value
        self.pyt[text] = value
        self.ref.prefixes[(net, plen)] = value
        if not present:
            self.keys.append((net, plen))
        self.ops["replace" if present else "insert"] += 1

    def delete(self):
        if self.keys and self.rng.random() < 0.85:
            i = self.rng.randrange(len(self.keys))
            net, plen = self.keys[i]
            self.keys[i] = self.keys[-1]
            self.keys.pop()
            text = self._ptext(net, plen)
            del self.fib[text if self.rng.random() < 0.5 else (net, plen)]
            del self.compat[text]
            del self.pyt[text]
            del self.ref.prefixes[(net, plen)]
            self.ops["delete"] += 1
            return
        net, plen = self._prefix()
        if (net, plen) in self.ref.prefixes:
            return
        text = self._ptext(net, plen)
        for table in (self.fib, self.compat, self.pyt):
            try:
                del table[text]
            except KeyError:
                pass
            else:
                raise AssertionError(f"deleting absent {text} from {type(table).__name__} succeeded")
        try:
            self.fib.pop(text)
        except UnknownPrefixError:
            pass
        self.ops["delete_missing"] += 1

    def lookup(self):
        addr = self._address()
        text = self._text(addr)
        best = self.ref.lookup(addr)
        want = None if best is None else best[2]
        got = (self.fib.lookup(text), self.fib.lookup(addr), self.compat.get(text),
               self.pyt.get(text))
        if got != (want,) * 4:
            raise AssertionError(f"lookup {text}: fib/fib(int)/compat/pytricia gave {got}, "
                                 f"the reference {want} ({best})")
        want_prefix = None if best is None else (self._ptext(best[0], best[1]), best[2])
        if self.fib.lookup_prefix(text) != want_prefix:
            raise AssertionError(f"lookup_prefix {text}: {self.fib.lookup_prefix(text)} "
                                 f"!= {want_prefix}")
        if (self.compat.get_key(text) is None) != (best is None):
            raise AssertionError(f"get_key {text}: {self.compat.get_key(text)} vs {best}")
        self.ops["lookup"] += 1

    def batch(self):
        addrs = [self._address() for _ in range(self.rng.randint(1, 40))]
        want = [-1 if b is None else b[2] for b in map(self.ref.lookup, addrs)]
        if self.version == 4:
            arr = np.array(addrs, dtype=np.uint32)
        else:
            arr = np.array([(a >> 64, a & (2**64 - 1)) for a in addrs], dtype=np.uint64).reshape(-1, 2)
        got = self.fib.lookup_batch(arr, n_threads=1).tolist()
        if got != want:
            bad = next(i for i in range(len(want)) if got[i] != want[i])
            raise AssertionError(f"batch lookup of {self._text(addrs[bad])}: {got[bad]} != {want[bad]}")
        self.ops["batch"] += 1

    def check_contents(self):
        nets, lens, vals = self.fib.to_arrays()
        if self.version == 4:
            ints = nets.tolist()
        else:
            ints = [(int(h) << 64) | int(lo) for h, lo in nets.tolist()]
        got = list(zip(ints, lens.tolist(), vals.tolist()))
        want = sorted((n, p, v) for (n, p), v in self.ref.prefixes.items())
        if got != want:
            raise AssertionError(f"to_arrays: {len(got)} rows, reference {len(want)}; "
                                 f"first difference {next((a, b) for a, b in zip(got, want) if a != b)}"
                                 if len(got) == len(want) else
                                 f"to_arrays: {len(got)} rows, reference {len(want)}")
        # the structure updated in place is the one a fresh build makes
        live = {k: v for k, v in self.fib.stats().items() if k.startswith("live")}
        fresh = {k: v for k, v in self.fib.copy().stats().items() if k.startswith("live")}
        if live != fresh:
            raise AssertionError(f"lookup structure {live}, built afresh {fresh}")
        if len(self.compat) != len(want) or len(self.pyt) != len(want):
            raise AssertionError(f"sizes: compat {len(self.compat)}, pytricia {len(self.pyt)}, "
                                 f"reference {len(want)}")
        self.ops["to_arrays"] += 1

    def step(self):
        r = self.rng.random()
        if len(self.keys) > self.max_prefixes:
            r = 0.4                      # a delete keeps the brute force cheap
        if r < 0.36:
            self.insert()
        elif r < 0.6:
            self.delete()
        elif r < 0.96:
            self.lookup()
        elif r < 0.99:
            self.batch()
        else:
            self.check_contents()


def run(version, n_ops, seed, path_min=None):
    """Run n_ops random operations; return the operation counts (AssertionError on a mismatch).

    `path_min`: rebuild only changed paths in slots of at least this many records
    (the kernel's default when None; 0 exercises path rebuilds on small tables)."""
    fuzz = Fuzzer(version, seed)
    old = None if path_min is None else _lpm._tune(path_min)
    try:
        for i in range(n_ops):
            try:
                fuzz.step()
            except AssertionError as e:
                raise AssertionError(f"IPv{version} seed {seed}, operation {i}: {e}") from None
        fuzz.check_contents()
    finally:
        if old is not None:
            _lpm._tune(old)
    return fuzz.ops
