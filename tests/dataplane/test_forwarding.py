"""fastroute.dataplane.forwarding against an independent oracle.

The oracle below shares no code with the forwarding plane: from the cluster's
resources (blocks, pods, pools, node addresses) and the propagation result (BGP
best next hops, an input of the plane) it writes each node's table as a list of
``ipaddress`` networks with an action, picks the longest prefix by scanning, and
walks packets one hop at a time.  On generated clusters (stopped nodes, faults,
every encapsulation, IPv6) every node's decision for every pod address, every
block's first and last address and a few other addresses must equal the plane's,
and the walk's end must equal verify's transitive closure of the plane.
"""

import ipaddress

import numpy as np
from hypothesis import given, settings

from fastroute.dataplane import forwarding, routes, verify
from fastroute.dataplane.forwarding import Encap, Outcome
from fastroute.model import examples, synth
from fastroute.testing import strategies as fs

DELIVER, BLACKHOLE, NO_ROUTE = "deliver", "blackhole", "no route"


def _pool(c, version, addr):
    for p in c.pools:
        if p.version == version and addr in p.cidr:
            return p
    return None


def _addr(c, i, version):
    a = c.pods.ipv4[i] if version == 4 else c.pods.ipv6[i]
    if version == 4:
        return ipaddress.IPv4Address(int(a)) if a >= 0 else None
    return ipaddress.IPv6Address(int(a)) if a is not None else None


def _iface(node, version):
    return node.ipv4 if version == 4 else node.ipv6


def _vtep(node, version):
    a = node.ipv4_vxlan_tunnel_addr if version == 4 else node.ipv6_vxlan_tunnel_addr
    return None if a is None else ipaddress.ip_address(str(a).split("/")[0])


class Oracle:
    """Each node's table, written from the resources, and a hop-by-hop walk."""

    def __init__(self, tables):
        self.t = tables
        self.c = c = tables.cluster
        self.v = v = tables.version
        self.width = 32 if v == 4 else 128
        self.blocks = [b for b in c.blocks if b.version == v]
        self.pods = [(i, _addr(c, i, v), int(c.pods.node_idx[i])) for i in range(c.n_pods) if _addr(c, i, v)]
        self.ips = list(tables.network.speakers.ip)
        self._tables = {}

    def _exports(self):
        """(network, pool, exporting node) of every BGP-exported prefix, and the VXLAN targets."""
        c, v = self.c, self.v
        out = []
        for b in self.blocks:
            pool = _pool(c, v, b.cidr.network_address)
            node = c.node_index(b.affinity) if b.affinity is not None else -1
            out.append((b.cidr, pool, node if node >= 0 and pool is not None and not pool.disable_bgp_export else -1,
                        node))
        for _, a, m in self.pods:
            pool = _pool(c, v, a)
            home = [b for b in self.blocks if a in b.cidr]
            own = bool(home) and home[0].affinity == c.node_names[m]
            exported = not own and pool is not None and not pool.disable_bgp_export
            vx_target = m if not own else -1
            out.append((ipaddress.ip_network(f"{a}/{self.width}"), pool, m if exported else -1, vx_target))
        return out

    def table(self, s):
        """[(network, action, next speaker, encap)] of speaker s."""
        if s in self._tables:
            return self._tables[s]
        c, v, t = self.c, self.v, self.t
        n = c.n_nodes
        prop = t.propagation
        if s < n and c.node_names[s] in t.network.down and t.up_tables is not None:
            prop = t.up_tables.propagation          # a stopped node keeps its routes
        rows = []
        if s < n:
            rows += [(ipaddress.ip_network(f"{a}/{self.width}"), DELIVER, -1, 0) for _, a, m in self.pods if m == s]
            rows += [(b.cidr, BLACKHOLE, -1, 0) for b in self.blocks
                     if b.affinity == c.node_names[s] and b.cidr.prefixlen < self.width]
        me = _iface(c.nodes[s], v) if s < n else None
        for net, pool, exporter, target in self._exports():
            vx = pool is not None and pool.vxlan_mode != "Never"
            if vx:
                if s >= n or target < 0 or target == s:
                    continue
                theirs = _iface(c.nodes[target], v)
                if (pool.vxlan_mode == "CrossSubnet" and me is not None and theirs is not None
                        and theirs.ip in me.network):
                    rows.append((net, "forward", target, Encap.NONE))
                elif _vtep(c.nodes[target], v) is not None:
                    rows.append((net, "forward", target, Encap.VXLAN))
                continue
            if exporter < 0:
                continue
            col = prop.class_of(exporter)
            hop = int(prop.best_next_hop[s, col]) if col >= 0 else -2
            if hop < 0:
                continue
            enc = Encap.NONE
            if v == 4 and s < n and pool.ipip_mode == "Always":
                enc = Encap.IPIP
            elif v == 4 and s < n and pool.ipip_mode == "CrossSubnet":
                if me is None or self.ips[hop] is None or self.ips[hop] not in me.network:
                    enc = Encap.IPIP
            rows.append((net, "forward", hop, enc))
        self._tables[s] = rows
        return rows

    def decide(self, s, addr):
        best = None
        for row in self.table(s):
            if addr in row[0] and (best is None or row[0].prefixlen > best[0].prefixlen):
                best = row
        if best is None:
            return NO_ROUTE, -1, 0
        return best[1], best[2], best[3]

    def walk(self, s, addr):
        seen = set()
        while True:
            if s in seen:
                return "loop"
            seen.add(s)
            action, nxt, _ = self.decide(s, addr)
            if action != "forward":
                return action
            s = nxt


_ACTION = {forwarding.terminal(Outcome.DELIVERED): DELIVER, forwarding.terminal(Outcome.BLACKHOLE): BLACKHOLE,
           forwarding.terminal(Outcome.NO_ROUTE): NO_ROUTE}
_END = {Outcome.DELIVERED: DELIVER, Outcome.BLACKHOLE: BLACKHOLE, Outcome.NO_ROUTE: NO_ROUTE, Outcome.LOOP: "loop"}


def _targets(oracle):
    out = [a for _, a, _ in oracle.pods]
    for b in oracle.blocks:
        out += [b.cidr.network_address, b.cidr.broadcast_address]
    for p in oracle.c.pools:
        if p.version == oracle.v:
            out.append(p.cidr.network_address + p.cidr.num_addresses // 3)
    return list(dict.fromkeys(out))


def check(tables):
    oracle = Oracle(tables)
    plane = tables.plane
    for s in range(tables.network.speakers.n):
        for a in _targets(oracle):
            state, encap = plane.decide(s, str(a))
            got = ("forward", state, encap) if state >= 0 else (_ACTION[state], -1, 0)
            want = oracle.decide(s, a)
            assert got == want, (tables.network.speaker_name(s), str(a), got, want, oracle.table(s))
    # the transitive closure: where a packet from every node to every pod ends
    units, outcome, _ = verify.reach_matrix(tables)
    # (decide() above read rows made on demand; verify the dense arrays:) any block of rows,
    # made from the propagation's rows alone, equals the dense arrays' rows
    fresh, n_sp = forwarding.build(tables), tables.network.speakers.n
    for a in range(0, n_sp, 3):
        for got, want in zip(fresh.rows(a, min(a + 3, n_sp)), (plane.entry, plane.entry_encap, plane.state,
                                                               plane.state_encap)):
            assert np.array_equal(got, want[a:a + 3])
    o = tables.network.origins
    pod_rows = np.flatnonzero(o.kind == 1)
    for pos, row in enumerate(pod_rows):
        a = ipaddress.ip_address(o.net[row]) if tables.version == 4 else ipaddress.IPv6Address(o.net[row])
        u = units.pod_unit[pos]
        for s in range(tables.cluster.n_nodes):
            assert _END[Outcome(int(outcome[s, u]))] == oracle.walk(s, a), (s, str(a))


@settings(max_examples=60, deadline=None)
@given(fs.scenarios(max_down=1, faults=fs.FAULTS + (None,)))
def test_plane_equals_the_oracle(s):
    check(routes.compute(s.cluster, down=s.down))


@settings(max_examples=20, deadline=None)
@given(fs.scenarios(max_down=1, dual_stack=True, max_nodes=4))
def test_plane_equals_the_oracle_over_ipv6(s):
    check(routes.compute(s.cluster, 6, down=s.down))


def test_hand_made_designs():
    check(routes.compute(examples.seed()))
    check(routes.compute(examples.seed(), down=["node1"]))
    for kw in ({"encapsulation": "VXLANCrossSubnet", "racks": 2}, {"encapsulation": "IPIPCrossSubnet", "racks": 2},
               {"encapsulation": "VXLAN"}, {"reflectors": 2}):
        check(routes.compute(synth.cluster(6, 3, pools=("10.10.0.0/16",), **kw).allocate()))
    # 6 nodes x 40 pods in a /24 of /26 blocks: borrowed /32s
    check(routes.compute(synth.cluster(6, 40, pools=["10.244.0.0/24"], seed=2).allocate()))


def test_plane_is_built_once_per_tables():
    t = routes.compute(examples.seed())
    assert t.plane is t.plane
    t.text("master")
    verify.verify(examples.seed(), tables=t)
    assert t.plane is t._plane


def test_one_node_table_of_a_large_design_makes_no_dense_arrays():
    """A node's table (routes, fib, lookup, trace's decisions) reads rows made on demand from
    the compact propagation: neither the (speakers x classes) propagation arrays nor the
    (speakers x prefixes) plane are made, and the rows equal the dense ones."""
    for reflectors in (0, 3):
        c = synth.cluster(600, 2, pools=("10.0.0.0/16",), reflectors=reflectors).allocate()
        t = routes.compute(c)
        assert t.propagation.compact is not None
        got = t.text("node-417")
        assert t.lookup("node-417", str(ipaddress.IPv4Address(int(c.pods.ipv4[5])))) is not None
        assert t.propagation._best_next_hop is None and t.plane._dense is None
        want = routes.RouteTables(t.network, t.propagation)
        want.plane.state                                  # the dense plane first
        assert want.text("node-417") == got


def test_a_node_without_vtep_falls_back_to_the_block_route():
    c = synth.cluster(3, 2, pools=("10.10.0.0/16",), encapsulation="VXLAN").allocate()
    nodes = list(c.nodes)
    import dataclasses
    nodes[2] = dataclasses.replace(nodes[2], ipv4_vxlan_tunnel_addr=None)
    c = c.replace(nodes=nodes)
    t = routes.compute(c)
    check(t)
    # no Felix route toward node-2's block anywhere: its pods are unreachable from elsewhere
    assert t.plane.decide(0, str(c.pods[c.n_pods - 1].ipv4))[0] == forwarding.terminal(Outcome.NO_ROUTE)
