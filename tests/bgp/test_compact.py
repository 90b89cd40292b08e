"""The implied mesh and the closed-form routes of meshes and reflector designs
(fastroute.bgp.compact) against the explicit session rows and the reference
propagation; route_matrix in blocks against the dense next-hop matrix."""

import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastroute.bgp import network
from fastroute.bgp.compact import MeshRoutes, ReflectorRoutes, propagate_mesh, propagate_reflectors
from fastroute.bgp.propagate import propagate
from fastroute.dataplane import routes
from fastroute.model import synth
from fastroute.testing import strategies as fst

_DENSE = ("best_next_hop", "best_session", "reason", "n_paths", "ecmp_count")


def _assert_same(prop, ref):
    n, k = ref.best_next_hop.shape
    cls = np.arange(k)[::-1]
    # blocks of columns first (read from the compact form, which stays compact), then the dense arrays
    for name in _DENSE:
        for rows in (slice(0, n), slice(n // 3, n // 3 + 2), slice(n - 1, n)):
            got = prop.columns(name, cls, rows)
            assert np.array_equal(got, getattr(ref, name)[rows][:, cls]), (name, rows)
    for name in _DENSE:
        assert np.array_equal(getattr(prop, name), getattr(ref, name)), name


def _classes(net):
    return np.unique(net.origins.origin[net.origins.origin >= 0]).astype(np.int32)


def _dense_gather(tables, prop):
    """route_matrix_indices as the dense (speaker x class) matrix gives it."""
    o = tables.network.origins
    prefixes = np.flatnonzero(o.origin >= 0)
    col = {int(c): i for i, c in enumerate(prop.classes)}
    cls = np.array([col[int(x)] for x in o.origin[prefixes]], np.int64)
    return prefixes, prop.best_next_hop[: tables.cluster.n_nodes][:, cls]


@settings(max_examples=40, deadline=None)
@given(fst.clusters(max_nodes=7, topologies=("mesh", "reflectors", "tor", "fabric"), dual_stack=None),
       st.data())
def test_compact_tables_equal_reference_on_drawn_clusters(c, data):
    """Mesh laid down as arrays (implied) or not: every node's routes, the dense
    arrays and route_matrix in any block size equal the reference propagation's."""
    down = data.draw(fst.down_sets(c, 2))
    versions = (4, 6) if c.fastroute_design["dual_stack"] else (4,)
    for version in versions:
        net = network.build(c, version, down=down, method="arrays")
        classes = _classes(net)
        ref = propagate(net.speakers, net.graph, classes, method="reference",
                        origins=net.origins.route_origins)
        mesh = net.implied_mesh
        if mesh is not None:
            prop = propagate_mesh(net.speakers.n, mesh, classes)
            fast = propagate(net.speakers, net.graph, classes)
            _assert_same(prop, ref)
            _assert_same(fast, ref)
        else:
            prop = propagate_reflectors(net.speakers, net.graph, classes)
            if prop is not None:
                _assert_same(prop, ref)
            else:
                prop = propagate(net.speakers, net.graph, classes, origins=net.origins.route_origins)
        tables = routes.RouteTables(net, prop)
        reference = routes.RouteTables(net, ref)
        want_p, want = _dense_gather(reference, ref)
        got_p, got = tables.route_matrix_indices()
        assert np.array_equal(got_p, want_p) and np.array_equal(got, want)
        rows = data.draw(st.integers(1, c.n_nodes + 1))
        blocks = list(tables.route_matrix_chunks(rows))
        assert [a for a, _, _ in blocks] == list(range(0, c.n_nodes, rows))
        assert np.array_equal(np.concatenate([b for _, _, b in blocks]), want)
        # blocks made ahead on worker threads, and written over and over into the same buffers
        tables.n_threads = data.draw(st.integers(1, 3))
        reused = [(a, b.copy(), id(b.base if b.base is not None else b))
                  for a, _, b in tables.route_matrix_chunks(rows, reuse=True)]
        assert [a for a, _, _ in reused] == list(range(0, c.n_nodes, rows))
        assert np.array_equal(np.concatenate([b for _, b, _ in reused]), want)
        assert len({buf for _, _, buf in reused}) <= tables.n_threads + 1
        for node in c.node_names:
            assert tables.text(node, include_host=True) == reference.text(node, include_host=True)


def test_a_large_mesh_is_implied_and_laid_down_on_request():
    c = synth.cluster(160, 3, pools=("10.0.0.0/16",), reflectors=0).allocate()
    down = [c.node_names[7]]
    t = routes.compute(c, down=down)
    assert isinstance(t.propagation.compact, MeshRoutes)
    assert "_graph" not in t.network.__dict__          # nothing asked for the rows yet
    assert len(t.network.mesh) == 159
    g = t.network.graph
    assert g.n == 159 * 158
    explicit = network.build(c, down=down, method="topology").graph
    key = lambda gr: sorted(zip(gr.local.tolist(), gr.remote.tolist()))  # noqa: E731
    assert key(g) == key(explicit)
    # the closed form's session rows name the implied rows of the graph
    fast = propagate(t.network.speakers, g, t.propagation.classes)
    assert np.array_equal(t.propagation.best_session, fast.best_session)
    assert np.array_equal(t.route_matrix_indices()[1], _dense_gather(t, fast)[1])


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_route_matrix_is_the_same_on_any_number_of_threads(threads):
    c = synth.cluster(170, 2, pools=("10.0.0.0/16",), reflectors=2).allocate()
    t = routes.compute(c, threads=threads)
    assert isinstance(t.propagation.compact, ReflectorRoutes)
    assert t.n_threads == threads
    assert np.array_equal(t.route_matrix_indices()[1], _dense_gather(t, t.propagation)[1])


def test_an_ebgp_mesh_is_not_taken_for_an_implied_ibgp_mesh():
    c = synth.cluster(12, 1, pools=("10.0.0.0/16",), reflectors=0).allocate()
    nodes = [n if i % 2 else _with_asn(n, 65001) for i, n in enumerate(c.nodes)]
    c2 = c.replace(nodes=nodes)
    net = network.build(c2, method="arrays")
    assert net.mesh is not None and net.implied_mesh is None
    t = routes.compute(c2)
    assert t.propagation.compact is None
    ref = routes.compute(c2, method="reference")
    assert np.array_equal(t.route_matrix_indices()[1], ref.route_matrix_indices()[1])


def _with_asn(node, asn):
    import dataclasses
    return dataclasses.replace(node, asn=asn)


@pytest.mark.parametrize("placement,reflectors", [("global", 1), ("global", 3), ("per-rack", 2)])
@pytest.mark.parametrize("down", [(), ("node-0",), ("node-1", "node-7"), ("node-9",)])
def test_reflector_routes_equal_reference(placement, reflectors, down):
    """Reflectors of one cluster id, of one per rack, with reflectors and clients
    down: every speaker's best path, session row, step, candidates and ECMP as
    the reference propagation has them."""
    c = synth.cluster(24, 1, pools=("10.0.0.0/16",), reflectors=reflectors, reflector_placement=placement,
                      racks=3).allocate()
    net = network.build(c, down=down, method="arrays")
    classes = _classes(net)
    ref = propagate(net.speakers, net.graph, classes, method="reference")
    prop = propagate_reflectors(net.speakers, net.graph, classes)
    if down == ("node-0",) and reflectors == 1:
        assert prop is None                      # no reflector left: no session at all
        return
    assert isinstance(prop.compact, ReflectorRoutes)
    _assert_same(prop, ref)
    t, want = routes.RouteTables(net, prop), routes.RouteTables(net, ref)
    assert np.array_equal(t.route_matrix_indices()[1], want.route_matrix_indices()[1])


def test_a_reflector_design_with_an_ebgp_client_is_propagated_in_full():
    c = synth.cluster(30, 1, pools=("10.0.0.0/16",), reflectors=2).allocate()
    c2 = c.replace(nodes=[_with_asn(n, 65001) if i == 5 else n for i, n in enumerate(c.nodes)])
    net = network.build(c2)
    assert propagate_reflectors(net.speakers, net.graph, _classes(net)) is None
    t = routes.compute(c2)
    assert t.propagation.compact is None
    ref = routes.compute(c2, method="reference")
    assert np.array_equal(t.route_matrix_indices()[1], ref.route_matrix_indices()[1])


@pytest.mark.parametrize("reuse", [False, True])
def test_a_stream_left_early_stops_its_workers(reuse):
    c = synth.cluster(60, 3, pools=("10.0.0.0/16",), reflectors=0).allocate()
    t = routes.compute(c, threads=2)
    want = t.route_matrix_indices()[1]
    before = threading.active_count()
    stream = t.route_matrix_chunks(7, reuse=reuse)
    first = [next(stream)[2].copy() for _ in range(2)]
    assert threading.active_count() > before            # blocks ahead are being made
    stream.close()                      # the workers' blocks ahead are dropped, nothing hangs
    assert threading.active_count() == before
    assert np.array_equal(np.concatenate(first), want[:14])
