"""BIRD 1.6 configurations for the routers of an emulated cluster.

:func:`fastroute.testing.emulate.cluster_emulation` starts one BIRD per external
router next to the nodes' BIRDs.  A router modelled by a ``Router`` resource
(:mod:`fastroute.model.routers`) gets the configuration its resource describes
(:func:`router_config`); any other address a BGPPeer names gets a sink that
learns everything and announces nothing (:func:`external_router_config`), the
assumption :mod:`fastroute.bgp.topology` makes about routers it knows nothing of.

The router configuration is plain BIRD 1.6: a ``static`` protocol with a
blackhole per announced prefix, a kernel protocol exporting the best routes into
the router's namespace (so its ``ip route`` is its table), a ``direct`` protocol
for its connected subnet (which resolves iBGP next hops and is never
announced), and per neighbour a
``protocol bgp`` with ``next hop self`` on eBGP sessions, ``rr client`` (and
``rr cluster id``) toward the iBGP clients of a reflecting router, and an export
filter that sends Calico nodes only its own announcements under ``export:
originated``/``default``.  Which neighbours it has comes from the session table
(:class:`fastroute.bgp.sessions.Sessions`): the nodes whose BGPPeers target its
address and the Routers it peers with.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..bgp.sessions import ExternalRouter, Sessions

__all__ = ["external_router_config", "router_config", "router_peers"]


def external_router_config(router: ExternalRouter, peers: Sequence[tuple[str, int]]) -> str:
    """BIRD 1.6 configuration of an external router that is only a sink.

    Parameters
    ----------
    router : fastroute.bgp.topology.ExternalRouter
    peers : sequence of (node ip, node AS)
        The nodes configured to peer with it.
    """
    out = [f"# External router {router.ip} (AS {router.as_number}): learns everything, announces nothing.",
           f"router id {router.ip};",
           "protocol device { scan time 2; }",
           "protocol kernel { scan time 2; import none; export all; }"]
    for k, (ip, asn) in enumerate(peers):
        out += [f"protocol bgp peer{k} {{",
                f"  local as {router.as_number};",
                f"  neighbor {ip} as {asn};",
                "  import all;",
                "  export none;",
                "}"]
    return "\n".join(out) + "\n"


def router_peers(sessions: Sessions, external: ExternalRouter) -> list[tuple[str, int, bool, str | None, bool]]:
    """The neighbours of router ``external`` (an ExternalRouter) in a Sessions
    table: ``(ip text, AS, rr client, cluster id text or None, is a node)`` per row
    of the router, in row order."""
    out = []
    version = sessions.version
    for row in np.flatnonzero(np.asarray(sessions.local) == external.index):
        remote = int(sessions.remote[row])
        ip = str(ipaddress.ip_address(int(sessions.remote_ip[row])) if version == 4
                 else ipaddress.IPv6Address(int(sessions.remote_ip[row])))
        client = bool(sessions.rr_client[row])
        cid = str(ipaddress.IPv4Address(int(sessions.session_cluster_id[row]))) if client else None
        out.append((ip, int(sessions.remote_as[row]), client, cid, remote < sessions.n_nodes))
    return out


def router_config(external: ExternalRouter, peers: Sequence[tuple], fast_retry: bool = True) -> str:
    """BIRD 1.6 configuration of a Router (``external.router``).

    Parameters
    ----------
    external : fastroute.bgp.topology.ExternalRouter
        With its ``router`` (a :class:`fastroute.model.routers.Router`).
    peers : sequence of tuples
        :func:`router_peers` of the router.
    fast_retry : bool
        Short connect-retry and error-wait timers (timing only).
    """
    r = external.router
    out = [f"# Router {r.name} {r.address} (AS {r.as_number}), export {r.export}.",
           f"router id {external.ip if external.version == 4 else '0.0.0.1'};",
           "protocol device { scan time 2; }",
           "protocol kernel { scan time 2; import none; export all; }",
           # the connected subnet resolves iBGP next hops (gateway recursive); it is not announced
           f'protocol direct {{ interface "{r.interface}"; }}']
    if r.announce:
        out.append("protocol static announce {")
        out += [f"  route {p} blackhole;" for p in r.announce]
        out.append("}")
    own = '  export where proto = "announce";' if r.announce else "  export none;"
    for k, (ip, asn, client, cid, is_node) in enumerate(peers):
        out += [f"protocol bgp peer{k} {{",
                f"  local as {r.as_number};",
                f"  neighbor {ip} as {asn};",
                "  import all;",
                own if is_node and r.export != "all" else "  export where source != RTS_DEVICE;"]
        if asn != r.as_number:
            out.append("  next hop self;")
        if client:
            out += ["  rr client;", f"  rr cluster id {cid};"]
        if fast_retry:
            out += ["  connect retry time 1;", "  error wait time 1,2;"]
        out.append("}")
    return "\n".join(out) + "\n"
