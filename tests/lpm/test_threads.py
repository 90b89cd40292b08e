"""The LPM table under threads and bad output arrays: never a crash, never a wrong answer.

What could crash the interpreter runs in a child process, so that a crash is a
failing test rather than a dead test worker.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import fastroute
from fastroute import Fib
from fastroute.errors import InvalidArrayError, TableBusyError

SRC = str(Path(fastroute.__file__).resolve().parent.parent)


def run_child(code, timeout=120):
    """Run `code` in a fresh interpreter on this fastroute; return its stdout (it must exit 0)."""
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


# ------------------------------------------------------------------ out arrays


@pytest.mark.parametrize("version", [4, 6])
def test_lookup_into_refuses_an_out_shorter_than_the_addresses(version):
    # 1,000,000 addresses into a 1-slot array: the kernel must not start
    out = run_child(f"""
        import numpy as np
        from fastroute import Fib
        from fastroute.errors import InvalidArrayError
        fib = Fib({version})
        fib["{'10.0.0.0/8' if version == 4 else '2001:db8::/32'}"] = 7
        shape = (1_000_000,) if {version} == 4 else (1_000_000, 2)
        addrs = np.zeros(shape, np.uint32 if {version} == 4 else np.uint64)
        out = np.full(1, 5, np.int32)
        try:
            fib.lookup_into(addrs, out, 1)
        except InvalidArrayError as e:
            print("refused:", e)
        assert out[0] == 5
    """)
    assert "refused: out has 1 slots for 1000000 addresses" in out


def _addrs(version, n):
    return np.zeros(n, np.uint32) if version == 4 else np.zeros((n, 2), np.uint64)


@pytest.mark.parametrize("version", [4, 6])
def test_lookup_into_checks_the_out_array_before_the_kernel(version):
    fib = Fib(version)
    addrs = _addrs(version, 8)
    readonly = np.zeros(8, np.int32)
    readonly.flags.writeable = False
    bad = {
        "int64": np.zeros(8, np.int64),
        "uint32": np.zeros(8, np.uint32),
        "read-only": readonly,
        "strided": np.zeros(16, np.int32)[::2],
        "2-D": np.zeros((8, 1), np.int32),
        "list": [0] * 8,
        "longer": np.zeros(9, np.int32),
    }
    for what, out in bad.items():
        with pytest.raises(InvalidArrayError, match="out"):
            fib.lookup_into(addrs, out, 1)
    with pytest.raises(InvalidArrayError, match="address array"):
        fib.lookup_into(np.zeros(8, np.int64), np.zeros(8, np.int32), 1)
    with pytest.raises(InvalidArrayError, match="address array"):
        fib.lookup_into(_addrs(10 - version, 8), np.zeros(8, np.int32), 1)
    good = np.full(8, 3, np.int32)
    fib.lookup_into(addrs, good, 1)
    assert (good == -1).all()


def test_batch_updates_refuse_arrays_of_different_lengths():
    fib = Fib()
    nets = np.array([10 << 24, 11 << 24], np.uint32)
    with pytest.raises(InvalidArrayError):
        fib._insert_batch(nets, np.array([8], np.uint8), np.array([1], np.int64))
    with pytest.raises(InvalidArrayError):
        fib._bulk_load(nets, np.array([8, 8], np.uint8), np.array([1], np.int64))
    with pytest.raises(InvalidArrayError):
        fib._delete_batch(nets, np.array([8, 8, 8], np.uint8), False)
    assert len(fib) == 0


# ------------------------------------------------------------------ reproducers

_TABLE = """
    import random, threading, time
    import numpy as np
    from fastroute import Fib
    rng = random.Random(18)
    fib = Fib()
    for i in range(20000):
        fib[(rng.getrandbits(24) << 8, 24)] = i
"""


def test_concurrent_readers_after_a_write_rebuild_once_and_agree():
    # every reader arrives while the first rebuild after a write is running
    out = run_child(_TABLE + """
    addrs = np.array([rng.getrandbits(32) for _ in range(4096)], np.uint32)
    want = fib.lookup_batch(addrs, n_threads=1)
    bad = []
    def reader(barrier):
        barrier.wait()
        got = fib.lookup_batch(addrs, n_threads=1)
        if not np.array_equal(got, want):
            bad.append(1)
    for rnd in range(150):
        # a /3 (a full rebuild) or a /8 and a /16 (256 + 1 slots rebuilt)
        if rnd % 3 == 0:
            fib[(rng.getrandbits(3) << 29, 3)] = 100000 + rnd
        else:
            fib[(rng.getrandbits(8) << 24, 8)] = 100000 + rnd
            fib[(rng.getrandbits(16) << 16, 16)] = 200000 + rnd
        want = fib.copy().lookup_batch(addrs, n_threads=1)   # fib itself stays unbuilt
        barrier = threading.Barrier(4)
        ts = [threading.Thread(target=reader, args=(barrier,)) for _ in range(4)]
        for t in ts: t.start()
        for t in ts: t.join()
    print("wrong answers:", len(bad))
    """)
    assert "wrong answers: 0" in out


def test_single_lookups_while_another_thread_inserts_and_deletes():
    out = run_child(_TABLE + """
    stable = [(a, fib.lookup(a)) for a in (rng.getrandbits(32) & 0x7FFFFFFF for _ in range(2000))]
    stop = False
    bad = []
    def reader(seed):
        r = random.Random(seed)
        while not stop:
            a, v = r.choice(stable)
            if fib.lookup(a) != v:
                bad.append((a, v))
            fib.lookup(r.getrandbits(32))
    ts = [threading.Thread(target=reader, args=(s,)) for s in range(4)]
    for t in ts: t.start()
    t0 = time.time(); n = 0
    window = []
    while time.time() - t0 < 2.5:
        # the writer stays in 128.0.0.0/1, which the stable addresses are not in;
        # short prefixes make every reader's first lookup rebuild many slots
        key = ((128 + rng.randrange(128)) << 24 | rng.getrandbits(16) << 8, 24 - rng.randrange(17))
        key = (key[0] >> (32 - key[1]) << (32 - key[1]), key[1])
        fib[key] = n
        window.append(key)
        if len(window) > 50:
            fib.pop(window.pop(0), None)
        n += 1
    stop = True
    for t in ts: t.join()
    print("writes:", n, "wrong answers:", len(bad))
    """)
    assert "wrong answers: 0" in out


def test_to_arrays_while_another_thread_writes():
    out = run_child(_TABLE + """
    stop = False
    bad = []
    def writer():
        r = random.Random(5)
        while not stop:
            keys = [(r.getrandbits(16) << 16, 16) for _ in range(64)]
            for k in keys: fib[k] = 1
            fib.delete_batch(np.array([k[0] for k in keys], np.uint32), np.full(64, 16))
    ts = [threading.Thread(target=writer) for _ in range(2)]
    for t in ts: t.start()
    t0 = time.time(); n = 0
    while time.time() - t0 < 2:
        nets, lens, vals = fib.to_arrays()
        key = nets.astype(np.uint64) << np.uint64(8) | lens
        if not (len(nets) == len(lens) == len(vals) and np.all(key[1:] > key[:-1])):
            bad.append(n)
        n += 1
    stop = True
    for t in ts: t.join()
    print("snapshots:", n, "torn:", len(bad))
    """)
    assert "torn: 0" in out


def test_compat_pytricia_gets_while_another_thread_inserts_and_deletes():
    # pytricia runs this to the end (every call holds the GIL); so must the drop-in
    out = run_child("""
    import random, threading, time
    from fastroute.compat import PyTricia
    t = PyTricia()
    rng = random.Random(2)
    stable = {}
    for i in range(20000):
        p = f"{rng.randrange(128)}.{rng.randrange(256)}.{rng.randrange(256)}.0/24"
        t[p] = stable[p] = ("stable", p)
    probes = [(p[:-4] + "9", v) for p, v in list(stable.items())[:3000]]
    stop = False
    bad = []
    def reader(seed):
        r = random.Random(seed)
        while not stop:
            a, v = r.choice(probes)
            got = t.get(a)
            if got != v:
                bad.append((a, got))
            t.get(f"{r.randrange(128, 256)}.{r.randrange(256)}.1.1")
    ts = [threading.Thread(target=reader, args=(s,)) for s in range(4)]
    for x in ts: x.start()
    t0 = time.time(); n = 0
    while time.time() - t0 < 2:
        # the writer stays in 128.0.0.0/1 and reuses freed value slots all the time
        p = f"{rng.randrange(128, 256)}.{rng.randrange(256)}.0.0/16"
        t[p] = ("moving", n)
        del t[p]
        n += 1
    stop = True
    for x in ts: x.join()
    print("writes:", n, "wrong answers:", len(bad))
    """)
    assert "wrong answers: 0" in out


def test_a_change_during_a_batch_lookup_is_refused_cleanly():
    fib = Fib()
    rng = np.random.default_rng(3)
    fib.insert_batch(rng.integers(0, 2**24, 5000, dtype=np.uint32) << np.uint32(8),
                     np.full(5000, 24), np.arange(5000))
    addrs = rng.integers(0, 2**32, 4_000_000, dtype=np.uint32)
    before = fib.to_arrays()
    import threading
    done = threading.Event()
    refused = []

    def batch():
        fib.lookup_batch(addrs, n_threads=1)
        done.set()

    th = threading.Thread(target=batch)
    th.start()
    while not done.is_set():
        try:
            fib["1.2.3.0/24"] = 1
        except TableBusyError as e:
            refused.append(str(e))
            continue
        del fib["1.2.3.0/24"]
    th.join()
    after = fib.to_arrays()
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert all("batch lookup" in m for m in refused)


# ------------------------------------------------------------------ stress

_STRESS = """
import json, random, threading, time
import numpy as np
from fastroute import Fib
from fastroute.errors import TableBusyError

VERSION, SECONDS, SEED = {version}, {seconds}, {seed}
W = 32 if VERSION == 4 else 128
rng = random.Random(SEED)
fib = Fib(VERSION)

def arr(addrs):
    if VERSION == 4:
        return np.array(addrs, np.uint32)
    return np.array([(a >> 64, a & (2**64 - 1)) for a in addrs], np.uint64).reshape(-1, 2)

def brute(prefixes, a):
    best = None
    for (net, plen), v in prefixes.items():
        if (a ^ net) >> (W - plen) == 0 and (best is None or plen > best[0]):
            best = (plen, v)
    return -1 if best is None else best[1]

# stable prefixes (values < 1000) in the lower half of the space, never changed;
# each writer owns one quarter of the upper half (values >= 1000)
def prefix(region, quarter_bits):
    plen = rng.choice([W // 4 + 1, W // 2, W // 2 + 3, W - 8, W])
    net = (region << (W - quarter_bits)) | rng.getrandbits(W - quarter_bits)
    return net >> (W - plen) << (W - plen), plen

stable = dict((prefix(rng.randrange(2), 2), rng.randrange(1000)) for _ in range(3000))
for k, v in stable.items():
    fib[k] = v
probe = [net | (rng.getrandbits(W - plen) if plen < W else 0) for net, plen in rng.sample(sorted(stable), 1500)]
probe += [rng.getrandbits(W - 1) for _ in range(500)]
want = np.array([brute(stable, a) for a in probe], np.int32)
probe_arr = arr(probe)
moving_arr = arr([(1 << (W - 1)) | rng.getrandbits(W - 1) for _ in range(2000)])
big = arr([rng.getrandbits(W - 1) for _ in range(70000)])
big_want = fib.copy().lookup_batch(big, n_threads=1)

stop = threading.Event()
errors = []
counts = dict(batch=0, big=0, single=0, lookup_in=0, to_arrays=0, writes=0, busy=0)
models = [dict() for _ in range(2)]

def check(cond, what):
    if not cond:
        errors.append(what)

def reader(seed):
    r = random.Random(seed)
    values = list(range(4000))
    while not stop.is_set():
        k = r.random()
        if k < 0.4:
            got = fib.lookup_batch(probe_arr, n_threads=1)
            check(np.array_equal(got, want), "batch lookup of a stable address")
            moved = fib.lookup_batch(moving_arr, n_threads=1)
            check(bool(np.all((moved == -1) | (moved >= 1000))), "batch lookup of a moving address")
            counts["batch"] += 1
        elif k < 0.45:
            got = fib.lookup_batch(big, n_threads=2)
            check(np.array_equal(got, big_want), "threaded batch lookup")
            counts["big"] += 1
        elif k < 0.9:
            for _ in range(50):
                i = r.randrange(len(probe))
                v = fib.lookup(probe[i])
                check((-1 if v is None else v) == want[i], "single lookup")
                check(fib.lookup_in(probe[i], values, -1) == want[i], "lookup_in")
            counts["single"] += 1
            counts["lookup_in"] += 1
        else:
            nets, lens, vals = fib.to_arrays()
            check(len(nets) == len(lens) == len(vals) >= len(stable), "to_arrays sizes")
            counts["to_arrays"] += 1

def writer(w):
    r = random.Random(SEED * 10 + w)
    model = models[w]
    region = 2 + w                      # quarters 2 and 3: the upper half
    while not stop.is_set():
        try:
            k = r.random()
            if k < 0.7 or not model:
                key = ((region << (W - 2)) | r.getrandbits(W - 2), r.choice([W // 4, W // 2, W - 4, W]))
                key = (key[0] >> (W - key[1]) << (W - key[1]), key[1])
                v = 1000 + r.randrange(1000)
                fib[key] = v
                model[key] = v
            elif k < 0.9:
                key = r.choice(sorted(model))
                del fib[key]
                del model[key]
            else:
                keys = [((region << (W - 2)) | r.getrandbits(W - 2)) >> 8 << 8 for _ in range(32)]
                vals = [1000 + r.randrange(1000) for _ in keys]
                nets = arr(keys)
                fib.insert_batch(nets, np.full(32, W - 8), np.array(vals))
                model.update(zip(((n, W - 8) for n in keys), vals))
                if r.random() < 0.5:
                    fib.delete_batch(nets, np.full(32, W - 8))
                    for n in keys:
                        model.pop((n, W - 8), None)
            counts["writes"] += 1
        except TableBusyError:
            counts["busy"] += 1          # a batch lookup runs: nothing changed, try again
            time.sleep(0.0005)

threads = [threading.Thread(target=reader, args=(i,)) for i in range(3)]
threads += [threading.Thread(target=writer, args=(w,)) for w in range(2)]
for t in threads: t.start()
time.sleep(SECONDS)
stop.set()
for t in threads: t.join()

# afterwards the table holds exactly the stable prefixes and the writers' models
expect = dict(stable)
for m in models:
    expect.update(m)
nets, lens, vals = fib.to_arrays()
rows = nets.tolist() if VERSION == 4 else [(int(h) << 64) | int(l) for h, l in nets.tolist()]
check(dict(zip(zip(rows, lens.tolist()), vals.tolist())) == expect, "final contents")
check(len(fib) == len(expect), "final size")
for a in probe[:300] + [(1 << (W - 1)) | rng.getrandbits(W - 1) for _ in range(300)]:
    v = fib.lookup(a)
    check((-1 if v is None else v) == brute(expect, a), "final lookup")
print(json.dumps(dict(counts, errors=errors[:5], n_errors=len(errors))))
"""


@pytest.mark.parametrize("version", [4, 6])
def test_threaded_stress(version):
    import json
    out = run_child(_STRESS.format(version=version, seconds=2.5, seed=18), timeout=300)
    result = json.loads(out.strip().splitlines()[-1])
    assert result["n_errors"] == 0, result
    # every kind of call ran concurrently with the others
    for kind in ("batch", "big", "single", "lookup_in", "to_arrays", "writes"):
        assert result[kind] > 0, result
