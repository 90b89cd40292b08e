"""LPM benchmarks: fastroute.Fib side by side with pytricia and py-radix.

Run: bash ci/bench.sh -k lpm   (or: .venv/bin/python -m pytest bench/test_lpm.py)
then: .venv/bin/python bench/report.py .benchmarks/latest.json   (rates per second)

Every benchmark stores the number of operations per round in extra_info["ops"],
so rates are ops / mean time.
"""

import gc
import subprocess
import sys

import numpy as np
import pytest
import pytricia
import radix

import lpm_tables as T
from fastroute import Fib
from fastroute.addr import format_addresses

N_LOOP = 200_000      # addresses for the Python-loop competitors


def _tables():
    return {
        "calico": T.calico_table(),
        "100k": T.realistic_table(100_000),
        "1M": T.realistic_table(1_000_000),
    }


_CACHE = {}


def table(name):
    if name not in _CACHE:
        if name == "v6-100k":
            nets, lens, vals = T.realistic_table6(100_000)
        else:
            nets, lens, vals = _tables()[name] if name != "1M" else T.realistic_table(1_000_000)
        strs = T.prefix_strings(nets, lens)
        addrs = T.addresses(nets, lens)
        fib = Fib.from_arrays(nets, lens, vals)
        _CACHE[name] = dict(nets=nets, lens=lens, vals=vals, strs=strs, addrs=addrs, fib=fib)
    return _CACHE[name]


def _pytricia(t, bits):
    if "pytricia" not in t:
        t["pytricia"] = _build_pytricia(t, bits)
    return t["pytricia"]


def _build_pytricia(t, bits):
    pyt = pytricia.PyTricia(bits)
    for p, v in zip(t["strs"], t["vals"].tolist()):
        pyt[p] = v
    return pyt


TABLES = ["calico", "100k", "1M", "v6-100k"]


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.parametrize("threads", [1, 2])
def test_fib_lookup_batch(benchmark, name, threads):
    t = table(name)
    benchmark.group = f"lpm-lookup-{name}"
    benchmark.extra_info["ops"] = len(t["addrs"])
    out = benchmark(t["fib"].lookup_batch, t["addrs"], n_threads=threads)
    assert (out >= 0).any()


@pytest.mark.parametrize("name", TABLES)
def test_fib_lookup_single_loop(benchmark, name):
    t = table(name)
    benchmark.group = f"lpm-lookup-{name}"
    keys = format_addresses(t["addrs"][:N_LOOP])
    look = t["fib"].lookup
    benchmark.extra_info["ops"] = len(keys)

    def run():
        for k in keys:
            look(k)
    benchmark.pedantic(run, rounds=3, iterations=1)


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.parametrize("keys", ["str", "int"])
@pytest.mark.parametrize("frozen", [False, True])
def test_pytricia_lookup_loop(benchmark, name, keys, frozen):
    t = table(name)
    v6 = name.startswith("v6")
    if keys == "int" and v6:
        pytest.skip("pytricia takes no int keys for IPv6")
    benchmark.group = f"lpm-lookup-{name}"
    pyt = _pytricia(t, 128 if v6 else 32)
    if frozen:
        pyt.freeze()
    else:
        pyt.thaw()
    a = t["addrs"][:N_LOOP]
    ks = format_addresses(a) if keys == "str" else a.tolist()
    get = pyt.get
    benchmark.extra_info["ops"] = len(ks)

    def run():
        for k in ks:
            get(k)
    benchmark.pedantic(run, rounds=3, iterations=1)


@pytest.mark.parametrize("name", TABLES)
def test_pyradix_lookup_loop(benchmark, name):
    t = table(name)
    benchmark.group = f"lpm-lookup-{name}"
    rt = radix.Radix()
    for p in t["strs"]:
        rt.add(p)
    ks = format_addresses(t["addrs"][:N_LOOP])
    best = rt.search_best
    benchmark.extra_info["ops"] = len(ks)

    def run():
        for k in ks:
            best(k)
    benchmark.pedantic(run, rounds=3, iterations=1)


# ------------------------------------------------------------------ build and updates

def test_fib_build_1M(benchmark):
    t = table("1M")
    benchmark.group = "lpm-build-1M"
    benchmark.extra_info["ops"] = len(t["lens"])
    fib = benchmark.pedantic(Fib.from_arrays, (t["nets"], t["lens"], t["vals"]), rounds=3, iterations=1)
    benchmark.extra_info["bytes_per_prefix"] = fib.nbytes / len(fib)


def test_fib_build_1M_from_strings(benchmark):
    t = table("1M")
    benchmark.group = "lpm-build-1M"
    benchmark.extra_info["ops"] = len(t["lens"])
    benchmark.pedantic(Fib.from_prefixes, (t["strs"], t["vals"]), rounds=3, iterations=1)


def test_pytricia_build_1M(benchmark):
    t = table("1M")
    benchmark.group = "lpm-build-1M"
    benchmark.extra_info["ops"] = len(t["lens"])
    benchmark.pedantic(_build_pytricia, (t, 32), rounds=2, iterations=1)


def test_pyradix_build_1M(benchmark):
    t = table("1M")
    benchmark.group = "lpm-build-1M"
    benchmark.extra_info["ops"] = len(t["lens"])

    def build():
        rt = radix.Radix()
        for p in t["strs"]:
            rt.add(p)
        return rt
    benchmark.pedantic(build, rounds=2, iterations=1)


def _update_batch(seed=5, n=100_000):
    nets, lens, vals = T.realistic_table(n, seed=seed)
    return nets, lens, vals


@pytest.mark.parametrize("op", ["insert", "delete"])
def test_fib_batch_updates_on_1M(benchmark, op):
    """100k updates on a 1M-prefix table, then one lookup batch (so the rebuild is paid)."""
    t = table("1M")
    benchmark.group = "lpm-update-1M"
    nets, lens, vals = _update_batch()
    probe = t["addrs"][:1000]
    benchmark.extra_info["ops"] = len(lens)

    def setup():
        fib = t["fib"].copy()
        if op == "delete":
            fib.insert_batch(nets, lens, vals)
            fib.lookup_batch(probe)
        gc.collect()
        return (fib,), {}

    def run(fib):
        if op == "insert":
            fib.insert_batch(nets, lens, vals)
        else:
            fib.delete_batch(nets, lens)
        fib.lookup_batch(probe)
    benchmark.pedantic(run, setup=setup, rounds=3, iterations=1)


@pytest.mark.parametrize("op", ["insert", "delete"])
def test_pytricia_updates_on_1M(benchmark, op):
    t = table("1M")
    benchmark.group = "lpm-update-1M"
    nets, lens, vals = _update_batch()
    strs = T.prefix_strings(nets, lens)
    benchmark.extra_info["ops"] = len(strs)
    pyt = _build_pytricia(t, 32)
    present = [p for p in strs if pyt.has_key(p)]

    def run():
        if op == "insert":
            for p, v in zip(strs, vals.tolist()):
                pyt[p] = v
        else:
            for p in strs:
                if pyt.has_key(p):
                    del pyt[p]
            for p in present:   # restore for the next round (not timed separately)
                pyt[p] = 0
    benchmark.pedantic(run, rounds=2, iterations=1)


# ------------------------------------------------------------------ memory

_RSS = """
import gc, sys
sys.path.insert(0, {bench!r})
import lpm_tables as T
def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * 4096
nets, lens, vals = T.realistic_table(1_000_000)
strs = T.prefix_strings(nets, lens)
vals = vals.tolist()
gc.collect()
before = rss()
{build}
gc.collect()
print(rss() - before)
"""

_BUILDS = {
    "fastroute": "from fastroute import Fib\nt = Fib.from_arrays(nets, lens, vals)",
    "pytricia": "import pytricia\nt = pytricia.PyTricia(32)\nfor p, v in zip(strs, vals): t[p] = v",
    "py-radix": "import radix\nt = radix.Radix()\nfor p in strs: t.add(p)",
}


@pytest.mark.parametrize("lib", list(_BUILDS))
def test_memory_1M(benchmark, lib):
    """Resident memory added by a 1M-prefix table, measured in a fresh process."""
    import os
    benchmark.group = "lpm-memory-1M"
    code = _RSS.format(bench=os.path.dirname(__file__), build=_BUILDS[lib])

    def measure():
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return int(out.stdout.strip())
    delta = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info["rss_bytes"] = delta
    benchmark.extra_info["bytes_per_prefix"] = delta / 1_000_000
    if lib == "fastroute":
        benchmark.extra_info["nbytes_per_prefix"] = table("1M")["fib"].nbytes / len(table("1M")["fib"])


def _ipv6_pool(shared, n=100_000, seed=7):
    """n IPv6 /64s: all under 2001:db8::/32 (one top-16-bit slot, as a single IPv6
    pool is) or spread over 2000::/3."""
    rng = np.random.default_rng(seed)
    if shared:
        hi = np.uint64(0x2001_0DB8_0000_0000) | rng.integers(0, 2**32, n, dtype=np.uint64)
    else:
        hi = (np.uint64(0x2000) << np.uint64(48)) | rng.integers(0, 2**61, n, dtype=np.uint64)
    hi = np.unique(hi)
    return Fib.from_arrays(np.stack([hi, np.zeros(len(hi), np.uint64)], axis=1),
                           np.full(len(hi), 64), np.arange(len(hi)))


@pytest.mark.parametrize("layout", ["spread", "shared-/16"])
def test_fib_ipv6_update_then_lookup(benchmark, layout):
    """One insert or delete, then one lookup (which pays the rebuild), on 10^5 IPv6
    /64s: the cost of keeping a pool's routes current one change at a time."""
    fib = _ipv6_pool(layout == "shared-/16")
    benchmark.group = "lpm-update-v6-100k"
    benchmark.extra_info["ops"] = 2
    key = ((0x2001_0DB8_1234_5678 if layout == "shared-/16" else 0x2345_6789_ABCD_EF01) << 64, 64)
    probe = key[0] | 1

    def run():
        fib[key] = 1
        fib.lookup(probe)
        del fib[key]
        fib.lookup(probe)
    benchmark(run)
