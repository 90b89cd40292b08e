"""The simulator kernels' status (:class:`fastroute.sim._engine.Status`) as
exceptions, in one place."""

from __future__ import annotations

from ..errors import ConvergenceError

__all__ = ["raise_for", "too_many_paths"]


def too_many_paths(max_paths: int) -> ConvergenceError:
    return ConvergenceError(f"more than {max_paths} paths in the path universe")


def raise_for(status: int, *, n_events: int = 0, max_paths: int = 0, max_cluster_list: int = 0) -> None:
    """Raise the exception for a kernel status (nothing for OK).

    ``n_events``: events the engine had processed; ``max_paths`` and
    ``max_cluster_list``: the limits the path enumeration was given.
    """
    from ._engine import Status

    if status == Status.OK:
        return
    if status == Status.EVENT_LIMIT:
        raise ConvergenceError(f"simulation stopped: event limit reached after {n_events} events", n_events=n_events)
    if status == Status.NO_MEMORY:
        raise ConvergenceError(f"simulation stopped: out of memory after {n_events} events", n_events=n_events)
    if status == Status.PATH_LIMIT:
        raise too_many_paths(max_paths)
    if status == Status.CLUSTER_LIST_LOOP:
        raise ConvergenceError(f"a CLUSTER_LIST grew past {max_cluster_list} entries: reflection loop in the "
                               "session graph")
    if status == Status.AS_PATH_LONG:
        raise ConvergenceError(f"an AS_PATH grew past {max_cluster_list} entries: AS loop in the session graph "
                               "(allowas-in)")
    raise ConvergenceError(f"simulation stopped: kernel status {int(status)} after {n_events} events",
                           n_events=n_events)
