"""Traffic matrices: millions of flows mapped onto nodes with batch lookups.

:func:`matrix` takes flows as arrays (source address, destination address,
bytes), finds each flow's source node (a longest-prefix match over every pod
``/32`` and node address), then walks the flows hop by hop *as arrays*: a
destination that is a pod on the current node is delivered; otherwise the
current node's state for it in the forwarding plane
(:mod:`fastroute.dataplane.forwarding`: the column from one batch lookup over
the prefixes the nodes route, the next hop and the encapsulation per node and
column) sends it on.  The result is bytes per (source node, destination node),
per node in and out, and per encapsulation, as plain numpy arrays.

Outcomes per flow (:data:`OUTCOMES`):

``delivered``
    to a pod or to a node's own address (another node's uplink address is reached
    over the connected subnet, unencapsulated);
``blackholed``
    into a block's blackhole (an address of a block no pod holds);
``unrouted``
    no cluster route on the node it reached: it takes the host's own routes
    (the default route, if the host has one), out of the cluster; this includes
    another node's uplink address outside the node's subnet (the underlay
    carries it, fastroute does not model the underlay);
``loop``
    the walk came back to a node it passed;
``unknown source``
    the source is neither a pod nor a node address.

Examples
--------
>>> import numpy as np
>>> from fastroute import examples, traffic
>>> from fastroute.addr import parse_addresses
>>> t = traffic.matrix(examples.seed(),
...                    parse_addresses(["10.244.219.66", "10.244.219.66"]),
...                    parse_addresses(["10.244.166.129", "10.244.219.65"]),
...                    np.array([1000, 50]))
>>> t.pair_bytes("master", "node1"), t.pair_bytes("master", "master")
(1000, 50)
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from . import routes as _routes
from .forwarding import Outcome, outcome_of
from ..jsonout import Record
from ..addr import as_addr_array, parse_addresses
from ..errors import FastrouteError, InvalidArrayError, InvalidValueError
from ..fib import Fib

if TYPE_CHECKING:
    from ..model.cluster import Cluster

__all__ = ["Traffic", "matrix", "read_flows", "OUTCOMES", "ENCAPS"]

OUTCOMES = ("delivered", "blackholed", "unrouted", "loop", "unknown source")
ENCAPS = ("none", "ipip", "vxlan")

# outcome codes (index into OUTCOMES): the forwarding plane's, with "unrouted" for no route
_DELIVERED, _BLACKHOLED, _UNROUTED, _LOOP, _UNKNOWN_SRC = (Outcome.DELIVERED, Outcome.BLACKHOLE, Outcome.NO_ROUTE,
                                                          Outcome.LOOP, Outcome.UNKNOWN_SOURCE)
_ACTIVE = -1


class Traffic(Record):
    """A traffic matrix over a cluster's nodes.

    Attributes
    ----------
    nodes : tuple of str
        Node names; every ``*_idx`` indexes this.
    pairs : dict of ndarray
        Delivered traffic per (source node, destination node): ``src_idx``,
        ``dst_idx`` (int32), ``bytes`` (int64 or float64, as the input), ``flows``
        (int64); one row per pair that carries traffic, sorted by (src, dst).
        Same-node traffic has ``src_idx == dst_idx``.
    node_out, node_in : ndarray, shape (n_nodes,)
        Bytes each node sends to / receives from other nodes, every leg counted
        (a flow relayed through a node counts in and out there).
    node_local : ndarray, shape (n_nodes,)
        Bytes delivered pod to pod within a node.
    encap_bytes : dict of str to number
        Bytes on node-to-node legs per encapsulation (payload, without the outer headers).
    outcome_bytes, outcome_flows : dict of str to number
        Per :data:`OUTCOMES`.
    flow : dict of ndarray
        Per input flow: ``src_idx``, ``dst_idx`` (delivering node, -1 if not
        delivered), ``outcome`` (index into OUTCOMES), ``legs`` (node-to-node
        legs), ``encap`` (index into ENCAPS of the first leg, -1 if none).
    """

    def __init__(self, nodes: Iterable[str], flow: dict[str, np.ndarray], bytes_: np.ndarray) -> None:
        self.nodes = tuple(nodes)
        self.flow = flow
        n = len(self.nodes)
        out = flow["outcome"]
        integer = bytes_.dtype.kind in "iu"
        cast = (lambda x: np.rint(x).astype(np.int64)) if integer else (lambda x: x)
        add = _exact_sums if integer else (lambda idx, w, size: np.bincount(idx, weights=w, minlength=size))
        self._cast = cast
        ok = out == _DELIVERED
        s, d, b = flow["src_idx"][ok].astype(np.int64), flow["dst_idx"][ok].astype(np.int64), bytes_[ok]
        key = s * n + d
        uk, inv = np.unique(key, return_inverse=True)
        self.pairs = {
            "src_idx": (uk // n).astype(np.int32), "dst_idx": (uk % n).astype(np.int32),
            "bytes": add(inv, b, len(uk)) if len(uk) else np.zeros(0, bytes_.dtype),
            "flows": np.bincount(inv, minlength=len(uk)).astype(np.int64),
        }
        local = ok & (flow["src_idx"] == flow["dst_idx"])
        self.node_local = add(flow["src_idx"][local], bytes_[local], n)
        self.outcome_bytes = {name: _num(bytes_[out == k].sum(dtype=bytes_.dtype))
                              for k, name in enumerate(OUTCOMES)}
        self.outcome_flows = {name: int((out == k).sum()) for k, name in enumerate(OUTCOMES)}
        self.node_out = None
        self.node_in = None
        self.encap_bytes = None
        self.routers = ()               # modelled Routers that route flows (fastroute.model.routers)
        self.router_out = None          # per router: bytes it forwards on / receives, every leg
        self.router_in = None

    # ------------------------------------------------------------------ views

    @property
    def n_nodes(self):
        return len(self.nodes)

    def pair_bytes(self, src, dst):
        """Delivered bytes from node `src` to node `dst` (names or indices)."""
        s = self.nodes.index(src) if isinstance(src, str) else int(src)
        d = self.nodes.index(dst) if isinstance(dst, str) else int(dst)
        hit = (self.pairs["src_idx"] == s) & (self.pairs["dst_idx"] == d)
        return _num(self.pairs["bytes"][hit].sum()) if hit.any() else 0

    def dense(self):
        """The (n_nodes, n_nodes) matrix of delivered bytes (for small clusters)."""
        if self.n_nodes > 20_000:
            raise InvalidValueError(f"a dense matrix of {self.n_nodes} nodes is too large; use .pairs")
        m = np.zeros((self.n_nodes, self.n_nodes), dtype=self.pairs["bytes"].dtype)
        m[self.pairs["src_idx"], self.pairs["dst_idx"]] = self.pairs["bytes"]
        return m

    def to_pandas(self):
        """``pairs`` as a pandas DataFrame with node names (pandas is optional)."""
        import pandas as pd

        names = np.asarray(self.nodes, dtype=object)
        return pd.DataFrame({"src": names[self.pairs["src_idx"]], "dst": names[self.pairs["dst_idx"]],
                             "bytes": self.pairs["bytes"], "flows": self.pairs["flows"]})

    def to_dict(self, top=None):
        """A JSON-serialisable summary; ``top`` keeps only the largest pairs."""
        order = np.argsort(-self.pairs["bytes"], kind="stable")
        if top is not None:
            order = order[:top]
        return {
            "n_nodes": self.n_nodes,
            "n_flows": int(len(self.flow["outcome"])),
            "outcomes": {k: {"bytes": self.outcome_bytes[k], "flows": self.outcome_flows[k]} for k in OUTCOMES},
            "encapsulation_bytes": {k: _num(v) for k, v in self.encap_bytes.items()},
            "pairs": [{"src": self.nodes[int(self.pairs["src_idx"][i])], "dst": self.nodes[int(self.pairs["dst_idx"][i])],
                       "bytes": _num(self.pairs["bytes"][i]), "flows": int(self.pairs["flows"][i])} for i in order],
            "nodes": [{"node": self.nodes[i], "out": _num(self.node_out[i]), "in": _num(self.node_in[i]),
                       "local": _num(self.node_local[i])} for i in range(self.n_nodes)],
            "routers": [{"router": r, "out": _num(self.router_out[i]), "in": _num(self.router_in[i])}
                        for i, r in enumerate(self.routers)],
        }


#: The largest byte total a traffic matrix adds up: int64's.  Integer byte counts are summed exactly
#: per pair; node totals (summed over legs) are exact up to 2**53 and within float64 rounding above.
MAX_TOTAL_BYTES = 2**63 - 1


def _checked_bytes(nbytes, what, row):
    """`nbytes` if every count is a finite number >= 0 and their total fits int64 (as int64 when
    the counts are integers); InvalidValueError naming the first bad one (`row` and its index) otherwise."""
    if nbytes.dtype.kind == "f":
        bad = ~np.isfinite(nbytes) | (nbytes < 0)
    else:
        bad = nbytes < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(f"{what}: invalid byte count {nbytes[i].item()!r} at {row} {i}: "
                                "expected a finite number >= 0")
    total = float(nbytes.sum(dtype=np.float64))
    if total >= MAX_TOTAL_BYTES or nbytes.dtype.kind == "u" and len(nbytes) and int(nbytes.max()) > MAX_TOTAL_BYTES:
        raise InvalidValueError(f"{what}: the byte counts add up to {total:.4g}, more than a traffic matrix "
                                f"holds ({MAX_TOTAL_BYTES:,}, int64); use a larger unit (KiB, MiB)")
    return nbytes.astype(np.int64) if nbytes.dtype.kind in "iu" else nbytes


def _exact_sums(idx, weights, size):
    # integer byte counts summed in int64 (exact; _checked_bytes bounds the total)
    acc = np.zeros(size, np.int64)
    np.add.at(acc, idx, weights.astype(np.int64, copy=False))
    return acc


def _num(x):
    x = np.asarray(x).item()
    return int(x) if isinstance(x, (int, np.integer)) or float(x).is_integer() and abs(x) < 2**62 else float(x)


# ---------------------------------------------------------------------------- reading


def read_flows(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a flows CSV: columns ``src``, ``dst``, ``bytes`` (a header naming them, in any
    order, with other columns ignored; without a header, the first three columns).

    Returns
    -------
    dict with ``src``, ``dst`` (ndarray of uint32) and ``bytes`` (ndarray of int64, or
    float64 when a value has a fraction)

    Raises
    ------
    FastrouteError
        A malformed row, naming the line; InvalidAddressError naming a bad address.
    """
    with open(path, "rb") as f:
        first = f.readline().strip()
    if not first:
        raise InvalidValueError(f"{path}: empty flows file (expected src,dst,bytes rows)")
    cells = [c.strip().strip(b'"').decode("ascii", "replace").lower() for c in first.split(b",")]
    skip = 0
    cols = (0, 1, 2)
    if _parse_one(cells[0]) is None:
        skip = 1
        try:
            cols = tuple(cells.index(k) for k in ("src", "dst", "bytes"))
        except ValueError:
            raise InvalidValueError(f"{path}: header {first.decode(errors='replace')!r} must name columns "
                                    f"src, dst and bytes") from None
    elif len(cells) < 3:
        raise InvalidValueError(f"{path}: line 1 {first.decode(errors='replace')!r}: expected src,dst,bytes")
    try:
        data = np.loadtxt(path, dtype="S40", delimiter=",", skiprows=skip, usecols=cols, ndmin=2,
                          comments=None, encoding=None)
    except ValueError as e:
        raise InvalidValueError(f"{path}: {e}") from None
    if data.shape[0] == 0:
        z = np.zeros(0, np.uint32)
        return {"src": z, "dst": z.copy(), "bytes": np.zeros(0, np.int64)}
    where = f"{os.path.basename(str(path))}"
    try:
        try:
            src = parse_addresses(data[:, 0], 4)
            dst = parse_addresses(data[:, 1], 4)
        except FastrouteError:
            data = np.strings.strip(data)       # spaces around cells: strip only when needed (it costs)
            src = parse_addresses(data[:, 0], 4)
            dst = parse_addresses(data[:, 1], 4)
    except FastrouteError as e:
        raise type(e)(f"{where}: {e} (row index counts data rows from 0)") from None
    raw = data[:, 2]
    try:
        nbytes = raw.astype(np.int64)       # numpy's int parse accepts surrounding spaces
    except ValueError:
        try:
            nbytes = raw.astype(np.float64)
        except ValueError:
            bad = next(i for i, v in enumerate(raw.tolist()) if not _is_number(v))
            raise InvalidValueError(f"{where}: invalid bytes {raw[bad].decode(errors='replace')!r} at data row "
                                    f"{bad}: expected a number") from None
    return {"src": src, "dst": dst, "bytes": _checked_bytes(nbytes, f"{where}: bytes", "data row")}


def _parse_one(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_number(b):
    try:
        float(b)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------------------- the matrix


def _node_fib(cluster):
    """Pod /32s -> node i; node addresses -> n_nodes + i; tunnel addresses -> 2 n_nodes + i."""
    pods = cluster.pods
    n = cluster.n_nodes
    has = pods.ipv4 >= 0
    host_n, host_v = [], []
    for i, node in enumerate(cluster.nodes):
        for k, a in enumerate((node.ipv4, node.ipv4_ipip_tunnel_addr, node.ipv4_vxlan_tunnel_addr)):
            if a is not None:
                host_n.append(int(ipaddress.ip_address(str(a).split("/")[0])))
                host_v.append((1 if k == 0 else 2) * n + i)
    # host addresses first so that a pod /32 on the same address (none in practice) wins
    nets = np.concatenate([np.array(host_n, np.uint32), pods.ipv4[has].astype(np.uint32)])
    vals = np.concatenate([np.array(host_v, np.int32), pods.node_idx[has].astype(np.int32)])
    return Fib.from_arrays(nets, np.full(len(nets), 32, np.uint8), vals, version=4)


def _leg(idx, cur, nxt, enc, wbytes, node_out, node_in, enc_bytes, legs, first_encap, n):
    """Account one node-to-node leg of the flows ``idx``."""
    w = wbytes[idx]
    node_out += np.bincount(cur, weights=w, minlength=n)
    node_in += np.bincount(nxt, weights=w, minlength=n)
    enc_bytes += np.bincount(enc, weights=w, minlength=len(ENCAPS))
    first = legs[idx] == 0
    first_encap[idx[first]] = enc[first]
    legs[idx] += 1


def matrix(cluster_or_tables: Cluster | _routes.RouteTables, src: ArrayLike | Sequence[str],
           dst: ArrayLike | Sequence[str], nbytes: ArrayLike, *, calico_version: str | None = None,
           max_legs: int | None = None) -> Traffic:
    """Map flows onto the cluster's nodes.

    Parameters
    ----------
    cluster_or_tables : Cluster or routes.RouteTables
        The cluster (allocated, or a plan: allocated here) or its IPv4 tables
        (computed with every node up).
    src, dst : ndarray of uint32, shape (n_flows,), or sequences of address text
    nbytes : ndarray of int or float, shape (n_flows,)
    max_legs : int, optional
        Node-to-node legs before a flow counts as a loop (default: number of nodes).

    Returns
    -------
    Traffic

    Raises
    ------
    InvalidArrayError
        Arrays of different lengths.
    InvalidValueError
        Tables computed with nodes down (not modelled here; use :func:`fastroute.dataplane.trace`).
    """
    if hasattr(cluster_or_tables, "route_matrix"):
        tables = cluster_or_tables
    else:
        c = cluster_or_tables
        tables = _routes.compute(c if c.is_allocated else c.allocate(), 4, calico_version=calico_version)
    if tables.version != 4:
        raise InvalidValueError(f"traffic matrices are IPv4 only, got IPv{tables.version} tables")
    if tables.network.down:
        raise InvalidValueError(f"traffic with nodes down ({', '.join(sorted(tables.network.down))}) is not "
                                f"modelled: a stopped node's own kernel keeps its routes; trace such flows one by one")
    cluster = tables.cluster
    src = as_addr_array(src, 4)
    dst = as_addr_array(dst, 4)
    nbytes = np.asarray(nbytes)
    if not (src.shape[0] == dst.shape[0] == nbytes.shape[0]) or nbytes.ndim != 1:
        raise InvalidArrayError(f"src, dst and bytes must have one equal length, got {src.shape[0]}, "
                                f"{dst.shape[0]}, {nbytes.shape}")
    if nbytes.dtype.kind not in "iuf":
        raise InvalidArrayError(f"bytes must be numbers, got dtype {nbytes.dtype}")
    nbytes = _checked_bytes(nbytes, "bytes", "index")
    n = cluster.n_nodes
    m = src.shape[0]
    # modelled Routers that are up route flows on (a ToR, a spine); any other gateway ends them
    routers = {e.index: e.router.name for e in tables.network.externals
               if e.router is not None and e.version == 4}
    n_sp = n + len(tables.network.externals)
    walk = np.zeros(n_sp + 1, bool)
    walk[:n] = True
    walk[list(routers)] = True
    max_legs = n + len(routers) if max_legs is None else int(max_legs)

    nodefib = _node_fib(cluster)
    s_hit = nodefib.lookup_batch(src)
    d_hit = nodefib.lookup_batch(dst)
    s_node = np.where(s_hit >= 0, s_hit % n, -1).astype(np.int32)      # a host source is its node
    d_node = np.where(d_hit >= 0, d_hit % n, -1).astype(np.int32)      # pod's node or host's node, -1
    d_host = (d_hit >= n) & (d_hit < 2 * n)                            # a node's own (uplink) address
    plane = tables.plane
    col = plane.fib.lookup_batch(dst) if len(plane.columns) else np.full(m, -1, np.int32)
    # column -1: no cluster route (the plane's extra column of "no route" states)
    state = np.concatenate([plane.state, np.full((n_sp, 1), -1 - Outcome.NO_ROUTE, np.int32)], axis=1)
    state_encap = np.concatenate([plane.state_encap, np.zeros((n_sp, 1), np.int8)], axis=1)
    col = np.where(col >= 0, col, state.shape[1] - 1)

    outcome = np.full(m, _ACTIVE, np.int8)
    outcome[s_node < 0] = _UNKNOWN_SRC
    dst_node = np.full(m, -1, np.int32)
    legs = np.zeros(m, np.int32)
    first_encap = np.full(m, -1, np.int8)
    node_out = np.zeros(n_sp, np.float64)
    node_in = np.zeros(n_sp, np.float64)
    enc_bytes = np.zeros(len(ENCAPS), np.float64)
    wbytes = nbytes.astype(np.float64)

    idx = np.flatnonzero(outcome == _ACTIVE)
    cur = s_node[idx].astype(np.int64)
    for _ in range(max_legs + 1):
        if idx.size == 0:
            break
        here = d_node[idx] == cur
        dst_node[idx[here]] = cur[here]
        outcome[idx[here]] = _DELIVERED
        keep = ~here
        idx, cur = idx[keep], cur[keep]
        # another node's own address: its connected-subnet route, unencapsulated; beyond the
        # subnet the host's own routes (the underlay) take it, which fastroute does not model
        h = d_host[idx]
        at_router = h & (cur >= n)              # a node's address from a Router: the underlay's
        outcome[idx[at_router]] = _UNROUTED
        idx, cur, h = idx[~at_router], cur[~at_router], h[~at_router]
        if h.any():
            hi, hc = idx[h], cur[h]
            hn = d_node[hi].astype(np.int64)
            near = plane.subnets.same(hc, hn)
            outcome[hi[~near]] = _UNROUTED
            _leg(hi[near], hc[near], hn[near], np.zeros(int(near.sum()), np.int8), wbytes, node_out, node_in,
                 enc_bytes, legs, first_encap, n_sp)
            hop_idx, hop_cur = hi[near], hn[near]
            idx, cur = idx[~h], cur[~h]
        else:
            hop_idx = hop_cur = np.zeros(0, np.int64)
        c = col[idx]
        nxt = state[cur, c].astype(np.int64)
        enc = state_encap[cur, c]
        end = nxt < 0
        outcome[idx[end]] = outcome_of(nxt[end])
        mine = nxt == -1 - _DELIVERED
        dst_node[idx[mine]] = cur[mine]
        ext = (nxt >= 0) & ~walk[np.clip(nxt, 0, n_sp)]    # toward an external router: out of the cluster
        outcome[idx[ext]] = _UNROUTED
        go = ~(end | ext)
        idx, cur, nxt, enc = idx[go], cur[go], nxt[go], enc[go]
        _leg(idx, cur, nxt, enc, wbytes, node_out, node_in, enc_bytes, legs, first_encap, n_sp)
        idx = np.concatenate([idx, hop_idx])
        cur = np.concatenate([nxt, hop_cur])
    outcome[idx] = _LOOP
    flow = {"src_idx": s_node, "dst_idx": dst_node, "outcome": outcome, "legs": legs, "encap": first_encap}
    t = Traffic(cluster.node_names, flow, nbytes)
    t.node_out = t._cast(node_out[:n])
    t.node_in = t._cast(node_in[:n])
    rows = sorted(routers)
    t.routers = tuple(routers[r] for r in rows)
    t.router_out = t._cast(node_out[rows]) if rows else t._cast(np.zeros(0))
    t.router_in = t._cast(node_in[rows]) if rows else t._cast(np.zeros(0))
    t.encap_bytes = {k: _num(t._cast(np.array(enc_bytes[i]))) for i, k in enumerate(ENCAPS)}
    return t
