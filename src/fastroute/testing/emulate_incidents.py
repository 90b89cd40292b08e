"""Real BIRD for incidents: calico-node's ``bird -R`` and shorter graceful-restart timers.

calico-node starts BIRD with ``-R`` (graceful-restart recovery, BIRD 1.6
``sysdep/unix/main.c`` -> ``graceful_restart_recovery``): a restarted BIRD keeps
its kernel routes and exports nothing until every configured peer has sent
End-of-RIB or its ``graceful restart wait`` timer (240 s by default,
``DEFAULT_GR_WAIT`` in ``nest/protocol.h``) runs out.  :func:`recovering_emulation`
is :func:`fastroute.testing.emulate.cluster_emulation` with every BIRD started
that way, and optionally with shorter timers so a test of the wait takes
seconds, not minutes:

* ``gr_wait``: a ``graceful restart wait N;`` global option (``nest/config.Y``,
  ``gr_opts``) after the ``router id`` line;
* ``restart_time``: ``graceful restart time N;`` in the ``bgp_template``
  (``proto/bgp/config.Y``; the time a node tells its peers to keep its routes
  stale, 120 s by default).

Like ``Emulation(fast_retry=True)``, these change timing only, never which
sessions come up or which routes win; the simulator is run with the same
values (:class:`fastroute.sim.converge.Params` ``gr_wait``, ``restart_time``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import EmulationError, InvalidValueError
from .emulate import Emulation, cluster_emulation, parse_protocols

if TYPE_CHECKING:
    from ..bgp.topology import Topology
    from ..model.cluster import Cluster

__all__ = ["RecoveringEmulation", "not_established", "recovering_emulation", "with_timers"]


@dataclasses.dataclass
class RecoveringEmulation(Emulation):
    """An :class:`~fastroute.testing.emulate.Emulation` whose BIRDs start with ``-R``, as calico-node's do."""

    def start_bird(self, name, family=4, recover=True):
        return super().start_bird(name, family, recover)


def _seconds(value, what):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise InvalidValueError(f"invalid {what} {value!r}: expected whole seconds 1..65535 (BIRD's timers)")
    return value


def with_timers(text: str, gr_wait: int | None = None, restart_time: int | None = None) -> str:
    """``bird.cfg`` text with BIRD's graceful-restart wait and restart time set.

    Raises
    ------
    InvalidValueError
        A timer that is not whole seconds in 1..65535.
    EmulationError
        The configuration has no ``router id`` line or no ``bgp_template`` with
        ``graceful restart;`` to attach them to.
    """
    gr_wait = _seconds(gr_wait, "gr_wait")
    restart_time = _seconds(restart_time, "restart_time")
    if gr_wait is not None:
        text, n = re.subn(r"^(router id [^;\n]+;)$", rf"\1\ngraceful restart wait {gr_wait};", text, count=1,
                          flags=re.M)
        if not n:
            raise EmulationError("cannot set the graceful restart wait: no 'router id' line in the configuration")
    if restart_time is not None:
        m = re.search(r"^template bgp bgp_template \{\n(.*?)^\}", text, flags=re.M | re.S)
        body = m.group(1) if m else ""
        if "  graceful restart;" not in body:
            raise EmulationError("cannot set the graceful restart time: no bgp_template with 'graceful restart;'")
        body = body.replace("  graceful restart;", f"  graceful restart;\n  graceful restart time {restart_time};", 1)
        text = text[:m.start(1)] + body + text[m.end(1):]
    return text


def recovering_emulation(cluster: Cluster, gr_wait: int | None = None, restart_time: int | None = None,
                         calico_version: str | None = None) -> tuple[RecoveringEmulation, Topology]:
    """``(RecoveringEmulation, Topology)`` of an allocated ``cluster``: every BIRD
    started with ``-R``, the timers given set in every node's ``bird.cfg``."""
    emu, topo = cluster_emulation(cluster, calico_version)
    nodes = []
    names = set(cluster.node_names)            # external routers keep their plain configuration
    for node in emu.nodes:
        files = dict(node.files)
        if node.name in names and "bird.cfg" in files:
            files["bird.cfg"] = with_timers(files["bird.cfg"], gr_wait, restart_time)
        nodes.append(dataclasses.replace(node, files=files))
    fields = {f.name: getattr(emu, f.name) for f in dataclasses.fields(Emulation) if f.init}
    fields.update(nodes=nodes)
    return RecoveringEmulation(**fields), topo


def not_established(emu: Emulation, names: Iterable[str]) -> list[str]:
    """``node/protocol`` of every ``protocol bgp`` of the nodes ``names`` (IPv4) that is
    not ``up``/``Established`` now.  A BIRD still in graceful-restart recovery shows its
    sessions in state ``wait``, so an empty list also means every recovery has ended."""
    out = []
    for n in names:
        rows = {r.name: r for r in parse_protocols(emu.show_protocols(n))}
        out += [f"{n}/{p}" for p in emu.bgp_protocols(n) if p not in rows or not rows[p].established]
    return out
