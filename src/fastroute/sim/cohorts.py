"""Aggregate mode of the convergence simulator: interchangeable nodes as cohorts.

In a route-reflector design every client peers only with the reflectors, in
the same way, and exports a class of the same size: clients with the same
peerings are interchangeable.  :func:`aggregate` replaces each run of such
clients by one speaker (a *cohort*) that stands for ``w`` of them, and their
classes by one class bundle of ``w`` classes.  The engine then charges every
piece of work with its multiplicity (``fastroute.sim._engine.Engine``'s aggregate mode):

* a reflector sending a bundle of ``e`` classes to a cohort of ``w`` nodes
  builds ``e * w`` UPDATEs on its one core; each node of the cohort reads ``e``;
* straight back to the cohort a bundle came from, each node's own class is not
  sent (BIRD never sends a route to the protocol it came from): ``e * (w - 1)``;
  through another reflector it is sent and fails the ORIGINATOR_ID check;
* a session between a reflector and a cohort is ``w`` sessions at the
  reflector (OPEN costs, session counts) and one at each node of the cohort.

What aggregation loses is the spread inside a cohort: its nodes start at one
time (the median of theirs; cohorts are cut in start-time order) and a
reflector's UPDATEs to them leave as one block.  Counts (sessions, UPDATEs,
prefixes, table sizes) are exact; times are within the spread of one block
(``tests/sim/test_cohorts.py`` compares with the per-path model).

A fabric (docs/fabric.md) is the same picture with the rack's top-of-rack
Router in the reflector's place: a rack's nodes peer only with their ToR and
merge into cohorts of that rack; ToRs and spines stay themselves, their eBGP
sessions carry bundles like any session between two single speakers.  With
an AS per rack the ToR reflects (iBGP); with an AS per node (and downward
default) each node has one eBGP session and an AS of its own: the cohort's AS
stands for each member's, which is on its own class's paths only, so a
cohort's bundle coming back from its ToR fails the AS_PATH loop check at the
node that sent it and passes at the others (flag 2 of :meth:`Cohorts.flags`,
as the ORIGINATOR_ID check does with reflectors).  A node with an eBGP session
and another one would pass routes on between them: it stays itself.

A ToR sends its best path only (no ADD-PATH), so how many UPDATEs a cold start
takes, and the largest tables on the way, depend on the order paths arrive in:
there they are as near as two seeds of the per-path model are, while sessions
and the tables at the end stay exact; a cohort's nodes count the mean of their
pods.  ``tests/sim/test_cohorts.py`` holds 160-node fabrics to the per-path
model; at 1,000 nodes in 25 racks (``bench/test_fabric.py``) and 2,000 in 50,
cohorts of 5 (as auto mode makes them at 5,000 nodes) put the cold start and
node crash within 5 % and 2 % of its times, and the ToR crash 1-2 % early: the crash
ends with the last of the ToR's peers' hold timers, and a cohort draws one
timer for its nodes, so the latest of fewer draws comes a little earlier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..bgp import propagate as routing
from ..bgp.network import reverse_rows
from ..errors import InvalidValueError
from .design import Design, group_pods

__all__ = ["Cohorts", "aggregate", "candidates"]


@dataclass
class Cohorts:
    """An aggregated design and how it maps to the real one.

    ``design`` is the reduced :class:`fastroute.sim.design.Design`; speaker ``i``
    of it stands for ``weight[i]`` real speakers, ``members[start[i]:start[i+1]]``
    (indices into the real design), and has ``protocols[i]`` protocols per
    node; class ``c`` stands for ``classes[c]`` real classes of equal size.
    """

    design: object
    weight: np.ndarray
    members: np.ndarray
    start: np.ndarray
    protocols: np.ndarray
    classes: np.ndarray
    real_of: np.ndarray          # first real member of each speaker
    speaker_of: np.ndarray       # reduced speaker of each real speaker
    row_real: np.ndarray         # the real row each row of the reduced design is
    real_pair_of_row: np.ndarray  # session pair of each real row (pairs numbered as converge numbers them)
    own_as: np.ndarray = None    # per speaker: a cohort whose nodes have an AS each (an AS per node)

    @property
    def n_cohorts(self):
        return int((self.weight > 1).sum())

    def group_pods(self, g_holder, g_class, g_start, rows, flags):
        """:func:`fastroute.sim.design.group_pods` of the reduced design's groups (``g_*``:
        ``fastroute.sim._engine.structure``'s; ``rows``, ``flags``: per path), with what one
        node of each group's holder has through it (``Engine.acc_of``: its own class, the
        other nodes' or the whole bundle)."""
        from ._engine import PathFlag

        first = np.asarray(g_start[:-1], np.int64)
        cc = np.asarray(self.classes, np.float64)[g_class]
        w = np.asarray(self.weight, np.float64)[g_holder]
        acc = np.where(np.asarray(rows)[first] < 0, cc / w,
                       np.where(np.asarray(flags)[first] & PathFlag.F_SELF, cc * (w - 1) / w, cc))
        return group_pods(self.design, g_holder, g_class, acc, self.classes)

    def flags(self):
        """The path enumeration's ``cohort`` per speaker (uint8): 0 a single node or
        router, 1 a cohort of one AS, 2 a cohort of nodes with an AS each (its own
        class comes back to it with the AS of the member that sent it: the others
        accept it, as they accept the ORIGINATOR_ID of another member)."""
        own = np.zeros(len(self.weight), bool) if self.own_as is None else np.asarray(self.own_as, bool)
        return np.where(self.weight > 1, 1 + own, 0).astype(np.uint8)


def _row_signature(d):
    """Per row, what its two ends see of it (everything but the speakers)."""
    g = d.graph
    rev = np.asarray(d.rev, np.int64)
    rr = np.asarray(g.rr_client, bool)
    cid = np.where(rr, g.cluster_id, 0)           # a row's cluster id matters only toward a client
    cols = [
        g.remote, rr, cid, g.ebgp, g.keep_next_hop, g.allow_local_as, g.add_paths,
        d.active, d.kind, rr[rev], cid[rev], d.active[rev],
    ]
    return np.stack([np.asarray(c, np.int64) for c in cols], axis=1)


def candidates(d: Design) -> np.ndarray:
    """Speakers that may join a cohort: nodes with no rr-client row, and with an
    eBGP row only as their one session (they pass nothing on: never back where a
    route came from), whose every peer is a speaker that may not (the leaves of a
    star)."""
    g = d.graph
    n = d.n_speakers
    local = np.asarray(g.local)            # int32 as stored: a 20,000-node mesh has 400 M rows
    remote = np.asarray(g.remote)
    ok = ~np.asarray(d.speakers.external, bool).copy()
    ok[local[np.asarray(g.rr_client, bool)]] = False
    ebgp = np.asarray(g.ebgp, bool)
    ok[local[ebgp][np.bincount(local, minlength=n)[local[ebgp]] > 1]] = False
    ok[np.asarray(d.reflectors, np.int64)] = False
    # a leaf peers only with non-leaves: drop both ends of every session between
    # two candidates (a mesh); one pass leaves only nodes whose peers are all out
    both = ok[local] & ok[remote]
    ok[local[both]] = False
    return ok & (np.bincount(local, minlength=n) > 0)


def aggregate(d: Design, n_cohorts: int, keep: Iterable[int] = (), order: np.ndarray | None = None) -> Cohorts:
    """Merge interchangeable leaves of design ``d`` into about ``n_cohorts`` cohorts.

    Parameters
    ----------
    d : Design
    n_cohorts : int
        Target number of cohorts (each of ``~len(leaves) / n_cohorts`` nodes).
    keep : iterable of int
        Speakers left as they are (e.g. the node a scenario acts on).
    order : array of float, optional
        Per real speaker, the key cohorts are cut along (start times), so a
        cohort's nodes are neighbours in it.

    Returns
    -------
    Cohorts
    """
    if n_cohorts < 1:
        raise InvalidValueError(f"invalid cohorts {n_cohorts!r}: must be >= 1")
    g = d.graph
    n = d.n_speakers
    leaf = candidates(d)
    for k in keep:
        leaf[int(k)] = False
    local = np.asarray(g.local, np.int64)
    # the signature of a leaf: its rows (sorted), its class size, its AS
    sig_rows = _row_signature(d)
    row_order = np.lexsort((sig_rows[:, 0], local))
    per_node = np.bincount(local, minlength=n)
    cls_of = np.full(n, -1, np.int64)
    keys = np.asarray(d.classes, np.int64)
    on_speaker = keys < n                  # not a class several Routers originate
    cls_of[keys[on_speaker]] = np.flatnonzero(on_speaker)
    size = np.where(cls_of >= 0, d.n_prefix[np.maximum(cls_of, 0)], -1)
    nlri = np.where(cls_of >= 0, d.nlri_bytes[np.maximum(cls_of, 0)], -1)
    own_as = _own_as(d)
    groups = {}
    starts = np.concatenate([[0], np.cumsum(per_node)])
    for h in np.flatnonzero(leaf):
        rows = sig_rows[row_order[starts[h]:starts[h + 1]]]
        key = (rows.tobytes(), int(size[h]), int(nlri[h]), -1 if own_as[h] else int(d.speakers.asn[h]))
        groups.setdefault(key, []).append(int(h))
    n_leaves = int(leaf.sum())
    order = np.arange(n, dtype=float) if order is None else np.asarray(order, float)
    # cut each group, in `order`, into near-equal cohorts
    speaker_of = np.arange(n, dtype=np.int64)
    cohorts = []
    for members in groups.values():
        m = np.asarray(members, np.int64)
        m = m[np.argsort(order[m], kind="stable")]
        k = max(1, int(round(n_cohorts * len(m) / max(n_leaves, 1))))
        for part in np.array_split(m, min(k, len(m))):
            cohorts.append(np.sort(part))
    first = {int(c[0]): c for c in cohorts}
    member_set = np.zeros(n, bool)
    for c in cohorts:
        member_set[c] = True
        speaker_of[c] = c[0]
    # reduced speakers: every non-member, and each cohort's first member, in index order
    keep_sp = ~member_set
    keep_sp[list(first)] = True
    real_of = np.flatnonzero(keep_sp)
    new_index = np.full(n, -1, np.int64)
    new_index[real_of] = np.arange(len(real_of))
    speaker_of = new_index[speaker_of]
    weight = np.ones(len(real_of), np.int64)
    mem_lists = []
    for i, h in enumerate(real_of):
        c = first.get(int(h))
        if c is not None:
            weight[i] = len(c)
            mem_lists.append(c)
        else:
            mem_lists.append(np.array([h], np.int64))
    start = np.concatenate([[0], np.cumsum([len(x) for x in mem_lists])]).astype(np.int64)
    members = np.concatenate(mem_lists) if mem_lists else np.zeros(0, np.int64)
    # rows between kept speakers
    remote = np.asarray(g.remote, np.int64)
    row_keep = keep_sp[local] & keep_sp[remote]
    idx = np.flatnonzero(row_keep)
    graph = routing.SessionGraph(
        local=new_index[local[idx]].astype(np.int32), remote=new_index[remote[idx]].astype(np.int32),
        rr_client=np.asarray(g.rr_client)[idx], cluster_id=np.asarray(g.cluster_id)[idx],
        ebgp=np.asarray(g.ebgp)[idx], keep_next_hop=np.asarray(g.keep_next_hop)[idx],
        allow_local_as=np.asarray(g.allow_local_as)[idx], add_paths=np.asarray(g.add_paths)[idx],
    )
    kind = np.asarray(d.kind)[idx]
    rev = reverse_rows(graph.local, graph.remote, kind, len(real_of))
    sp = d.speakers
    speakers = routing.Speakers(
        ip=[sp.ip[h] for h in real_of], asn=np.asarray(sp.asn)[real_of], router_id=np.asarray(sp.router_id)[real_of],
        subnet=[sp.subnet[h] for h in real_of], external=np.asarray(sp.external)[real_of],
        announces=np.asarray(sp.announces)[real_of], role=np.asarray(sp.role)[real_of],
    )
    cidx, origin, origins, cc, class_pods = _bundles(d, keep_sp, new_index, speaker_of, weight)
    node_pods = np.bincount(speaker_of, weights=np.asarray(d.node_pods, float), minlength=len(real_of)) / weight
    names = []
    for i, h in enumerate(real_of):
        names.append(d.names[h] if weight[i] == 1 else f"{d.names[h]} (+{weight[i] - 1} like it)")
    rd = Design(
        speakers=speakers, graph=graph, rev=rev, active=np.asarray(d.active)[idx], kind=kind, names=names,
        classes=origin.astype(np.int32), n_prefix=np.asarray(d.n_prefix)[cidx], nlri_bytes=np.asarray(d.nlri_bytes)[cidx],
        class_pods=class_pods, node_pods=node_pods,
        reflectors=new_index[np.asarray(d.reflectors, np.int64)].astype(np.int32), cluster=d.cluster,
        prefixes=[d.prefixes[i] for i in cidx] if d.prefixes is not None else None, origins=origins,
    )
    rrev = np.asarray(d.rev, np.int64)
    first_of_pair = np.arange(len(rrev)) < rrev
    pair_no = np.cumsum(first_of_pair) - 1
    return Cohorts(design=rd, weight=weight, members=members, start=start,
                   protocols=per_node[real_of].astype(float), classes=cc.astype(np.int64),
                   real_of=real_of, speaker_of=speaker_of, row_real=idx,
                   real_pair_of_row=np.where(first_of_pair, pair_no, pair_no[rrev]), own_as=own_as[real_of])


def _bundles(d, keep_sp, new_index, speaker_of, weight):
    """The reduced design's classes: one bundle per kept origin (a cohort's stands
    for its members' classes), and each class several Routers originate, keyed past
    the reduced speakers.  Returns (real class index, class key, origins, real
    classes per bundle, pods per real class)."""
    n_red = len(weight)
    keys = np.asarray(d.classes, np.int64)
    single = keys < d.n_speakers
    cls_keep = np.where(single, keep_sp[np.minimum(keys, d.n_speakers - 1)], True)
    cidx = np.flatnonzero(cls_keep)
    origin = np.empty(len(cidx), np.int64)
    origins = {}
    for j, c in enumerate(cidx.tolist()):
        if single[c]:
            origin[j] = new_index[keys[c]]
        else:
            origin[j] = n_red + len(origins)
            origins[int(origin[j])] = tuple(int(new_index[o]) for o in d.origins[int(keys[c])])
    on_speaker = origin < n_red
    cc = np.ones(len(cidx), np.int64)
    cc[on_speaker] = weight[origin[on_speaker]]
    pods = np.asarray(d.class_pods, float)
    class_pods = pods[cidx].copy()
    summed = np.bincount(speaker_of[keys[single]], weights=pods[single], minlength=n_red)
    class_pods[on_speaker] = summed[origin[on_speaker]] / cc[on_speaker]
    return cidx, origin.astype(np.int32), origins or None, cc, class_pods


def _own_as(d):
    """Per speaker: its AS is its own (no other speaker has it) and it speaks eBGP.
    Such nodes merge whatever their AS numbers (an AS per node): each member's AS
    is on its own class's paths only, so the cohort's AS stands for each of them
    (``Cohorts.flags``)."""
    asn = np.asarray(d.speakers.asn, np.int64)
    _, inv, count = np.unique(asn, return_inverse=True, return_counts=True)
    speaks_ebgp = np.bincount(np.asarray(d.graph.local)[np.asarray(d.graph.ebgp, bool)], minlength=d.n_speakers) > 0
    return (count[inv.ravel()] == 1) & speaks_ebgp
