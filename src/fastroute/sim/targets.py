"""Which speaker a scenario of :func:`fastroute.sim.converge.simulate` acts on:
a node or a Router by name or index, the first top-of-rack Router, the nodes
down when the event happens."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidValueError, UnknownNodeError
from .design import Design

__all__ = ["down_indices", "first_tor", "node_index", "router_index"]


def node_index(d: Design, node: str | int | None, default: int | None) -> int | None:
    """Speaker index of ``node`` (a name or an index) in design ``d``; ``default`` when None."""
    if node is None:
        return default
    if isinstance(node, (int, np.integer)):
        if not 0 <= int(node) < len(d.names):
            raise InvalidValueError(f"invalid node {node!r}: must be 0..{len(d.names) - 1}")
        return int(node)
    if node not in d.names:
        raise UnknownNodeError(f"unknown node {node!r}: not a node or router of the cluster")
    return d.names.index(node)


def first_tor(d: Design) -> int | None:
    """The first Router (external speaker) with a session to a Calico node (a
    top-of-rack router), else the first Router, else None."""
    ext = np.flatnonzero(d.speakers.external)
    if not len(ext):
        return None
    local, remote = np.asarray(d.graph.local), np.asarray(d.graph.remote)
    tors = np.unique(local[np.isin(local, ext) & ~d.speakers.external[remote]])
    return int(tors[0]) if len(tors) else int(ext[0])


def router_index(d: Design, node: str | int | None) -> int:
    """The router a ``router_crash`` acts on: ``node`` (a Router's name), by default :func:`first_tor`."""
    if node is None:
        i = first_tor(d)
        if i is None:
            raise InvalidValueError("scenario 'router_crash' needs a design with routers (Router resources or "
                                    "BGPPeers to external routers)")
        return i
    i = node_index(d, node, None)
    if not d.speakers.external[i]:
        raise InvalidValueError(f"invalid node {node!r} for scenario 'router_crash': a Calico node, not a router "
                                "(node_crash crashes a node)")
    return i


def down_indices(d: Design, down: str | int | list | tuple | None, target: int | None) -> list[int]:
    """Speaker indices of ``Params.down`` (names or indices), checked."""
    if down is None or isinstance(down, (str, int, np.integer)):
        down = () if down is None else (down,)
    out = []
    for x in down:
        i = node_index(d, x, None)
        if i == target:
            raise InvalidValueError(f"invalid down {x!r}: it is the node the scenario acts on")
        if i not in out:
            out.append(i)
    return out
