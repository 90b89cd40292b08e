"""Fib against a brute-force ipaddress oracle and against pytricia."""

import ipaddress
import pickle
import random

import numpy as np
import pytest
import pytricia
from hypothesis import given, strategies as st

from fastroute import Fib, InvalidAddressError, InvalidArrayError, InvalidPrefixError, InvalidValueError
from fastroute.addr import format_addresses, parse_addresses


# ------------------------------------------------------------------ oracle

class Oracle:
    """Longest-prefix match by scanning every prefix (ipaddress only)."""

    def __init__(self, version):
        self.version = version
        self.d = {}

    def __setitem__(self, p, v):
        self.d[ipaddress.ip_network(p)] = v

    def __delitem__(self, p):
        del self.d[ipaddress.ip_network(p)]

    def lookup(self, a):
        a = ipaddress.ip_address(a)
        best = None
        for n, v in self.d.items():
            if a in n and (best is None or n.prefixlen > best[0].prefixlen):
                best = (n, v)
        return best

    def sorted_keys(self):
        return [str(n) for n in sorted(self.d, key=lambda n: (int(n.network_address), n.prefixlen))]


def prefixes(version):
    width = 32 if version == 4 else 128
    # cluster addresses so that prefixes overlap often
    anchors = [0, 0x0AF40000 << (width - 32) if version == 4 else 0x20010DB8 << 96,
               (1 << width) - 1, 0xC0A81F00 << (width - 32) if version == 4 else 0xFE80 << 112]

    @st.composite
    def prefix(draw):
        plen = draw(st.sampled_from([0, 1, 8, 15, 16, 17, 22, 24, 26, 28, 31, width - 1, width])
                    | st.integers(0, width))
        base = draw(st.sampled_from(anchors))
        noise = draw(st.integers(0, (1 << min(width, 20)) - 1)) << max(0, width - 32)
        addr = (base ^ noise) & ((1 << width) - 1)
        cls = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
        net = cls((addr, plen), strict=False)
        return str(net)

    return prefix()


def addresses_near(version, prefixes_list, draw):
    width = 32 if version == 4 else 128
    cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    out = []
    for p in prefixes_list:
        n = ipaddress.ip_network(p)
        base = int(n.network_address)
        span = n.num_addresses
        out.append(str(cls(base)))
        out.append(str(cls(base + span - 1)))
        out.append(str(cls((base + draw(st.integers(0, span - 1))) % (1 << width))))
        if base + span < (1 << width):
            out.append(str(cls(base + span)))
    out.append(str(cls(draw(st.integers(0, (1 << width) - 1)))))
    return out


ops = st.lists(st.tuples(st.sampled_from(["set", "set", "set", "del", "batch"]),
                         st.integers(0, 10**6)), max_size=60)


@pytest.mark.parametrize("version", [4, 6])
@given(data=st.data())
def test_random_interleavings_match_oracle(version, data):
    pool = data.draw(st.lists(prefixes(version), min_size=1, max_size=40))
    fib = Fib(version)
    oracle = Oracle(version)
    for op, r in data.draw(ops):
        p = pool[r % len(pool)]
        if op == "set":
            fib[p] = r
            oracle[p] = r
        elif op == "del":
            if ipaddress.ip_network(p) in oracle.d:
                del fib[p]
                del oracle[p]
            else:
                with pytest.raises(KeyError):
                    del fib[p]
        else:
            batch = pool[r % len(pool):][:5]
            nets, lens = __import__("fastroute").addr.parse_prefixes(batch, version)
            fib.insert_batch(nets, lens, np.arange(len(batch)) + r)
            for i, q in enumerate(batch):
                oracle[q] = r + i
        if r % 3 == 0:
            # lookups between updates must see every update so far
            probe = addresses_near(version, [p], data.draw)
            for a in probe:
                exp = oracle.lookup(a)
                assert fib.lookup(a) == (exp[1] if exp else None), a
    assert len(fib) == len(oracle.d)
    assert list(fib) == oracle.sorted_keys()
    probe = addresses_near(version, pool, data.draw)
    got_batch = fib.lookup_batch(probe)
    for a, g in zip(probe, got_batch):
        exp = oracle.lookup(a)
        assert fib.lookup(a) == (exp[1] if exp else None)
        assert g == (exp[1] if exp else -1)
        m = fib.lookup_prefix(a)
        assert m == ((str(exp[0]), exp[1]) if exp else None)


@pytest.mark.parametrize("version", [4, 6])
@given(data=st.data())
def test_from_arrays_agrees_with_pytricia(version, data):
    pool = data.draw(st.lists(prefixes(version), min_size=0, max_size=300))
    values = list(range(len(pool)))
    fib = Fib.from_prefixes(pool, values, version=version)
    pyt = pytricia.PyTricia(32 if version == 4 else 128)
    for p, v in zip(pool, values):
        pyt[p] = v          # later duplicates win, as in Fib
    probe = addresses_near(version, pool, data.draw) if pool else ["0.0.0.0" if version == 4 else "::"]
    got = fib.lookup_batch(probe, n_threads=1)
    for a, g in zip(probe, got):
        exp = pyt.get(a)
        assert fib.lookup(a) == exp
        assert g == (-1 if exp is None else exp)
    assert sorted(map(str, pyt.keys()), key=lambda s: (int(ipaddress.ip_network(s).network_address),
                                                      ipaddress.ip_network(s).prefixlen)) == list(fib)


def test_many_threads_and_sizes_agree():
    rng = np.random.default_rng(7)
    n = 20000
    lens = rng.choice([8, 16, 20, 24, 26, 32], size=n).astype(np.uint8)
    nets = rng.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32)
    nets &= (0xFFFFFFFF << (32 - lens.astype(np.uint64))).astype(np.uint32)
    fib = Fib.from_arrays(nets, lens, np.arange(n))
    pyt = pytricia.PyTricia(32)
    for i, (a, l) in enumerate(zip(nets.tolist(), lens.tolist())):
        pyt.insert(str(ipaddress.ip_network((a, l))), i)
    # dedupe in pytricia: later wins, as in Fib
    addrs = rng.integers(0, 2**32, size=300000, dtype=np.uint64).astype(np.uint32)
    one = fib.lookup_batch(addrs, n_threads=1)
    two = fib.lookup_batch(addrs, n_threads=2)
    assert np.array_equal(one, two)
    sample = rng.choice(len(addrs), 3000, replace=False)
    for i in sample:
        exp = pyt.get(int(addrs[i]))
        assert one[i] == (-1 if exp is None else exp)


def test_batch_lookup_accepts_readonly_and_strided():
    fib = Fib.from_prefixes(["10.0.0.0/8", "10.1.0.0/16"], [1, 2])
    a = parse_addresses(["10.1.2.3", "0.0.0.0", "10.9.9.9", "11.0.0.0"])
    wide = np.zeros(8, dtype=np.uint32)
    wide[::2] = a
    view = wide[::2]
    view.flags.writeable = False
    assert not view.flags.c_contiguous
    assert fib.lookup_batch(view).tolist() == [2, -1, 1, -1]
    as_int64 = a.astype(np.int64)
    assert fib.lookup_batch(as_int64).tolist() == [2, -1, 1, -1]
    f6 = Fib.from_prefixes(["2001:db8::/32"], [5], version=6)
    a6 = parse_addresses(["2001:db8::1", "::1"], 6)
    a6t = np.asfortranarray(a6)
    a6t.flags.writeable = False
    assert f6.lookup_batch(a6t).tolist() == [5, -1]


def test_single_and_batch_updates_mix_on_a_large_table():
    rng = np.random.default_rng(3)
    n = 50000
    lens = np.full(n, 24, np.uint8)
    nets = (rng.integers(0, 2**24, size=n, dtype=np.uint64) << np.uint64(8)).astype(np.uint32)
    fib = Fib.from_arrays(nets, lens, np.arange(n))
    pyt = pytricia.PyTricia(32)
    for i, a in enumerate(nets.tolist()):
        pyt[f"{ipaddress.ip_address(a)}/24"] = i
    probe = nets[::97] + np.uint32(5)
    # single deletes, a batch delete, single inserts of /26 inside, a /8 cover
    for a in nets[:200:2].tolist():
        p = f"{ipaddress.ip_address(a)}/24"
        if p in pyt:
            del fib[p]
            del pyt[p]
    gone = nets[200:400]
    fib.delete_batch(gone, np.full(len(gone), 24))
    for a in gone.tolist():
        p = f"{ipaddress.ip_address(a)}/24"
        if p in pyt:
            del pyt[p]
    for a in nets[400:600].tolist():
        p = f"{ipaddress.ip_address(a)}/26"
        fib[p] = 7
        pyt[p] = 7
    fib["10.0.0.0/8"] = 8
    pyt["10.0.0.0/8"] = 8
    got = fib.lookup_batch(np.concatenate([probe, nets[:600] + np.uint32(1)]))
    for a, g in zip(np.concatenate([probe, nets[:600] + np.uint32(1)]).tolist(), got.tolist()):
        exp = pyt.get(a)
        assert g == (-1 if exp is None else exp)
    assert len(fib) == len(pyt)


def test_exact_operations_and_iteration_order():
    fib = Fib()
    fib["10.244.166.128/26"] = 3
    fib["10.244.0.0/16"] = 1
    fib[("10.244.219.64", 26)] = 4
    fib[ipaddress.ip_network("0.0.0.0/0")] = 0
    fib["10.244.219.66"] = 5            # a bare address is a host route
    assert fib["10.244.166.128/26"] == 3
    assert "10.244.219.66/32" in fib and "10.244.219.64/27" not in fib
    assert fib.get_exact("10.244.219.64/27") is None
    assert len(fib) == 5
    assert list(fib) == ["0.0.0.0/0", "10.244.0.0/16", "10.244.166.128/26",
                         "10.244.219.64/26", "10.244.219.66/32"]
    assert fib.parent("10.244.219.66/32") == ("10.244.219.64/26", 4)
    assert fib.prefixes_within("10.244.0.0/16", include_self=False) == [
        ("10.244.166.128/26", 3), ("10.244.219.64/26", 4), ("10.244.219.66/32", 5)]
    fib["10.244.166.128/26"] = 9
    assert fib.lookup("10.244.166.130") == 9 and len(fib) == 5
    assert fib.pop("10.244.166.128/26") == 9
    assert fib.lookup("10.244.166.130") == 1
    with pytest.raises(KeyError):
        fib["10.244.166.128/26"]
    fib2 = pickle.loads(pickle.dumps(fib))
    assert fib2 == fib and fib2.lookup("10.244.219.66") == 5
    fib.clear()
    assert len(fib) == 0 and fib.lookup("10.244.219.66") is None


def test_ipv6_edges():
    fib = Fib(6)
    fib["::/0"] = 0
    fib["2001:db8::/32"] = 1
    fib["2001:db8::1/128"] = 2
    fib["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"] = 3
    assert fib.lookup("2001:db8::1") == 2
    assert fib.lookup("2001:db8::2") == 1
    assert fib.lookup(2**128 - 1) == 3
    assert fib.lookup("::ffff:10.0.0.1") == 0
    assert fib.lookup_prefix("2001:db8::1") == ("2001:db8::1/128", 2)


def test_memory_grows_with_the_table():
    small = Fib.from_prefixes([f"10.{i // 256}.{i % 256}.0/26" for i in range(5000)], range(5000))
    assert small.nbytes < 4 * 2**20


# ------------------------------------------------------------------ bad input

def test_bad_prefixes_name_the_value():
    fib = Fib()
    with pytest.raises(InvalidPrefixError, match=r"'10\.244\.0\.0/33'"):
        fib["10.244.0.0/33"] = 1
    with pytest.raises(InvalidPrefixError, match=r"'10\.244\.0\.1/24'.*host bits"):
        fib["10.244.0.1/24"] = 1
    with pytest.raises(InvalidPrefixError, match=r"'10\.244\.0/24'"):
        fib["10.244.0/24"] = 1
    with pytest.raises(InvalidPrefixError, match=r"'2001:db8::/64'"):
        fib["2001:db8::/64"] = 1
    with pytest.raises(InvalidValueError, match=r"-1"):
        fib["10.0.0.0/8"] = -1
    with pytest.raises(InvalidValueError, match=r"'x'"):
        fib["10.0.0.0/8"] = "x"
    with pytest.raises(InvalidAddressError, match=r"'10\.0\.0\.256'"):
        fib.lookup("10.0.0.256")
    with pytest.raises(InvalidAddressError, match=r"'010\.0\.0\.1'"):
        fib.lookup("010.0.0.1")
    assert len(fib) == 0


def test_failed_bulk_operations_leave_the_table_unchanged():
    fib = Fib.from_prefixes(["10.0.0.0/8"], [1])
    with pytest.raises(InvalidPrefixError, match=r"'10\.1\.0\.1/16' at index 1"):
        fib.insert_batch(["10.2.0.0/16", "10.1.0.1/16"], None, [1, 2])
    with pytest.raises(InvalidPrefixError, match=r"index 1: must be 0\.\.32"):
        fib.insert_batch(np.array([1, 2], np.uint32), np.array([8, 40]), [1, 2])
    with pytest.raises(InvalidValueError, match=r"-5 for prefix '10\.3\.0\.0/16' at index 0"):
        fib.insert_batch(["10.3.0.0/16"], None, [-5])
    with pytest.raises(InvalidArrayError, match=r"dtype float64"):
        fib.lookup_batch(np.array([1.5]))
    with pytest.raises(InvalidArrayError, match=r"shape \(3, 2\)"):
        fib.lookup_batch(np.zeros((3, 2), np.uint32))
    with pytest.raises(KeyError, match=r"10\.9\.0\.0/16"):
        fib.delete_batch(["10.0.0.0/8", "10.9.0.0/16"], strict=True)
    assert list(fib) == ["10.0.0.0/8"] and fib.lookup("10.2.0.1") == 1
    with pytest.raises(InvalidPrefixError, match=r"'1\.2\.3\.4/99' at index 2"):
        Fib.from_prefixes(["1.0.0.0/8", "2.0.0.0/8", "1.2.3.4/99"], [1, 2, 3])


def test_vectorised_text_helpers_round_trip():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 2**32, 1000, dtype=np.uint64).astype(np.uint32)
    text = format_addresses(a)
    assert text == [str(ipaddress.IPv4Address(int(x))) for x in a]
    assert np.array_equal(parse_addresses(text), a)
    assert np.array_equal(parse_addresses(np.array(text)), a)
    assert np.array_equal(parse_addresses(np.array(text, dtype="S")), a)
    hi = rng.integers(0, 2**63, 500, dtype=np.uint64)
    lo = rng.integers(0, 2**63, 500, dtype=np.uint64)
    hi[::5] = 0
    lo[::7] = 0
    a6 = np.stack([hi, lo], axis=1)
    t6 = format_addresses(a6)
    assert t6 == [str(ipaddress.IPv6Address((int(h) << 64) | int(l))) for h, l in zip(hi, lo)]
    assert np.array_equal(parse_addresses(t6, 6), a6)
    with pytest.raises(InvalidAddressError, match=r"'1::2::3' at index 1"):
        parse_addresses(["::1", "1::2::3"], 6)


def test_every_kernel_status_raises_a_fastroute_error():
    # fastroute/_lpm.pxd Status -> fib.raise_status: every failure code has its exception
    from fastroute._lpm import Status
    from fastroute.errors import FastrouteError
    from fastroute.fib import raise_status

    for status in Status:
        if status == Status.ST_OK:
            continue
        with pytest.raises((FastrouteError, MemoryError)):
            raise_status(status, 4, "10.0.0.0/8", 1, 0)


def test_missing_prefix_is_an_unknown_prefix_error():
    from fastroute.errors import InvalidArgumentError, UnknownPrefixError

    fib = Fib()
    fib["10.0.0.0/8"] = 1
    with pytest.raises(UnknownPrefixError) as info:
        fib["10.0.0.0/9"]
    assert isinstance(info.value, KeyError) and str(info.value) == "'10.0.0.0/9'"
    with pytest.raises(UnknownPrefixError, match=r"10\.9\.0\.0/16"):
        fib.delete_batch(["10.9.0.0/16"], strict=True)
    with pytest.raises(InvalidArgumentError):
        fib.update(x=1)
    with pytest.raises(InvalidValueError, match=r"invalid IP version 5"):
        Fib(5)
