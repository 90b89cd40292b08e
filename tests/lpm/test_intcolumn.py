"""fastroute.addr.IntColumn: an int64 array read as a list of Python ints (the
IPv4 prefixes of a cluster's originations)."""

import ipaddress

import numpy as np
from hypothesis import given, strategies as st

from fastroute.addr import IntColumn
from fastroute.bgp.propagate import originations
from fastroute.model import synth

values = st.lists(st.integers(0, 2**32 - 1), max_size=50)


@given(values, values, st.integers(-60, 60), st.integers(-60, 60))
def test_reads_as_the_list_it_holds(a, more, i, j):
    col = IntColumn(np.array(a, np.int64))
    assert len(col) == len(a) and list(col) == a and col == a
    assert col[i:j] == a[i:j]
    if -len(a) <= i < len(a):
        assert col[i] == a[i] and type(col[i]) is int
    assert list(col + more) == a + more
    assert np.asarray(col).dtype == np.int64
    assert np.array(col, np.uint32).tolist() == a


def test_cluster_prefixes_are_ints_ipaddress_takes():
    c = synth.cluster(12, 20, pools=("10.0.0.0/16",), reflectors=0).allocate()
    o = originations(c, 4)
    assert isinstance(o.net, IntColumn) and len(o.net) == len(o.plen)
    ba = c.block_arrays(4)
    want = sorted(ipaddress.IPv4Network((int(n), int(p))) for n, p in zip(ba.net, ba.plen))
    nets = [o.prefix(i) for i in range(o.n)]
    assert len(want) > 0 and sorted(p for p, k in zip(nets, o.kind) if k == 0) == want
    pods = {ipaddress.IPv4Network((int(a), 32)) for a in c.pods.ipv4 if a >= 0}
    assert {p for p, k in zip(nets, o.kind) if k == 1} == pods


def test_originations_nets_by_index_match_their_prefixes():
    """``Originations.nets(index)`` (the array the route matrix and the FIBs read) gives
    each prefix's network address, for IPv4 (uint32) and IPv6 (Python ints)."""
    for version, pools in ((4, ("10.0.0.0/16",)), (6, ("fd00:10::/64",))):
        c = synth.cluster(6, 20, pools=pools, reflectors=0).allocate()
        o = originations(c, version)
        index = np.arange(o.n)[::-1][::2]
        got = o.nets(index)
        assert got.dtype == (np.uint32 if version == 4 else object) and len(got) == len(index) > 0
        assert [int(x) for x in got] == [int(o.prefix(i).network_address) for i in index.tolist()]
        assert len(o.nets(np.zeros(0, np.int64))) == 0
