"""Chains of route reflectors that are each other's clients.

Reflectors with distinct cluster ids that treat each other as clients reflect a
route along every chain of them, and with ADD-PATH (Calico's reflectors keep and
send every path) every copy is kept and sent on: the copies of one route grow
factorially with the number of such reflectors (``tests/interop/test_path_sets.py``
shows real BIRD 1.6 doing it).  ``verify`` reports it, and the route computation
and the simulator name it as the cause when paths grow too long.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["CHAIN_WARN", "ReflectorChains", "reflector_chains"]

#: Copies of one route through chains of reflectors from which they are reported.
CHAIN_WARN = 1000


@dataclass(frozen=True)
class ReflectorChains:
    """Reflectors that are each other's clients, and the copies of one route they make."""

    reflectors: tuple          # names, in speaker order
    copies_per_route: int      # the most copies of one route, from the worst reflector
    counted_up_to: int         # counting stopped here (copies_per_route == counted_up_to: at least that many)
    worst: str                 # the reflector whose clients' routes are copied most

    @property
    def message(self):
        n, worst = len(self.reflectors), self.copies_per_route
        many = f"at least {worst:,}" if worst >= self.counted_up_to else f"{worst:,}"
        return (f"{n} route reflectors treat each other as clients (distinct cluster ids): a route is reflected "
                f"along every chain of them and, with ADD-PATH, every copy is kept and sent on: {many} copies of "
                f"each route of {self.worst}'s clients across the reflectors (about {worst // (n - 1):,} at "
                f"each, and as many at each of their clients), each one an UPDATE and a table entry")

    @property
    def details(self):
        return {"reflectors": list(self.reflectors), "copies_per_route": self.copies_per_route,
                "counted_up_to": self.counted_up_to}


def _chain_copies(adj, start, cap):
    """Simple paths that leave ``start`` in the graph ``adj`` (neighbour lists):
    the copies of one route that chains of reflectors make.  Counting stops at ``cap``."""
    count = 0
    path, on = [start], {start}
    stack = [iter(adj.get(start, ()))]
    while stack:
        nxt = next(stack[-1], None)
        if nxt is None:
            stack.pop()
            on.discard(path.pop())
            continue
        if nxt in on:
            continue
        count += 1
        if count >= cap:
            return count
        path.append(nxt)
        on.add(nxt)
        stack.append(iter(adj.get(nxt, ())))
    return count


def reflector_chains(local: np.ndarray, remote: np.ndarray, rr_client: np.ndarray, is_rr: np.ndarray,
                     names: Sequence[str]) -> ReflectorChains | None:
    """The chains of a session table (rows ``local`` -> ``remote`` with their
    ``rr_client`` flags; ``is_rr`` per speaker, speakers past its end are none),
    or None when they make fewer than :data:`CHAIN_WARN` copies of a route."""
    local, remote = np.asarray(local, np.int64), np.asarray(remote, np.int64)
    rr = np.append(np.asarray(is_rr, bool), False)
    n = len(rr) - 1
    between = np.asarray(rr_client, bool) & rr[np.minimum(local, n)] & rr[np.minimum(remote, n)]
    if not between.any():
        return None
    adj = defaultdict(set)
    for a, b in zip(local[between], remote[between]):
        adj[int(a)].add(int(b))
    if len(adj) < 3:
        return None
    adj = {k: sorted(v) for k, v in adj.items()}
    cap = 1000 * CHAIN_WARN
    worst, at = 0, None
    for r in sorted(adj):
        k = _chain_copies(adj, r, cap)
        if k > worst:
            worst, at = k, r
        if worst >= cap:
            break
    if worst < CHAIN_WARN:
        return None
    return ReflectorChains(tuple(names[r] for r in sorted(adj)), worst, cap, names[at])
