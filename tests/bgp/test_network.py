"""The session graph laid down as arrays equals the one from the per-node topology."""

import dataclasses
import ipaddress

import numpy as np
from hypothesis import given, settings, strategies as st

from fastroute.bgp import network
from fastroute.model import synth


def _rows(net):
    g = net.graph
    own_as = [g.row_as(net.speakers, s) for s in range(g.n)]
    return sorted(zip(g.local.tolist(), g.remote.tolist(), g.rr_client.tolist(), g.cluster_id.tolist(),
                      g.ebgp.tolist(), g.keep_next_hop.tolist(), g.allow_local_as.tolist(), g.add_paths.tolist(),
                      own_as, g.next_hop_self.tolist()))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 12), rr=st.integers(0, 3), racks=st.integers(1, 3),
       placement=st.sampled_from(["global", "per-rack"]), version=st.sampled_from(["3.28", "3.20", "3.31"]),
       down=st.lists(st.integers(0, 11), max_size=2, unique=True), mesh_too=st.booleans(),
       mode=st.sampled_from([None, "Self", "Keep"]))
def test_array_mesh_equals_topology(n, rr, racks, placement, version, down, mesh_too, mode):
    c = synth.cluster(n, 1, reflectors=min(rr, n - 1), racks=min(racks, n),
                      reflector_placement=placement).allocate()
    # the reflector peerings' nextHopMode (rendered from v3.30)
    c = c.replace(bgp_peers=[dataclasses.replace(p, next_hop_mode=mode) for p in c.bgp_peers])
    if mesh_too:
        # reflectors and the mesh together: v3.20 keeps reflectors in the mesh, v3.22+ does not
        cfgs = [dataclasses.replace(x, node_to_node_mesh=True) for x in c.bgp_configurations]
        c = c.replace(bgp_configurations=cfgs)
    down = [c.node_names[i] for i in down if i < n]
    a = network.build(c, down=down, calico_version=version, method="topology")
    b = network.build(c, down=down, calico_version=version, method="arrays")
    assert _rows(a) == _rows(b)
    assert list(a.speakers.router_id) == list(b.speakers.router_id)
    assert a.speakers.ip == b.speakers.ip


@settings(max_examples=30, deadline=None)
@given(members=st.lists(st.integers(0, 9), min_size=0, max_size=6, unique=True),
       asn=st.lists(st.sampled_from([64512, 64513, 65000]), min_size=10, max_size=10))
def test_mesh_rows_every_ordered_pair_with_and_without_pairing(members, asn):
    addresses = [ipaddress.ip_address(f"10.0.0.{[5, 40, 7, 100, 9, 12, 3, 200, 60, 1][i]}") for i in range(10)]
    rid = np.array([int(a) for a in addresses], np.uint32)
    asn = np.array(asn, np.uint32)
    full = network.mesh_rows(members, addresses, rid, asn)
    bare = network.mesh_rows(members, addresses, rid, asn, pairing=False)
    pairs = [(a, b) for a in members for b in members if a != b]
    g = full.graph
    assert list(zip(g.local.tolist(), g.remote.tolist())) == pairs
    assert g.cluster_id.tolist() == [int(rid[a]) for a, _ in pairs]
    assert g.ebgp.tolist() == [bool(asn[a] != asn[b]) for a, b in pairs]
    # the lower address as text connects; each row's reverse is the opposite direction
    assert full.active.tolist() == [not str(addresses[b]) > str(addresses[a]) for a, b in pairs]
    assert [pairs[r] for r in full.rev.tolist()] == [(b, a) for a, b in pairs]
    assert bare.active is None and bare.rev is None
    for f in dataclasses.fields(g):
        assert np.array_equal(getattr(bare.graph, f.name), getattr(g, f.name))
    assert not network.mesh_rows(members, addresses, rid).graph.ebgp.any()


def test_concat_graphs_keeps_a_lone_nonempty_graph_and_joins_several():
    addresses = [ipaddress.ip_address(f"10.0.0.{i + 1}") for i in range(4)]
    rid = np.array([int(a) for a in addresses], np.uint32)
    a = network.mesh_rows([0, 1, 2], addresses, rid).graph
    b = network.mesh_rows([], addresses, rid).graph
    c = network.mesh_rows([2, 3], addresses, rid).graph
    assert network.concat_graphs([a, b]) is a and network.concat_graphs([b, a]) is a
    joined = network.concat_graphs([a, b, c])
    # options no row sets stay unset (zero-stride); set on some rows, they are joined
    assert joined.local_as.strides == (0,) and not joined.next_hop_self.any()
    d = dataclasses.replace(c, local_as=np.array([65001, 0], np.uint32), next_hop_self=np.array([True, False]))
    assert network.concat_graphs([a, d]).local_as.tolist() == [0] * a.n + [65001, 0]
    assert network.concat_graphs([a, d]).next_hop_self.tolist() == [False] * a.n + [True, False]
    assert joined.local.tolist() == a.local.tolist() + c.local.tolist()
    assert joined.cluster_id.tolist() == a.cluster_id.tolist() + c.cluster_id.tolist()
