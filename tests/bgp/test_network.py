"""The session graph laid down as arrays equals the one from the per-node topology."""

import dataclasses

from hypothesis import given, settings, strategies as st

from fastroute.bgp import network
from fastroute.model import synth


def _rows(net):
    g = net.graph
    return sorted(zip(g.local.tolist(), g.remote.tolist(), g.rr_client.tolist(), g.cluster_id.tolist(),
                      g.ebgp.tolist(), g.keep_next_hop.tolist(), g.allow_local_as.tolist(), g.add_paths.tolist()))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 12), rr=st.integers(0, 3), racks=st.integers(1, 3),
       placement=st.sampled_from(["global", "per-rack"]), version=st.sampled_from(["3.28", "3.20"]),
       down=st.lists(st.integers(0, 11), max_size=2, unique=True), mesh_too=st.booleans())
def test_array_mesh_equals_topology(n, rr, racks, placement, version, down, mesh_too):
    c = synth.cluster(n, 1, reflectors=min(rr, n - 1), racks=min(racks, n),
                      reflector_placement=placement).allocate()
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
