"""The path universe of a design: every path each route class can take,
grouped by (class, holder) in BIRD 1.6's preference order.

The convergence engine (:mod:`fastroute.sim.converge`) only flips bits over
this universe: a path is present at its holder iff the last UPDATE on its
session announced it.  Paths are enumerated with the export and receive rules
of :mod:`fastroute.bgp.propagate` (``_export``/``_receive``, RFC 4456
reflection, eBGP, ``path_key`` order): by a Cython walk
(``fastroute.sim._engine.enumerate_paths``) for designs of IPv4 speakers, held
to the reference walk here by the tests.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..bgp import propagate as routing
from ..errors import InvalidValueError, choice
from ..gcpause import paused_gc
from .design import Design
from .engine import raise_for, too_many_paths

__all__ = ["Universe", "fast_enumerable", "ibgp_only", "paths_estimate", "rows_csr", "universe"]

MAX_CLUSTER_LIST = 32       # longest CLUSTER_LIST (and AS_PATH) the fast enumeration follows


@dataclass
class Universe:
    """Every path of every class, grouped by (class, holder) in preference order."""

    holder: np.ndarray
    row: np.ndarray
    parent: np.ndarray
    cls: np.ndarray
    next_hop: np.ndarray
    attr_bytes: np.ndarray
    flags: np.ndarray = None     # aggregate mode: F_SELF / F_BACK per path (see cohorts.py)

    @property
    def n(self):
        return len(self.holder)


def ibgp_only(d: Design) -> bool:
    """The design is all iBGP between IPv4 speakers (no external router)."""
    return not d.graph.ebgp.any() and not d.speakers.external.any() and fast_enumerable(d)


def fast_enumerable(d: Design) -> bool:
    """Every speaker of the design is an IPv4 one (or has no address): the fast enumeration covers it."""
    return all(ip is None or ip.version == 4 for ip in d.speakers.ip)


def universe(d: Design, method: str = "auto", max_paths: int = 400_000_000, cohort: npt.ArrayLike | None = None
             ) -> Universe:
    """Enumerate the path universe of a :class:`Design`.

    ``method="reference"`` walks every class with :func:`routing._export`,
    :func:`routing._receive` and orders with :func:`routing.path_key`;
    ``"fast"`` is a Cython walk of the same rules (iBGP reflection, eBGP,
    Routers and their export modes) for designs of IPv4 speakers.  ``cohort``
    (uint8 per speaker, aggregate mode, fast only) marks speakers that stand
    for several nodes.
    """
    choice(method, ("auto", "fast", "reference"), "enumeration method")
    if method == "auto":
        method = "fast" if fast_enumerable(d) else "reference"
    if cohort is not None and method != "fast":
        raise InvalidValueError("aggregate mode needs a design of IPv4 speakers (fast path enumeration)")
    if method == "fast":
        if not fast_enumerable(d):
            raise InvalidValueError("fast path enumeration needs a design of IPv4 speakers; use 'reference'")
        return _universe_fast(d, max_paths, cohort)
    with paused_gc():
        return _universe_reference(d, max_paths)


def rows_csr(local: npt.ArrayLike, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, order): the rows of each speaker, as a CSR index."""
    from ._engine import csr

    return csr(np.ascontiguousarray(local, np.int32), n)


def _reexports(g, n):
    """Per speaker: it has an rr-client or an eBGP row (else it passes on nothing learned over iBGP)."""
    local = np.asarray(g.local)
    return np.bincount(local[np.asarray(g.rr_client, bool) | np.asarray(g.ebgp, bool)].astype(np.int64),
                       minlength=n).astype(bool)


def _u8(a):
    return np.ascontiguousarray(np.asarray(a, bool), np.uint8)


def _universe_fast(d, max_paths, cohort=None):
    from ._engine import enumerate_paths

    sp, g = d.speakers, d.graph
    n = sp.n
    rows = dict(
        local=np.ascontiguousarray(g.local, np.int32), remote=np.ascontiguousarray(g.remote, np.int32),
        rev=np.ascontiguousarray(d.rev, np.int32), rr_client=_u8(g.rr_client), ebgp=_u8(g.ebgp),
        keep_next_hop=_u8(g.keep_next_hop), cluster_id=np.ascontiguousarray(g.cluster_id, np.uint32),
        allow_local_as=np.ascontiguousarray(g.allow_local_as, np.int32),
    )
    speakers = dict(
        router_id=np.ascontiguousarray(sp.router_id, np.uint32), ip_rank=np.ascontiguousarray(sp.ip_rank(), np.int64),
        ip=np.array([int(a) if a is not None else 0 for a in sp.ip], np.uint32),
        has_ip=_u8([a is not None for a in sp.ip]),
        sub_net=np.array([int(s.network_address) if s is not None else 0 for s in sp.subnet], np.uint32),
        sub_mask=np.array([int(s.netmask) if s is not None else 0 for s in sp.subnet], np.uint32),
        has_sub=_u8([s is not None for s in sp.subnet]), asn=np.ascontiguousarray(sp.asn, np.uint32),
        announces=_u8(sp.announces), role=np.ascontiguousarray(sp.role, np.uint8), reexports=_u8(_reexports(g, n)),
    )
    each = d.class_origins()
    class_start = np.zeros(len(each) + 1, np.int64)
    class_start[1:] = np.cumsum([len(o) for o in each])
    class_list = np.array([o for os_ in each for o in os_], np.int32)
    start, lst = rows_csr(g.local, n)
    status, out = enumerate_paths(
        rows, speakers, start, lst, class_start, class_list, int(max_paths), MAX_CLUSTER_LIST,
        None if cohort is None else np.ascontiguousarray(cohort, np.uint8),
    )
    raise_for(status, max_paths=max_paths, max_cluster_list=MAX_CLUSTER_LIST)
    return Universe(*out)


def paths_estimate(d: Design) -> int:
    """Paths of the universe, roughly: every class at every node, once per
    reflector the node peers with (ADD-PATH), at least once.  With eBGP or
    Routers (a fabric: every path through every spine) the paths of a few
    classes are counted instead, by the fast enumeration."""
    if fast_enumerable(d) and not ibgp_only(d) and len(d.classes):
        pick = np.unique(np.linspace(0, len(d.classes) - 1, min(8, len(d.classes))).astype(np.int64))
        sample = dataclasses.replace(d, classes=np.asarray(d.classes)[pick], universe_cache=None)
        return int(_universe_fast(sample, 400_000_000).n * len(d.classes) / len(pick))
    g = d.graph
    # the session arrays as they are (int32): a 20,000-node mesh has 400 M rows, and an int64
    # copy of them alone would be 3 GB before the size check below could refuse the design
    local = np.asarray(g.local)
    is_rr = np.bincount(local[np.asarray(g.rr_client, bool)], minlength=d.n_speakers) > 0
    to_rr = np.bincount(local[is_rr[np.asarray(g.remote)]], minlength=d.n_speakers)
    return len(d.classes) * int(np.maximum(to_rr, 1)[~d.speakers.external].sum())


def _attr_bytes(p):
    b = 4 + 3 + 7                       # ORIGIN, AS_PATH header, NEXT_HOP
    if p.as_path:
        b += 2 + 4 * len(p.as_path)
    if p.local_pref is not None:
        b += 7
    if p.originator is not None:
        b += 7 + 3 + 4 * len(p.cluster_list)
    return b


def _offers(sp, g, rows_of, reexports):
    """``offers(h, row, p, foreign)``: the rows holder ``h`` may send path ``p``
    (learned on ``row``, -1 for its own) on, as :func:`routing._propagate_class`
    decides: a speaker that announces nothing sends nothing, a Calico node
    passes on no Router's announcements (``foreign``), a Router exporting only
    what it originates sends Calico nodes nothing it learned, and without a
    client or an eBGP row a holder re-advertises nothing it learned over iBGP
    (split horizon: skip those walks without asking ``_export``)."""
    role = sp.role
    node = role == routing.Role.ROLE_NODE
    own_only = role == routing.Role.ROLE_ROUTER_OWN

    def offers(h, row, foreign):
        if not sp.announces[h] or (foreign and node[h]):
            return ()
        if row >= 0 and not reexports[h] and not g.ebgp[row] and not g.rr_client[row]:
            return ()
        if row >= 0 and own_only[h]:
            return [s for s in rows_of[h] if not node[int(g.remote[s])]]
        return rows_of[h]
    return offers


def _universe_reference(d, max_paths):
    sp, g = d.speakers, d.graph
    n = sp.n
    rows_of = [[] for _ in range(n)]
    for s in range(g.n):
        rows_of[int(g.local[s])].append(s)
    reexports = np.zeros(n, bool)
    for s in range(g.n):
        if g.rr_client[s] or g.ebgp[s]:
            reexports[int(g.local[s])] = True
    offers = _offers(sp, g, rows_of, reexports)
    ip_rank = sp.ip_rank()
    cols = ([], [], [], [], [], [])
    total = 0
    for ci, origins in enumerate(d.class_origins()):
        foreign = sp.role[origins[0]] != routing.Role.ROLE_NODE
        paths = [(o, -1, -1, routing.Path(-1, chain=(o,), pref=routing.PREF_STATIC)) for o in origins]
        i = 0
        while i < len(paths):
            h, row, _, p = paths[i]
            for s in offers(h, row, foreign):
                out = routing._export(sp, g, h, p, s)
                if out is None:
                    continue
                r = int(d.rev[s])
                got = routing._receive(sp, g, r, out)
                if got is None:
                    continue
                paths.append((int(g.local[r]), r, i, got))
                if total + len(paths) > max_paths:
                    raise too_many_paths(max_paths)
            i += 1
        keys = [(h, routing.path_key(sp, g, h, p, ip_rank)) for h, _, _, p in paths]
        order = sorted(range(len(paths)), key=keys.__getitem__)
        new = np.empty(len(paths), np.int64)
        new[order] = np.arange(len(paths)) + total
        for k in order:
            h, row, par, p = paths[k]
            cols[0].append(h)
            cols[1].append(row)
            cols[2].append(int(new[par]) if par >= 0 else -1)
            cols[3].append(ci)
            cols[4].append(p.next_hop)
            cols[5].append(_attr_bytes(p))
        total += len(paths)
    return Universe(
        np.array(cols[0], np.int32), np.array(cols[1], np.int32), np.array(cols[2], np.int32),
        np.array(cols[3], np.int32), np.array(cols[4], np.int32), np.array(cols[5], np.uint16),
    )
