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

from dataclasses import dataclass

import numpy as np

from .propagate import Propagation

__all__ = ["MeshRoutes", "propagate_mesh"]


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
        start, stop, _ = rows.indices(self.n_speakers)
        stop = max(stop, start)
        cls = np.asarray(cls, np.int64)
        if out is None:
            out = np.empty((stop - start, len(cls)), np.int32)
        out[:] = self.default_next_hop(cls)[None, :]
        member = self.position[start:stop] >= 0
        out[~member] = -2
        origin = self.classes[cls].astype(np.int64)
        mine = (origin >= start) & (origin < stop)
        out[origin[mine] - start, np.flatnonzero(mine)] = -1
        return out

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


def propagate_mesh(n_speakers, members, classes):
    """The :class:`Propagation` of an iBGP full mesh among ``members`` (no other
    session, every member in one AS), in closed form (:class:`MeshRoutes`)."""
    classes = np.ascontiguousarray(classes, np.int32)
    compact = MeshRoutes(int(n_speakers), np.ascontiguousarray(members, np.int32), classes)
    return Propagation(classes=classes.copy(), compact=compact)
