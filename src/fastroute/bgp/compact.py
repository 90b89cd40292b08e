"""Route tables whose size grows with the design, not with nodes x prefixes.

In Calico's node-to-node mesh without route reflectors (confd's
``bird.cfg.template``: one ``Mesh_`` iBGP protocol toward every other node, no
``rr client``), a route is sent only by the node that originates it: BIRD 1.6's
``bgp_import_control``/``bgp_export`` refuse to pass a route learned over iBGP
to another iBGP peer unless one side is a route-reflector client
(``proto/bgp/attrs.c``).  So at steady state every mesh member holds exactly one
path to another member's class -- from the originator, next hop the originator
(iBGP keeps it) -- and the originator holds its own route.  Nothing else reaches
anyone: a node outside the mesh (down, or without an address of the version)
has no route but its own.

:class:`MeshRoutes` holds that steady state as the member list and the class
origins (O(nodes + classes) memory) and makes the dense
:class:`~fastroute.bgp.propagate.Propagation` arrays, or any block of next-hop
columns, on request.  The kernel (``method="fast"``) and the reference
propagation compute the same result from the explicit session rows; the tests
hold the three to each other (docs/route-tables.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidValueError
from .propagate import Propagation, SessionGraph, Speakers

__all__ = ["MeshRoutes", "ReflectorRoutes", "class_next_hops", "propagate_mesh", "propagate_reflectors"]


def class_next_hops(n_speakers: int, classes: np.ndarray, kind: np.ndarray, reach: np.ndarray,
                    cls: np.ndarray, rows: slice, out: np.ndarray | None = None) -> np.ndarray:
    """Next hops (int32, ``len(rows) x len(cls)``) of speakers ``rows`` (a slice) for
    class columns ``cls`` when every path to a class keeps the origin as next hop
    (iBGP without next-hop-self): the origin where ``reach[kind[holder],
    kind[origin]]``, -1 at the origin itself, -2 (no route) elsewhere.  Written
    into ``out`` when given."""
    start, stop, _ = rows.indices(n_speakers)
    stop = max(stop, start)
    cls = np.asarray(cls, np.int64)
    origin = classes[cls].astype(np.int64)
    if out is None:
        out = np.empty((stop - start, len(cls)), np.int32)
    out[:] = origin[None, :]
    hk, ck = kind[start:stop], kind[origin]
    hu, cu = np.unique(hk), np.unique(ck)
    if not reach[np.ix_(hu, cu)].all():
        out[~reach[np.ix_(hk, ck)]] = -2
    mine = (origin >= start) & (origin < stop)
    out[origin[mine] - start, np.flatnonzero(mine)] = -1
    return out


_DTYPES = {"best_next_hop": np.int32, "best_session": np.int32, "reason": np.uint8, "n_paths": np.int32,
           "ecmp_count": np.int32}


def _shape(n_speakers, cls, rows):
    start, stop, _ = rows.indices(n_speakers)
    return max(stop - start, 0), len(cls)


def _into(values, out, dtype):
    """``values`` as ``dtype``, written into ``out`` when given."""
    if out is None:
        return np.asarray(values, dtype=dtype)
    out[:] = values
    return out


def _dense_columns(form, name, cls, rows, out):
    """``<name>[rows][:, cls]`` read from the dense arrays of a compact form."""
    if name not in _DTYPES:
        raise InvalidValueError(f"invalid propagation field {name!r}: expected one of {sorted(_DTYPES)}")
    return np.take(form.dense()[name][rows], np.asarray(cls, np.int64), axis=1, out=out)


@dataclass(frozen=True)
class MeshRoutes:
    """Steady state of an iBGP full mesh among ``members`` (speaker indices, in
    the order of :func:`fastroute.bgp.network.mesh_rows`, whose row numbering
    gives each path's session row) for the classes originated by ``classes``."""

    n_speakers: int
    members: np.ndarray     # int32 mesh members, in mesh row order
    classes: np.ndarray     # int32 origin speaker per class

    @property
    def position(self):
        """Each speaker's position among the members (-1: not a member)."""
        pos = np.full(self.n_speakers, -1, np.int64)
        pos[self.members] = np.arange(len(self.members))
        return pos

    def default_next_hop(self, cls=None):
        """The next hop every member except the origin holds for each class
        (``cls``: class columns, default all): the origin when it is a member,
        else -2 (no route)."""
        origin = self.classes if cls is None else self.classes[cls]
        return np.where(self.position[origin] >= 0, origin, -2).astype(np.int32)

    def route_columns(self, cls, rows, out=None):
        """``best_next_hop[rows][:, cls]`` without the dense arrays (``rows``: a slice),
        written into ``out`` when given."""
        kind = np.where(self.position >= 0, 0, 1)
        return class_next_hops(self.n_speakers, self.classes, kind, np.array([[True, False], [False, False]]),
                               cls, rows, out)

    def columns(self, name, cls, rows, out=None):
        """``<name>[rows][:, cls]`` of the :class:`Propagation` arrays without making them
        (``rows``: a slice); ``best_session`` from the dense form."""
        if name == "best_next_hop":
            return self.route_columns(cls, rows, out)
        if name == "n_paths":             # one path (the origin's), or none
            return _into(self.route_columns(cls, rows) != -2, out, np.int32)
        if name in ("reason", "ecmp_count"):
            return _into(np.zeros(_shape(self.n_speakers, cls, rows), bool), out, _DTYPES[name])
        return _dense_columns(self, name, cls, rows, out)

    def dense(self):
        """The :class:`Propagation` arrays (``best_next_hop``, ``best_session``,
        ``reason``, ``n_paths``, ``ecmp_count``), ``(n_speakers, n_classes)`` each."""
        n, k, km = self.n_speakers, len(self.classes), len(self.members)
        origin = self.classes.astype(np.int64)
        opos = self.position[origin]
        cols = np.flatnonzero(opos >= 0)
        nh = np.full((n, k), -2, np.int32)
        session = np.full((n, k), -1, np.int32)
        if len(cols) and km:
            nh[np.ix_(self.members, cols)] = origin[cols][None, :]
            pj = np.arange(km, dtype=np.int64)[:, None]
            po = opos[cols][None, :]
            # holder j's row toward origin o: j * (k - 1) + o - (o > j) (mesh_rows' numbering)
            session[np.ix_(self.members, cols)] = pj * (km - 1) + po - (po > pj)
        every = np.arange(k)
        nh[origin, every] = -1
        session[origin, every] = -1
        return {"best_next_hop": nh, "best_session": session, "reason": np.zeros((n, k), np.uint8),
                "n_paths": (nh != -2).astype(np.int32), "ecmp_count": np.zeros((n, k), np.int32)}


def propagate_mesh(n_speakers: int, members: np.ndarray, classes: np.ndarray) -> Propagation:
    """The :class:`Propagation` of an iBGP full mesh among ``members`` (no other
    session, every member in one AS), in closed form (:class:`MeshRoutes`)."""
    classes = np.ascontiguousarray(classes, np.int32)
    compact = MeshRoutes(int(n_speakers), np.ascontiguousarray(members, np.int32), classes)
    return Propagation(classes=classes.copy(), compact=compact)


# ---------------------------------------------------------------------------- reflectors


@dataclass(frozen=True)
class _Design:
    """A reflector design read from session rows: ``reflectors`` (speakers with an
    ``rr client`` row), each other speaker with a session a client of some of them
    (``group``: clients peering with the same reflectors), ``client_rows[o, j]``:
    the row of client ``o`` toward reflector ``j`` (-1: none), ``reflector_rows[j, c]``
    the row of reflector ``j`` toward client ``c``."""

    reflectors: np.ndarray
    kind: np.ndarray            # per speaker: reflector j -> j, client group g -> n_reflectors + g, else -1
    n_groups: int
    client_rows: np.ndarray
    reflector_rows: np.ndarray


def _reflector_design(speakers, graph):
    """The :class:`_Design` of ``graph``, or None when its routes may not follow
    from one representative per group: an eBGP, next-hop-keeping or non-ADD-PATH
    row, an external router, two ASNs or two equal router ids among the speakers
    with a session, a client row that is an ``rr client`` row or leads to a
    non-reflector, reflector rows toward clients that differ but for the client."""
    n = speakers.n
    local, remote = np.asarray(graph.local, np.int64), np.asarray(graph.remote, np.int64)
    client = np.asarray(graph.rr_client, bool)
    if (not graph.n or not client.any() or np.asarray(speakers.external, bool).any()
            or not np.asarray(speakers.announces, bool).all() or np.asarray(graph.ebgp, bool).any()
            or np.asarray(graph.keep_next_hop, bool).any() or not np.asarray(graph.add_paths, bool).all()):
        return None
    active = np.zeros(n, bool)
    active[local] = True
    asn = np.asarray(speakers.asn)[active]
    rid = np.asarray(speakers.router_id)[active]
    if (asn != asn[0]).any() or len(np.unique(rid)) != len(rid) or any(speakers.ip[i] is None for i in np.flatnonzero(active)):
        return None
    reflectors = np.unique(local[client]).astype(np.int32)
    nr = len(reflectors)
    if nr > 62:
        return None
    rpos = np.full(n, -1, np.int64)
    rpos[reflectors] = np.arange(nr)
    from_client = rpos[local] < 0
    to_client = ~from_client & (rpos[remote] < 0)
    if (client[from_client].any() or (rpos[remote[from_client]] < 0).any() or not client[to_client].all()):
        return None
    # a reflector's rows toward its clients differ in the client only (one cluster id)
    cid = np.asarray(graph.cluster_id, np.int64)[to_client]
    lo, hi = np.full(nr, 1 << 40, np.int64), np.full(nr, -1, np.int64)
    np.minimum.at(lo, rpos[local[to_client]], cid)
    np.maximum.at(hi, rpos[local[to_client]], cid)
    if ((hi >= 0) & (lo != hi)).any():
        return None
    client_rows = np.full((n, nr), -1, np.int32)
    reflector_rows = np.full((nr, n), -1, np.int32)
    rows = np.flatnonzero(from_client)
    if len(np.unique(local[rows] * nr + rpos[remote[rows]])) != len(rows):
        return None                     # two rows toward one reflector
    client_rows[local[rows], rpos[remote[rows]]] = rows
    rows = np.flatnonzero(to_client)
    reflector_rows[rpos[local[rows]], remote[rows]] = rows
    mask = np.zeros(n, np.int64)
    np.bitwise_or.at(mask, local[from_client], np.int64(1) << rpos[remote[from_client]])
    kind = np.full(n, -1, np.int64)
    kind[reflectors] = np.arange(nr)
    clients = np.flatnonzero(active & (rpos < 0))
    sets, group = np.unique(mask[clients], return_inverse=True)
    kind[clients] = nr + group.reshape(-1)
    return _Design(reflectors, kind, len(sets), client_rows, reflector_rows)


@dataclass(frozen=True)
class ReflectorRoutes:
    """Steady state of a route-reflector design (:func:`_reflector_design`),
    held per kind of speaker -- each reflector, each group of clients peering
    with the same reflectors, and speakers without a session -- not per speaker.

    Every client of a group receives each class over the same reflectors with the
    same attributes (iBGP keeps the originator's next hop and ORIGINATOR_ID, the
    cluster lists are the reflectors'; a client reflects nothing), so one
    representative client per group (two: one to originate, one to observe
    the group's own classes) and the reflectors, propagated by the kernel, give
    every speaker's best path: ``table[holder kind, class kind]``, with the
    session rows renamed to the holder's and origin's own."""

    n_speakers: int
    classes: np.ndarray
    design: _Design
    reach: np.ndarray           # bool (kinds x kinds): the holder kind has a route to the class kind
    table: dict                 # name -> (kinds x kinds) value of reason, n_paths, ecmp_count
    at_origin: dict             # name -> per kind: the value at the origin itself
    session_remote: np.ndarray  # (kinds x kinds) int64: the best path's neighbour (speaker; -1 none,
                                # -2 the class origin)
    reflector_row: np.ndarray   # (kinds x kinds) int64: a reflector's best row when it leads to a reflector

    def _kinds(self):
        """Kind per speaker, speakers without a session as the last kind."""
        k = self.design.kind
        return np.where(k >= 0, k, self.reach.shape[0] - 1)

    def route_columns(self, cls, rows, out=None):
        """``best_next_hop[rows][:, cls]`` without the dense arrays (``rows``: a slice),
        written into ``out`` when given."""
        return class_next_hops(self.n_speakers, self.classes, self._kinds(), self.reach, cls, rows, out)

    def columns(self, name, cls, rows, out=None):
        """``<name>[rows][:, cls]`` of the :class:`Propagation` arrays without making them
        (``rows``: a slice); ``best_session`` from the dense form."""
        if name == "best_next_hop":
            return self.route_columns(cls, rows, out)
        if name not in self.table:
            return _dense_columns(self, name, cls, rows, out)
        start, stop, _ = rows.indices(self.n_speakers)
        stop = max(stop, start)
        cls = np.asarray(cls, np.int64)
        kind = self._kinds()
        origin = self.classes[cls].astype(np.int64)
        a = _into(self.table[name][kind[start:stop, None], kind[origin][None, :]], out, _DTYPES[name])
        mine = (origin >= start) & (origin < stop)          # the value at the class origin itself
        a[origin[mine] - start, np.flatnonzero(mine)] = self.at_origin[name][kind[origin[mine]]]
        return a

    def dense(self):
        """The :class:`Propagation` arrays, ``(n_speakers, n_classes)`` each."""
        n, k = self.n_speakers, len(self.classes)
        kind = self._kinds()
        origin = self.classes.astype(np.int64)
        hk, ck = kind[:, None], kind[origin][None, :]
        every_row, every_class = slice(0, n), np.arange(k)
        out = {name: self.columns(name, every_class, every_row)
               for name in ("best_next_hop", "reason", "n_paths", "ecmp_count")}
        d = self.design
        nr = len(d.reflectors)
        shape = (n, k)
        holder = np.broadcast_to(np.arange(n)[:, None], shape)
        hk, ck, origin = np.broadcast_to(hk, shape), np.broadcast_to(ck, shape), origin[None, :]
        far = self.session_remote[hk, ck]               # the best path's neighbour per (speaker, class)
        rpos = np.full(n, -1, np.int64)
        rpos[d.reflectors] = np.arange(nr)
        session = np.full(shape, -1, np.int32)
        pick = (far >= 0) & (hk >= nr)                  # a client, from one of its reflectors
        session[pick] = d.client_rows[holder[pick], rpos[far[pick]]]
        pick = (far == -2)                              # a reflector, straight from the origin client
        session[pick] = d.reflector_rows[hk[pick], np.broadcast_to(origin, shape)[pick]]
        pick = (far >= 0) & (hk < nr)                   # a reflector, from another reflector
        session[pick] = self.reflector_row[hk[pick], ck[pick]]
        every = np.arange(k)
        session[self.classes, every] = -1
        out["best_session"] = session
        return out


def _reduced(speakers, keep):
    """The :class:`Speakers` ``keep`` (in that order) of ``speakers``."""
    from .propagate import Speakers
    return Speakers([speakers.ip[i] for i in keep], np.asarray(speakers.asn)[keep],
                    np.asarray(speakers.router_id)[keep], [speakers.subnet[i] for i in keep],
                    np.asarray(speakers.external)[keep], np.asarray(speakers.announces)[keep],
                    np.asarray(speakers.role)[keep])


def propagate_reflectors(speakers: Speakers, graph: SessionGraph,
                         classes: np.ndarray) -> Propagation | None:
    """The :class:`Propagation` of a route-reflector design (:class:`ReflectorRoutes`:
    the kernel on the reflectors and a representative or two of each client group),
    or None when ``graph`` is not one (:func:`_reflector_design`) and the whole
    graph must be propagated."""
    from .propagate import propagate_fast

    d = _reflector_design(speakers, graph)
    if d is None:
        return None
    n, nr, ng = speakers.n, len(d.reflectors), d.n_groups
    clients = np.flatnonzero(d.kind >= nr)
    group = d.kind[clients] - nr
    order = np.argsort(group, kind="stable")
    clients, group = clients[order], group[order]
    start = np.searchsorted(group, np.arange(ng))
    count = np.bincount(group, minlength=ng)
    first = clients[start]
    second = np.where(count > 1, clients[np.minimum(start + 1, len(clients) - 1)], -1)
    keep = np.concatenate([d.reflectors, first, second[second >= 0]]).astype(np.int64)
    pos = np.full(n, -1, np.int64)
    pos[keep] = np.arange(len(keep))
    sel = np.flatnonzero((pos[graph.local] >= 0) & (pos[graph.remote] >= 0))
    small = SessionGraph(pos[graph.local[sel]].astype(np.int32), pos[graph.remote[sel]].astype(np.int32),
                         graph.rr_client[sel], graph.cluster_id[sel], graph.ebgp[sel], graph.keep_next_hop[sel],
                         graph.allow_local_as[sel], graph.add_paths[sel])
    kinds = nr + ng + 1
    origin_of = np.arange(nr + ng)                   # reduced origin speaker (= column) of each kind
    res = propagate_fast(_reduced(speakers, keep), small, origin_of.astype(np.int32))
    observer = np.concatenate([np.arange(nr), nr + np.arange(ng)])
    other = pos[np.where(second >= 0, second, first)]
    reach = np.zeros((kinds, kinds), bool)
    names = ("reason", "n_paths", "ecmp_count")
    table = {name: np.zeros((kinds, kinds), np.int64) for name in names}
    at_origin = {name: np.zeros(kinds, np.int64) for name in names}
    at_origin["n_paths"][-1] = 1                     # a speaker without a session holds its own route only
    remote = np.full((kinds, kinds), -1, np.int64)
    between = np.full((kinds, kinds), -1, np.int64)
    for ck in range(nr + ng):
        o = origin_of[ck]
        for name in names:
            at_origin[name][ck] = getattr(res, name)[o, ck]
        for hk in range(nr + ng):
            h = other[hk - nr] if hk == ck and hk >= nr else observer[hk]
            if h == o:
                continue                             # a group of one client: no other holder of its kind
            hop, row = int(res.best_next_hop[h, ck]), int(res.best_session[h, ck])
            if hop not in (o, -2) or (hop == o) != (row >= 0):
                return None
            reach[hk, ck] = hop == o
            for name in names:
                table[name][hk, ck] = getattr(res, name)[h, ck]
            if row < 0:
                continue
            r = int(small.remote[row])
            if r == o and ck >= nr:
                remote[hk, ck] = -2                  # straight from the origin client
            elif r < nr:
                remote[hk, ck] = d.reflectors[r]
                between[hk, ck] = sel[row]
            else:
                return None
    classes = np.ascontiguousarray(classes, np.int32)
    compact = ReflectorRoutes(n, classes, d, reach, table, at_origin, remote, between)
    return Propagation(classes=classes.copy(), compact=compact)
