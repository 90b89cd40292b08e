"""Why a node's table holds the route it does for a prefix: candidates and the deciding step."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..jsonout import Record
from ..errors import InvalidPrefixError
from .propagate import KIND_BLOCK, Reason, igp_metric, propagate_reference

if TYPE_CHECKING:
    from ..dataplane.routes import RouteTables

__all__ = ["Explanation", "why"]

_STEP_TEXT = {
    Reason.ONLY: "the only path",
    Reason.PREFERENCE: "route preference (static 200 beats BGP 100)",
    Reason.LOCAL_PREF: "higher LOCAL_PREF",
    Reason.AS_PATH: "shorter AS_PATH",
    Reason.ORIGIN: "lower ORIGIN",
    Reason.MED: "lower MED",
    Reason.EBGP: "eBGP over iBGP",
    Reason.IGP_METRIC: "lower IGP metric (next hop on the node's subnet)",
    Reason.ROUTER_ID: "lower router id (ORIGINATOR_ID when reflected)",
    Reason.CLUSTER_LIST: "shorter CLUSTER_LIST",
    Reason.PEER_ADDRESS: "lower peer address",
    Reason.EQUAL: "equal paths (the lower next hop is listed first)",
}


def _ip(n):
    return str(ipaddress.IPv4Address(n))


@dataclass
class Explanation(Record):
    node: str
    query: str
    prefix: str | None
    origin: str | None
    kernel: str | None
    candidates: list = field(default_factory=list)   # dicts, best first
    reason: str = ""
    note: str = ""

    def text(self):
        lines = [f"{self.node}: {self.query}"]
        if self.prefix is None:
            lines.append(f"  {self.note}")
            return "\n".join(lines) + "\n"
        lines.append(f"  prefix {self.prefix}, exported by {self.origin}")
        if not self.candidates:
            lines.append(f"  no path: {self.note}")
        for i, c in enumerate(self.candidates):
            mark = "*" if i == 0 else " "
            lines.append(
                f"  {mark} {c['from']:<28} next hop {c['next_hop']:<16} as_path [{c['as_path']}]"
                f" originator {c['originator'] or '-'} cluster_list [{c['cluster_list']}]"
                f" local_pref {c['local_pref']} igp {c['igp_metric']}")
        if self.candidates:
            lines.append(f"  best: {self.reason}")
        lines.append(f"  kernel: {self.kernel or 'no route'}")
        return "\n".join(lines) + "\n"

    def to_dict(self):
        return dict(self.__dict__)

    def table_rows(self):
        """One row per candidate path the node holds."""
        return list(self.candidates)


def why(tables: RouteTables, node: str, query: str) -> Explanation:
    """Explain `node`'s route for `query` (an address or prefix) in :class:`RouteTables`."""
    net = tables.network
    v = tables.node_index(node)
    name = tables.cluster.node_names[v]
    try:
        q = ipaddress.ip_network(query, strict=False)
    except ValueError:
        raise InvalidPrefixError(f"invalid prefix {query!r}: expected an address or a prefix") from None
    o = net.origins
    # the most specific exported prefix covering the query (what BGP carries);
    # failing that, the most specific known one
    best_i, best_key = -1, None
    for i in range(o.n):
        p = o.prefix(i)
        if p.version == q.version and q.subnet_of(p):
            key = (o.origin[i] >= 0, p.prefixlen)
            if best_key is None or key > best_key:
                best_i, best_key = i, key
    kernel = tables.lookup(v, str(q.network_address))
    ktext = kernel.text() if kernel else None
    if best_i < 0:
        return Explanation(name, query, None, None, ktext,
                           note="no block or pod route of the cluster covers it")
    prefix = str(o.prefix(best_i))
    origin = int(o.origin[best_i])
    if origin < 0:
        owner = int(o.owner[best_i])
        kind = "block" if o.kind[best_i] == KIND_BLOCK else "workload route"
        where = net.cluster.node_names[owner] if owner >= 0 else "no node"
        return Explanation(name, query, prefix, "nobody", ktext,
                           note=f"the {kind} on {where} is not exported (inside its own block, or outside "
                                "every pool, or its pool has disableBGPExport)")
    ref = propagate_reference(net.speakers, net.graph, [origin])
    paths = ref.paths.get((v, 0), [])
    rank = net.speakers.ip_rank()
    cands = []
    names = getattr(net.topology, "sessions", None)
    for p in paths:
        if p.session < 0:
            cands.append(dict(**{"from": "local (static blackhole)" if o.kind[best_i] == KIND_BLOCK
                                 else "local (kernel route from Felix)"},
                              next_hop="-", as_path="", originator=None, cluster_list="", local_pref="-",
                              igp_metric=0))
            continue
        peer = int(net.graph.remote[p.session])
        cands.append({
            "from": net.speaker_name(peer) + f" ({net.speakers.ip[peer]})",
            "next_hop": str(net.speakers.ip[p.next_hop]),
            "as_path": " ".join(str(a) for a in p.as_path),
            "originator": _ip(p.originator) if p.originator is not None else None,
            "cluster_list": " ".join(_ip(c) for c in p.cluster_list),
            "local_pref": 100 if p.local_pref is None else p.local_pref,
            "igp_metric": igp_metric(net.speakers, v, p.next_hop),
        })
    reason = _STEP_TEXT[Reason(int(ref.reason[v, 0]))] if paths else ""
    note = ""
    if not paths:
        note = ("no session brings it here: the origin's sessions are down, or iBGP split horizon / "
                "route-reflector rules (CLUSTER_LIST, ORIGINATOR_ID) stop it on the way")
    return Explanation(name, query, prefix, net.cluster.node_names[origin], ktext, cands, reason, note)
