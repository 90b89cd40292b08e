"""``calicoctl node status`` for a node of a cluster, computed.

calicoctl asks the node's BIRD (``show protocols`` on ``bird.ctl`` and
``bird6.ctl``), keeps the ``BGP`` rows named ``Mesh_``/``Node_``/``Global_``, and
prints them with olekukonko/tablewriter.  fastroute knows every protocol BIRD has
(:mod:`fastroute.bgp.topology`) and what state each one reaches, so it prints the
same text:

* a session that comes up: ``up`` / ``Established``;
* a session whose peer's calico-node was stopped cleanly (``down``), as observed
  on BIRD 1.6.8 (``tests/interop/test_status_interop.py``): the peer sent a Cease
  (``Administrative shutdown``) and now refuses connections, so the passive end
  shows ``start`` / ``Passive Received: Administrative shutdown`` and the active
  end ``start`` / ``Active Socket: Connection refused`` (between retries the
  active end briefly shows ``Idle`` or ``Connect`` instead of ``Active``; fastroute
  prints the state it spends nearly all its time in);
* a session that never comes up (one-sided configuration, AS mismatch, port or
  password mismatch, both ends passive, a second protocol toward the same neighbour
  waiting for BIRD's neighbour lock): ``start`` with the state BIRD keeps trying
  from, see :func:`peer_statuses`.

:func:`show_protocols` gives BIRD's own ``birdc show protocols`` table, which the
interop tests compare with real BIRD row for row.

SINCE is a wall-clock time in BIRD's protocol time format (``HH:MM:SS`` for the
last 20 hours), which a computation cannot know: it is given (``since``), by
default ``00:00:00`` for every row.

Examples
--------
>>> from fastroute import examples
>>> print(node_status(examples.seed(), "master",
...                   since={"192.168.31.202": "09:32:50", "192.168.31.203": "09:32:49"}), end="")
Calico process is running.
<BLANKLINE>
IPv4 BGP status
+----------------+-------------------+-------+----------+-------------+
|  PEER ADDRESS  |     PEER TYPE     | STATE |  SINCE   |    INFO     |
+----------------+-------------------+-------+----------+-------------+
| 192.168.31.202 | node-to-node mesh | up    | 09:32:50 | Established |
| 192.168.31.203 | node-to-node mesh | up    | 09:32:49 | Established |
+----------------+-------------------+-------+----------+-------------+
<BLANKLINE>
IPv6 BGP status
No IPv6 peers found.
<BLANKLINE>
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..bgp.birdcfg import render_aggr_cfg
from ..errors import InvalidValueError, NodeDownError
from ..bgp.topology import SessionKind, Topology, compute
from .table import render_table, wrap_words

if TYPE_CHECKING:
    from ..model.cluster import Cluster

__all__ = ["PeerStatus", "peer_statuses", "node_status", "status_dict", "show_protocols", "render_table",
           "wrap_words", "DEFAULT_SINCE"]

#: SINCE printed when no time is given.
DEFAULT_SINCE = "00:00:00"

_PEER_TYPE = {SessionKind.MESH: "node-to-node mesh", SessionKind.NODE: "node specific",
              SessionKind.GLOBAL: "global"}

# What BIRD 1.6.8 shows (state, info) for a session that is not up, by cause.
_DOWN_PEER_PASSIVE = ("start", "Passive", "Received: Administrative shutdown")
_DOWN_PEER_ACTIVE = ("start", "Active", "Socket: Connection refused")


@dataclass(frozen=True)
class PeerStatus:
    """One row of ``calicoctl node status``.

    ``peer_address`` is derived from the protocol name as calicoctl does
    (``Global_10_0_0_1_port_1790`` prints ``10.0.0.1.port.1790``).
    """

    peer_address: str
    peer_type: str
    state: str
    since: str
    info: str
    protocol: str
    version: int

    @property
    def established(self):
        return self.state == "up" and self.info == "Established"


def _since_for(since, name, address):
    if since is None:
        return DEFAULT_SINCE
    if isinstance(since, str):
        return since
    for key in (name, address):
        if key in since:
            return since[key]
    return since.get("*", DEFAULT_SINCE)


def _check_since(value):
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise InvalidValueError(f"invalid SINCE value {value!r}: expected one word such as '09:32:50' or '2024-01-31'")
    return value


def _topology(cluster, down, calico_version):
    if isinstance(cluster, Topology):
        if down and frozenset(down) != cluster.down:
            return compute(cluster.cluster, cluster.calico_version, down)
        return cluster
    return compute(cluster, calico_version, down)


def peer_statuses(cluster: Cluster | Topology, node: str, version: int = 4, down: Iterable[str] = (),
                  since: str | Mapping[str, str] | None = None, calico_version: str | None = None
                 ) -> list[PeerStatus]:
    """The rows calicoctl prints for ``node`` in one IP family, in ``show protocols`` order.

    Parameters
    ----------
    cluster : Cluster or Topology
    node : str
    version : {4, 6}
    down : iterable of str
        Nodes whose calico-node was stopped cleanly.
    since : str or mapping, optional
        SINCE for every row, or per row keyed by protocol name or peer address
        (``"*"`` for the rest).
    calico_version : str, optional

    Returns
    -------
    list of PeerStatus

    Notes
    -----
    Sessions that never come up, as BIRD 1.6.8 showed them in our runs (the last
    three change with BIRD's retry timers; fastroute prints the most frequent one):

    * an earlier protocol of this node has the same neighbour address and port (for
      example ``Mesh_x`` and ``Global_x``): ``start`` / ``Idle`` for good (observed);
    * this end passive: ``start`` / ``Passive``;
    * the neighbour runs no BGP protocol of this family at all, so nothing listens:
      ``start`` / ``Active Socket: Connection refused`` (observed);
    * the neighbour runs BGP but has no protocol for us and drops the connection:
      ``start`` / ``Active Socket: Connection closed`` (not observed; inferred);
    * we reject the AS the neighbour announces: ``start`` / ``Idle BGP Error: Bad
      peer AS`` (observed; alternates with ``Active``);
    * the neighbour rejects ours: ``start`` / ``Idle Received: Bad peer AS``
      (observed; cycles through ``Active``/``OpenSent`` and other socket errors);
    * a port the neighbour does not listen on: ``start`` / ``Active Socket: Connection
      refused`` (observed);
    * a password mismatch: ``start`` / ``Active Socket: Connection closed`` (inferred).
    """
    topo = _topology(cluster, down, calico_version)
    i = topo.cluster.node_index(node)
    if node in topo.down:
        raise NodeDownError("Calico process is not running.")
    s = topo.sessions(version)
    sep = "." if version == 4 else ":"
    out = []
    for r in s.rows_of(i):
        name = s.names[r]
        kind = SessionKind(int(s.kind[r]))
        state, word, err = _row_state(s, topo, r)
        info = " ".join(x for x in (word, err) if x)
        address = name.split("_", 1)[1].replace("_", sep)
        out.append(PeerStatus(address, _PEER_TYPE[kind], state, _check_since(_since_for(since, name, address)),
                              info, name, version))
    return out


def _row_state(s, topo, r):
    if s.established[r]:
        return "up", "Established", ""
    if s.locked_out is not None and s.locked_out[r]:
        # waits for BIRD's neighbour lock, held by the earlier protocol (observed)
        return "start", "Idle", ""
    n = s.n_nodes
    remote = int(s.remote[r])
    other = int(s.peer_row[r])
    passive = bool(s.passive[r])
    remote_down = remote < n and bool(s.down[remote])
    if remote_down and other >= 0 and _would_establish(s, r, other, topo):
        return _DOWN_PEER_PASSIVE if passive else _DOWN_PEER_ACTIVE
    if passive:
        return "start", "Passive", ""
    if remote_down:
        return "start", "Active", "Socket: Connection refused"
    if remote < n and int(s.remote_port[r]) != _listen_port(topo, remote):
        # nothing listens on that port of the neighbour
        return "start", "Active", "Socket: Connection refused"
    if other < 0:
        listening = remote >= n or bool((s.local == remote).any())
        return "start", "Active", "Socket: Connection closed" if listening else "Socket: Connection refused"
    if int(s.remote_as[other]) != int(s.local_as[r]):
        return "start", "Idle", "Received: Bad peer AS"
    if int(s.remote_as[r]) != int(s.local_as[other]):
        return "start", "Idle", "BGP Error: Bad peer AS"
    return "start", "Active", "Socket: Connection closed"


def _listen_port(topo, i):
    v = topo.views[i]
    if v.node.listen_port is not None:
        return v.node.listen_port
    return v.globals.listen_port or 179


def _would_establish(s, r, other, topo):
    # The session was up before the neighbour stopped: same checks as established,
    # without the down flags.
    if int(s.remote_as[r]) != int(s.local_as[other]) or int(s.remote_as[other]) != int(s.local_as[r]):
        return False
    if s.passive[r] and s.passive[other]:
        return False
    return True


def node_status(cluster: Cluster | Topology, node: str, down: Iterable[str] = (),
                since: str | Mapping[str, str] | None = None, calico_version: str | None = None) -> str:
    """The text ``calicoctl node status`` prints on ``node`` (calico-node running, BIRD mode).

    Both IPv4 and IPv6 sections are printed: calico-node starts ``bird`` and
    ``bird6`` in BIRD mode, so a node without IPv6 shows ``No IPv6 peers found.``.

    Parameters
    ----------
    cluster : Cluster or Topology
    node : str
    down : iterable of str
        Nodes whose calico-node was stopped cleanly.
    since : str or mapping, optional
        See :func:`peer_statuses`.
    calico_version : str, optional

    Returns
    -------
    str

    Raises
    ------
    UnknownNodeError
        ``node`` (or a name in ``down``) is not in the cluster.
    NodeDownError
        ``node`` itself is down: calicoctl then prints ``Calico process is not
        running.`` on stderr and exits with 1.
    """
    topo = _topology(cluster, down, calico_version)
    topo.cluster.node_index(node)
    if node in topo.down:
        raise NodeDownError("Calico process is not running.")
    out = ["Calico process is running.\n"]
    for version in (4, 6):
        out.append(f"\nIPv{version} BGP status\n")
        rows = peer_statuses(topo, node, version, since=since)
        if not rows:
            out.append(f"No IPv{version} peers found.\n")
            continue
        out.append(render_table(["Peer address", "Peer type", "State", "Since", "Info"],
                                [[p.peer_address, p.peer_type, p.state, p.since, p.info] for p in rows]))
    out.append("\n")
    return "".join(out)


def status_dict(cluster: Cluster | Topology, node: str, down: Iterable[str] = (),
                since: str | Mapping[str, str] | None = None, calico_version: str | None = None) -> dict[str, Any]:
    """``node_status`` as data: ``{"node": ..., "ipv4": [row...], "ipv6": [row...]}``."""
    topo = _topology(cluster, down, calico_version)
    topo.cluster.node_index(node)
    if node in topo.down:
        raise NodeDownError("Calico process is not running.")
    return {"node": node, **{f"ipv{v}": [asdict(p) for p in peer_statuses(topo, node, v, since=since)]
                             for v in (4, 6)}}


def show_protocols(cluster: Cluster | Topology, node: str, version: int = 4, down: Iterable[str] = (),
                   since: str | Mapping[str, str] | None = None, calico_version: str | None = None) -> str:
    """What ``birdc show protocols`` (``birdc6`` for ``version=6``) prints on ``node``.

    BIRD 1.6's table: the header, then ``static1`` (only when ``bird_aggr.cfg`` has a
    static protocol: the node has blocks or static routes), ``kernel1``, ``device1``,
    ``direct1`` and the BGP protocols in bird.cfg order.  Each row is the name, protocol
    and table left-aligned in 8 columns, the state in 5, SINCE in 10, and the info --
    for BGP, the session state padded to 14 columns followed by the last error --
    as ``proto_cmd_show``/``bgp_get_status`` print them (trailing blanks included).
    The ``BIRD 1.6.8 ready.`` banner birdc prints first is not included.

    Parameters are those of :func:`peer_statuses`; ``since`` keys may also name the
    non-BGP protocols (``"kernel1"``...).
    """
    topo = _topology(cluster, down, calico_version)
    i = topo.cluster.node_index(node)
    if node in topo.down:
        raise NodeDownError("Calico process is not running.")
    view = topo.view(i)
    rows = []
    if "protocol static {" in render_aggr_cfg(view, version):
        rows.append(("static1", "Static", "up", ""))
    rows += [("kernel1", "Kernel", "up", ""), ("device1", "Device", "up", ""), ("direct1", "Direct", "up", "")]
    s = topo.sessions(version)
    for r in s.rows_of(i):
        state, word, err = _row_state(s, topo, r)
        rows.append((s.names[r], "BGP", state, f"{word:<14}{err}"))
    out = ["name     proto    table    state  since       info"]
    for name, proto, state, info in rows:
        when = _check_since(_since_for(since, name, name))
        out.append(f"{name:<8} {proto:<8} {'master':<8} {state:<5}  {when:<10}  {info}")
    return "\n".join(out) + "\n"
