"""Run real BIRD 1.6 on a small cluster in Linux network namespaces.

This is the ground truth fastroute is checked against (issue "Differential tests
against real BIRD"): one network namespace per node, all uplinks on one bridge,
one BIRD per node fed the configuration :mod:`fastroute.bgp.birdcfg` renders, and
Felix's part done by hand (a ``cali...`` interface -- dummy, or ifb on kernels
without the dummy driver -- and a ``/32 scope link`` route, protocol boot, per local
pod).  When the sessions are up and the tables have stopped
changing, each node's ``ip route`` and ``birdc show protocols`` are read back.

Layout, for a run with prefix ``fr1a2b3c``:

* namespace ``fr1a2b3c-fab`` holds the bridge ``br0`` and one veth end per node
  (``v0``, ``v1``, ...); nothing is created in the caller's namespace, so traffic
  stays among the run's own namespaces;
* namespace ``fr1a2b3c-<i>`` is node *i*; the other veth end is renamed to the
  node's uplink (``ens33``, ``eth0``...) and carries the node address;
* ``<workdir>/<i>/`` holds the node's config files, control socket
  (``bird.ctl``), pid file and log.

:class:`Emulation` is a context manager; leaving it always kills every BIRD it
started (by pid) and deletes the namespaces and the work directory, also when a
check inside the ``with`` block failed.

What stock BIRD cannot do
-------------------------
Calico's BIRD fork adds the route attribute ``krt_tunnel``, which the rendered
``calico_kernel_programming`` filter sets.  Stock BIRD rejects the symbol, so
:func:`stock_bird_files` drops the ``krt_tunnel = "";`` statements (no tunnel:
the same kernel route either way) and refuses a configuration that sets
``krt_tunnel = "tunl0"`` -- IPIP routes cannot be checked with stock BIRD.

Timers are left as the rendered configuration has them (connect delay 2 s,
connect retry 5 s, error wait 5-30 s).  The daemons are started 0.3 s apart
(``Emulation.stagger``), all within the 2 s connect delay; sessions between two
active ends (Node_/Global_ peers) still sometimes collide and take 5-30 s to settle,
unless ``Emulation(fast_retry=True)`` shortens the retry timers (the one change the
harness may make to a configuration; it affects timing only).

IPv6 runs ``bird6`` next to ``bird`` (``Emulation(ipv6=True)``); node IPv6 addresses
are added without duplicate address detection so BIRD can bind them at once.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..bgp.birdcfg import render_files
from ..bgp.topology import compute as compute_topology
from ..errors import EmulationError, InvalidValueError, choice
from ..model.calico import kernel_metrics
from .emulate_routers import external_router_config, router_config, router_peers

if TYPE_CHECKING:
    from ..bgp.birdview import BirdNodeView
    from ..bgp.topology import Topology
    from ..model.cluster import Cluster

__all__ = [
    "Pod",
    "EmuNode",
    "ProtocolRow",
    "Emulation",
    "emu_node",
    "stock_bird_files",
    "netns_unavailable_reason",
    "parse_protocols",
    "normalize_routes",
    "normalize_protocols",
    "diff_texts",
    "external_router_config",
    "cluster_emulation",
    "emulate_cluster",
]

_IFNAME = re.compile(r"^[A-Za-z0-9_.\-]{1,15}$")


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Pod:
    """A local pod: its IP, host-side interface (``cali`` + 11 hex digits) and route metric (None: none)."""

    ip: str
    iface: str
    metric: int | None = None

    def __post_init__(self):
        try:
            ipaddress.ip_address(self.ip)
        except ValueError:
            raise InvalidValueError(f"invalid pod ip {self.ip!r}: expected an IP address") from None
        if not _IFNAME.match(self.iface):
            raise InvalidValueError(f"invalid interface name {self.iface!r} for pod {self.ip}: 1..15 characters [A-Za-z0-9_.-]")


@dataclass(frozen=True)
class EmuNode:
    """One emulated node.

    Parameters
    ----------
    name : str
    address : str
        The uplink address with prefix length, e.g. ``"192.168.31.201/24"``.
    files : dict of str to str
        BIRD configuration files by name; ``bird.cfg`` is the one BIRD is started with.
    uplink : str
        Uplink interface name (the cluster's ``fastroute.io/uplink``, default ``eth0``).
    pods : tuple of Pod
        Local pods: a dummy interface and a ``<ip>/32 dev <iface> scope link`` route each
        (protocol ``boot``, as Felix programs them).
    address_metric : int or None
        Metric of the connected route of ``address`` (NetworkManager uses 100).
    address6 : str or None
        The uplink's IPv6 address with prefix length (added without duplicate address
        detection, so BIRD can bind to it at once).
    setup : tuple of tuple of str
        Extra ``ip`` commands run in the node's namespace after the uplink is up, e.g.
        ``("route", "add", "default", "via", "192.168.31.1", "dev", "ens33")``, for host
        routes that belong in the node's table.
    """

    name: str
    address: str
    files: dict
    uplink: str = "eth0"
    pods: tuple = ()
    address_metric: int | None = None
    setup: tuple = ()
    address6: str | None = None

    def __post_init__(self):
        for addr, version in ((self.address, 4), (self.address6, 6)):
            if addr is None and version == 6:
                continue
            try:
                ok = ipaddress.ip_interface(addr).version == version
            except ValueError:
                ok = False
            if not ok:
                raise InvalidValueError(f"invalid address {addr!r} for node {self.name!r}: expected IPv{version} ip/len")
        if not _IFNAME.match(self.uplink):
            raise InvalidValueError(f"invalid uplink name {self.uplink!r} for node {self.name!r}: 1..15 characters")
        if "bird.cfg" not in self.files:
            raise InvalidValueError(f"missing 'bird.cfg' in files of node {self.name!r}: got {sorted(self.files)!r}")


def stock_bird_files(files: dict[str, str]) -> dict[str, str]:
    """Adapt confd-rendered files to stock BIRD 1.6 (which has no ``krt_tunnel``).

    ``krt_tunnel = "";`` statements are dropped: they select no tunnel, which is what
    stock BIRD does anyway.  Any other use of ``krt_tunnel`` (IPIP pools) raises
    :class:`EmulationError`, because stock BIRD cannot program ``dev tunl0 onlink`` routes.
    """
    out = {}
    for name, text in files.items():
        lines = []
        for n, line in enumerate(text.splitlines(keepends=True), 1):
            if line.strip() == 'krt_tunnel = "";':
                continue
            if "krt_tunnel" in line:
                raise EmulationError(
                    f"cannot run {line.strip()!r} ({name} line {n}) on stock BIRD: it lacks Calico's "
                    "krt_tunnel patch, so IPIP pools cannot be emulated"
                )
            lines.append(line)
        out[name] = "".join(lines)
    return out


def emu_node(view: BirdNodeView, uplink: str = "eth0", pods: Sequence[Pod | tuple[str, str]] = (),
             address_metric: int | None = None, setup: Sequence[tuple[str, ...]] = ()) -> EmuNode:
    """An :class:`EmuNode` whose BIRD runs the configuration rendered from ``view``.

    Parameters
    ----------
    view : fastroute.bgp.birdcfg.BirdNodeView
    uplink : str
    pods : sequence of Pod or of (ip, iface) pairs
    address_metric : int, optional
    setup : sequence of tuple of str
    """
    if not view.node.ipv4_address:
        raise InvalidValueError(f"node {view.node.name!r} has no ipv4_address: the emulation needs one for the uplink")
    files = stock_bird_files(render_files(view))
    pods = tuple(p if isinstance(p, Pod) else Pod(*p) for p in pods)
    return EmuNode(view.node.name, view.node.ipv4_address, files, uplink, pods, address_metric,
                   tuple(map(tuple, setup)), view.node.ipv6_address)


def netns_unavailable_reason() -> str | None:
    """None when network namespaces can be created here; otherwise why not."""
    if shutil.which("ip") is None:
        return "the 'ip' command (iproute2) is not installed"
    name = f"frprobe{uuid.uuid4().hex[:8]}"
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if r.returncode != 0:
        return f"cannot create a network namespace: 'ip netns add' said: {r.stderr.strip() or r.returncode}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class ProtocolRow:
    """One row of ``birdc show protocols``."""

    name: str
    proto: str
    table: str
    state: str
    since: str
    info: str

    @property
    def established(self):
        return self.state == "up" and self.info.split()[:1] == ["Established"]


_BANNER = re.compile(r"^BIRD [0-9][^ ]* ready\.$")


def parse_protocols(text: str) -> list[ProtocolRow]:
    """Parse ``birdc show protocols`` output (banner and header skipped).

    ``since`` is one token (BIRD 1.6's default ``HH:MM:SS`` or ``YYYY-MM-DD``); ``info``
    is the rest of the line with runs of blanks kept as BIRD printed them, minus the
    trailing ones.
    """
    rows = []
    for line in text.splitlines():
        s = line.rstrip()
        if not s or _BANNER.match(s) or s.split()[:2] == ["name", "proto"]:
            continue
        m = re.match(r"^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$", s)
        if not m:
            raise EmulationError(f"cannot parse protocol row {s!r}")
        rows.append(ProtocolRow(*m.group(1, 2, 3, 4, 5), m.group(6) or ""))
    return rows


def normalize_routes(text: str) -> str:
    """``ip route`` text with trailing blanks and blank lines removed, one route per line."""
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip()) + "\n"


def normalize_protocols(text: str, since: str = "*") -> str:
    """``birdc show protocols`` text without the banner, trailing blanks and timestamps.

    The ``since`` column is replaced by ``since`` padded to BIRD's 10 columns, so rows
    from different runs compare equal when only the times differ.
    """
    out = []
    for line in text.splitlines():
        s = line.rstrip()
        if not s or _BANNER.match(s):
            continue
        if s.split()[:2] == ["name", "proto"]:
            out.append(s)
            continue
        r = parse_protocols(s)[0]
        row = f"{r.name:<8} {r.proto:<8} {r.table:<8} {r.state:<5}  {since:<10}  {r.info}"
        out.append(row.rstrip())
    return "\n".join(out) + "\n"


def diff_texts(expected: dict[str, str], got: dict[str, str], fromfile: str = "expected", tofile: str = "got"
              ) -> str:
    """Unified diff between two dicts of texts (e.g. node -> ``ip route``); ``""`` when equal.

    Meant for assertion messages in differential tests::

        assert not (d := diff_texts(fastroute_tables, emu.snapshot()["routes"])), d
    """
    import difflib

    out = []
    for key in sorted(set(expected) | set(got), key=str):
        a, b = expected.get(key), got.get(key)
        if a == b:
            continue
        out += difflib.unified_diff((a or "").splitlines(), (b or "").splitlines(),
                                    f"{fromfile}/{key}", f"{tofile}/{key}", lineterm="")
        if a is None or b is None:
            out.append(f"# {key}: only in {'got' if a is None else 'expected'}")
    return "\n".join(out)


# --------------------------------------------------------------------------- the harness


def _run(argv, check=True, timeout=20, cwd=None):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    if check and r.returncode != 0:
        raise EmulationError(f"command {' '.join(argv)!r} failed with status {r.returncode}: {r.stderr.strip()}")
    return r


@dataclass
class _Live:
    node: EmuNode
    ns: str
    dir: str
    procs: dict = field(default_factory=dict)  # family -> Popen
    logs: dict = field(default_factory=dict)  # family -> open log file

    def running(self, family):
        p = self.procs.get(family)
        return p is not None and p.poll() is None


@dataclass
class Emulation:
    """BIRD on every node of a small cluster, each in its own network namespace.

    Parameters
    ----------
    nodes : sequence of EmuNode
    prefix : str, optional
        Name prefix for namespaces (default ``fr`` + 6 random hex digits), so parallel
        runs never collide.
    bird_exe, birdc_exe : str
        The executables (BIRD 1.6).
    workdir : str, optional
        Parent directory for the per-run directory (default: the system temp dir).
    ipv6 : bool
        Also start ``bird6`` with ``bird6.cfg`` on every node (calico-node always runs
        both daemons; v4-only scenarios leave bird6 out to save time).
    fast_retry : bool
        Shorten BIRD's retry timers in the ``bgp_template`` of every node --
        ``connect retry time 5`` -> ``1`` and ``error wait time 5,30`` -> ``1,2`` -- so
        collided sessions between two active ends come up in seconds.  Only how long
        convergence takes changes, not which sessions come up or which routes win; the
        default keeps the rendered configuration untouched.
    stagger : float
        Seconds between two BIRD starts (the configuration itself is never changed).
        Where both ends of a session are active (Node_ and Global_ peers), BIRD 1.6
        refuses incoming connections during its own connect delay and resolves
        simultaneous opens by closing one connection, after which both ends wait out
        their retry timers; such a pair can take 5-30 s to come up.  Spreading the starts
        a little, as real nodes are, made that rarer in our runs but does not remove it,
        hence the generous default timeout of :meth:`wait`.

    Examples
    --------
    ::

        with Emulation([emu_node(v, uplink="ens33", pods=...) for v in views]) as emu:
            emu.wait()
            print(emu.ip_route("master"))
            print(emu.show_protocols("master"))
    """

    nodes: list
    prefix: str | None = None
    bird_exe: str = "bird"
    birdc_exe: str = "birdc"
    workdir: str | None = None
    stagger: float = 0.3
    ipv6: bool = False
    fast_retry: bool = False
    _live: dict = field(default_factory=dict, init=False, repr=False)
    _fabric: str | None = field(default=None, init=False, repr=False)
    _dir: str | None = field(default=None, init=False, repr=False)
    _namespaces: list = field(default_factory=list, init=False, repr=False)
    _pod_kind: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        self.nodes = list(self.nodes)
        names = [n.name for n in self.nodes]
        if len(set(names)) != len(names):
            raise InvalidValueError(f"duplicate node names in {names!r}")
        if self.prefix is None:
            self.prefix = "fr" + uuid.uuid4().hex[:6]
        if not re.match(r"^[a-z0-9]{2,10}$", self.prefix):
            raise InvalidValueError(f"invalid prefix {self.prefix!r}: 2..10 characters [a-z0-9]")
        exes = [self.bird_exe, self.birdc_exe, "ip"] + ([self.bird_exe + "6", self.birdc_exe + "6"] if self.ipv6 else [])
        for exe in exes:
            if shutil.which(exe) is None:
                raise EmulationError(f"{exe!r} not found on PATH: install the Debian packages bird and iproute2")

    # -- lifecycle -----------------------------------------------------------------

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self):
        """Create the namespaces, the bridge, the uplinks and pods, and start every BIRD."""
        self._dir = tempfile.mkdtemp(prefix=f"{self.prefix}-", dir=self.workdir)
        self._fabric = f"{self.prefix}-fab"
        self._add_ns(self._fabric)
        fab = ["ip", "-n", self._fabric]
        _run(fab + ["link", "add", "br0", "type", "bridge"])
        _run(fab + ["link", "set", "br0", "up"])
        for i, node in enumerate(self.nodes):
            ns = f"{self.prefix}-{i}"
            self._add_ns(ns)
            d = os.path.join(self._dir, str(i))
            os.makedirs(d)
            self._live[node.name] = _Live(node, ns, d)
            ipn = ["ip", "-n", ns]
            _run(ipn + ["link", "set", "lo", "up"])
            # Both veth ends are created outside the caller's namespace.
            _run(fab + ["link", "add", f"v{i}", "type", "veth", "peer", "name", node.uplink, "netns", ns])
            _run(fab + ["link", "set", f"v{i}", "master", "br0"])
            _run(fab + ["link", "set", f"v{i}", "up"])
            addr = ipn + ["addr", "add", node.address, "dev", node.uplink]
            if node.address_metric is not None:
                addr += ["metric", str(node.address_metric)]
            _run(addr)
            if node.address6:
                _run(ipn + ["addr", "add", node.address6, "dev", node.uplink, "nodad"])
            _run(ipn + ["link", "set", node.uplink, "up"])
            for cmd in node.setup:
                _run(ipn + list(cmd))
            made = set()
            for pod in node.pods:
                if pod.iface not in made:  # a dual-stack pod has one interface, two routes
                    self._add_pod_link(ipn, pod.iface)
                    _run(ipn + ["link", "set", pod.iface, "up"])
                    made.add(pod.iface)
                plen = 32 if ipaddress.ip_address(pod.ip).version == 4 else 128
                # `ip route add` defaults to protocol boot, which is what Felix uses.
                metric = [] if pod.metric is None else ["metric", str(pod.metric)]
                _run(ipn + ["route", "add", f"{pod.ip}/{plen}", "dev", pod.iface, "scope", "link"] + metric)
            for fname, text in node.files.items():
                if self.fast_retry:
                    text = text.replace("  connect retry time 5;", "  connect retry time 1;")
                    text = text.replace("  error wait time 5,30;", "  error wait time 1,2;")
                with open(os.path.join(d, fname), "w") as f:
                    f.write(text)
        for k, name in enumerate(self._live):
            if k and self.stagger:
                time.sleep(self.stagger)
            self.start_bird(name)
            if self.ipv6 and "bird6.cfg" in self._live[name].node.files:
                self.start_bird(name, family=6)
        return self

    def _add_pod_link(self, ipn, iface):
        # A dummy interface stands for the host end of the pod's veth.  Kernels built
        # without the dummy driver get an ifb device, which is just as inert (always up,
        # no peer, ignored by BIRD's direct protocol like any cali* name).
        kinds = [self._pod_kind] if self._pod_kind else ["dummy", "ifb"]
        errors = []
        for kind in kinds:
            r = _run(ipn + ["link", "add", iface, "type", kind], check=False)
            if r.returncode == 0:
                self._pod_kind = kind
                return
            errors.append(f"{kind}: {r.stderr.strip()}")
        raise EmulationError(f"cannot create pod interface {iface!r}: " + "; ".join(errors))

    def _add_ns(self, ns):
        _run(["ip", "netns", "add", ns])
        self._namespaces.append(ns)

    def _daemon(self, family):
        choice(family, (4, 6), "family")
        return ("bird", "bird.cfg", "bird.ctl", self.bird_exe, self.birdc_exe) if family == 4 else (
            "bird6", "bird6.cfg", "bird6.ctl", self.bird_exe + "6", self.birdc_exe + "6")

    def start_bird(self, name, family=4, recover=False):
        """Start (or restart) BIRD (family 4) or bird6 (family 6) on node ``name`` (``recover``: with -R, as calico-node)."""
        live = self._node(name)
        label, cfg_name, _, exe, _ = self._daemon(family)
        if live.running(family):
            raise EmulationError(f"{label} already running on node {name!r} (pid {live.procs[family].pid})")
        sock, pid = self.socket(name, family), os.path.join(live.dir, f"{label}.pid")
        cfg = os.path.join(live.dir, cfg_name)
        check = _run(["ip", "netns", "exec", live.ns, exe, "-p", "-c", cfg], check=False, cwd=live.dir)
        if check.returncode != 0:
            raise EmulationError(f"{label} rejects the configuration of node {name!r}: {check.stderr.strip()}")
        log = live.logs.get(family)
        if log is None:
            log = live.logs[family] = open(os.path.join(live.dir, f"{label}.log"), "ab")
        # -f keeps BIRD in the foreground, so the pid we hold is BIRD's own (ip netns exec execs it).
        proc = live.procs[family] = subprocess.Popen(
            ["ip", "netns", "exec", live.ns, exe, "-f", "-c", cfg, "-s", sock, "-P", pid] + (["-R"] if recover else []),
            cwd=live.dir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not os.path.exists(sock):
            if proc.poll() is not None:
                raise EmulationError(f"{label} on node {name!r} exited with status {proc.returncode}: "
                                     f"{self.log(name, family)}")
            if time.monotonic() > deadline:
                raise EmulationError(f"{label} on node {name!r} did not open its control socket {sock!r} in 10 s")
            time.sleep(0.05)

    def stop_bird(self, name, timeout=10.0, crash=False, family=None):
        """Stop BIRD on node ``name`` (``family`` 4 or 6; None: every daemon running there).

        By default the way calico-node's shutdown does it (SIGTERM): BIRD closes its
        sessions with a Cease notification and, because the kernel protocol has
        ``persist``, leaves its routes in that node's kernel.  ``crash=True`` sends SIGKILL
        instead: the node's kernel closes the TCP connections without any BGP
        notification, which is what graceful restart on the peers reacts to.
        """
        live = self._node(name)
        families = [f for f in (4, 6) if live.running(f)] if family is None else [family]
        if not families or not all(live.running(f) for f in families):
            raise EmulationError(f"BIRD (family {family or 'any'}) is not running on node {name!r}")
        for f in families:
            proc = live.procs[f]
            proc.send_signal(signal.SIGKILL if crash else signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
                raise EmulationError(f"BIRD on node {name!r} did not stop within {timeout} s of SIGTERM; killed") from None
            try:
                os.unlink(self.socket(name, f))
            except FileNotFoundError:
                pass

    def close(self):
        """Kill every BIRD this run started, delete its namespaces and work directory."""
        errors = []
        for live in self._live.values():
            for p in live.procs.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                    try:
                        p.wait(3)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        try:
                            p.wait(3)
                        except subprocess.TimeoutExpired:
                            errors.append(f"BIRD pid {p.pid} of node {live.node.name!r} survived SIGKILL")
            for log in live.logs.values():
                log.close()
            live.logs.clear()
        for ns in reversed(self._namespaces):
            r = _run(["ip", "netns", "del", ns], check=False)
            if r.returncode != 0:
                errors.append(f"cannot delete namespace {ns!r}: {r.stderr.strip()}")
        self._namespaces.clear()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        if errors:
            raise EmulationError("; ".join(errors))

    # -- reading state -------------------------------------------------------------

    def _node(self, name):
        try:
            return self._live[name]
        except KeyError:
            raise EmulationError(f"unknown node {name!r}: the emulation has {sorted(self._live)!r}") from None

    def namespace(self, name):
        return self._node(name).ns

    def socket(self, name, family=4):
        return os.path.join(self._node(name).dir, self._daemon(family)[2])

    def log(self, name, family=4):
        """The last 4000 characters BIRD printed on node ``name``."""
        live = self._node(name)
        if family in live.logs:
            live.logs[family].flush()
        try:
            with open(os.path.join(live.dir, f"{self._daemon(family)[0]}.log"), errors="replace") as f:
                return f.read()[-4000:]
        except FileNotFoundError:
            return ""

    def ip(self, name, *argv):
        """Run ``ip <argv>`` in node ``name``'s namespace and return its output."""
        return _run(["ip", "-n", self._node(name).ns, *argv]).stdout

    def ip_route(self, name, family=4):
        """``ip route`` (``ip -6 route`` for family 6), the main table, as printed on node ``name``."""
        choice(family, (4, 6), "family")
        return self.ip(name, "route") if family == 4 else self.ip(name, "-6", "route")

    def birdc(self, name, command, family=4):
        """Run one ``birdc`` (``birdc6``) command against node ``name``'s daemon; return its output."""
        exe = self._daemon(family)[4]
        r = _run([exe, "-s", self.socket(name, family), *command.split()], check=False)
        if r.returncode != 0:
            raise EmulationError(f"{exe} {command!r} on node {name!r} failed: {(r.stderr or r.stdout).strip()}")
        return r.stdout

    def show_protocols(self, name, family=4):
        """``birdc show protocols`` (``birdc6`` for family 6) on node ``name``."""
        return self.birdc(name, "show protocols", family)

    def bgp_protocols(self, name, family=4):
        """The names of the ``protocol bgp`` sections of node ``name``'s bird.cfg (bird6.cfg) files."""
        files = self._node(name).node.files
        wanted = ("bird.cfg", "bird_aggr.cfg", "bird_ipam.cfg") if family == 4 else (
            "bird6.cfg", "bird6_aggr.cfg", "bird6_ipam.cfg")
        return [m.group(1) for f in wanted if f in files for m in re.finditer(r"^protocol bgp (\S+)", files[f], re.M)]

    def snapshot(self, families=(4,)):
        """Every node's normalised tables and protocol lists.

        Returns
        -------
        dict
            ``{"routes": {node: text}, "protocols": {node: text}}`` for family 4; with
            ``families=(4, 6)`` the keys of the inner dicts are ``(node, family)``.
        """
        def key(n, f):
            return n if families == (4,) else (n, f)

        routes, protocols = {}, {}
        for n, lv in self._live.items():
            for f in families:
                routes[key(n, f)] = normalize_routes(self.ip_route(n, f))
                if lv.running(f):
                    protocols[key(n, f)] = normalize_protocols(self.show_protocols(n, f))
        return {"routes": routes, "protocols": protocols}

    def wait(self, established=None, timeout=90.0, settle=3.0, poll=0.25):
        """Wait until the given sessions are Established and every table stops changing.

        Parameters
        ----------
        established : dict, optional
            ``node name -> protocol names`` (IPv4 daemon) or ``(node name, family) ->
            protocol names`` that must be ``up``/``Established``.  Default: every ``protocol
            bgp`` of every running daemon.
        timeout : float
            Overall bound in seconds.
        settle : float
            The IPv4 and IPv6 tables of all nodes must stay the same this long (BIRD's
            kernel scan period is 2 s).

        Returns
        -------
        float
            Seconds it took.

        Raises
        ------
        EmulationError
            On timeout, naming the sessions that were not Established.
        """
        if established is None:
            established = {(n, f): self.bgp_protocols(n, f)
                           for n, lv in self._live.items() for f in (4, 6) if lv.running(f)}
        established = {(k if isinstance(k, tuple) else (k, 4)): list(v) for k, v in established.items()}
        families = sorted({f for lv in self._live.values() for f in lv.procs} | {4})
        deadline = time.monotonic() + timeout
        start = time.monotonic()
        while True:
            missing = {}
            for (n, f), names in established.items():
                rows = {r.name: r for r in parse_protocols(self.show_protocols(n, f))}
                bad = [f"{p} ({rows[p].state} {rows[p].info})" if p in rows else f"{p} (absent)"
                       for p in names if p not in rows or not rows[p].established]
                if bad:
                    missing[f"{n}/v{f}"] = bad
            if not missing:
                break
            if time.monotonic() > deadline:
                raise EmulationError(f"sessions not Established after {timeout} s: {missing!r}")
            time.sleep(poll)
        tables = None
        stable_since = time.monotonic()
        while True:
            now = {(n, f): self.ip_route(n, f) for n in self._live for f in families}
            if now != tables:
                tables, stable_since = now, time.monotonic()
            elif time.monotonic() - stable_since >= settle:
                return time.monotonic() - start
            if time.monotonic() > deadline:
                raise EmulationError(f"routing tables still changing after {timeout} s")
            time.sleep(poll)


# --------------------------------------------------------------------------- a whole cluster


def cluster_emulation(cluster: Cluster, calico_version: str | None = None, ipv6: bool = False
                     ) -> tuple[Emulation, Topology]:
    """An :class:`Emulation` of an allocated ``cluster``.

    Every node gets its uplink (annotation ``fastroute.io/uplink``), its pods'
    interfaces and routes and a BIRD fed the configuration confd would render (the
    views of :func:`fastroute.bgp.topology.compute`).  Routers
    (:mod:`fastroute.model.routers`) run the BIRD their resource describes
    (:mod:`fastroute.testing.emulate_routers`); other external routers the BGPPeers
    point at get a plain BIRD on the same segment that peers back with every node
    configured to peer with it, learns everything and announces nothing -- the
    assumption :mod:`fastroute.bgp.topology` makes.

    Returns
    -------
    (Emulation, Topology)

    Raises
    ------
    EmulationError
        A node without an IPv4 address, an IPv6 external router, or an external router
        outside every node's IPv4 subnet (the emulation has one flat L2 segment).
    """
    topo = compute_topology(cluster, calico_version)
    pods = {n: [] for n in cluster.node_names}
    metric = [kernel_metrics(topo.calico_version, cluster.bgp_config, v).pod for v in (4, 6)]   # Felix's
    for pod in cluster.pods:
        for k, ip in enumerate((pod.ipv4, pod.ipv6 if ipv6 else None)):
            if ip is not None:
                pods[pod.node].append(Pod(str(ip), pod.interface_name, metric[k]))
    emus = []
    for node, view in zip(cluster.nodes, topo.views):
        if not view.node.ipv4_address:
            raise EmulationError(f"node {node.name!r} has no IPv4 address: the emulation needs one for its uplink")
        emus.append(emu_node(view, uplink=node.uplink, pods=pods[node.name]))
    nets = [ipaddress.ip_interface(v.node.ipv4_address).network for v in topo.views]
    for router in topo.externals:
        if router.router is not None and router.version == 4:
            emus.append(EmuNode(router.name, router.router.address,
                                {"bird.cfg": router_config(router, router_peers(topo.sessions(4), router))},
                                router.router.interface))
            continue
        if router.version != 4:
            if ipv6:
                raise EmulationError(f"cannot emulate IPv6 external router {router.ip!r} yet")
            continue
        net = next((n for n in nets if ipaddress.ip_address(router.ip) in n), None)
        if net is None:
            raise EmulationError(f"external router {router.ip!r} is outside every node subnet: the emulation "
                                 "puts all speakers on one L2 segment")
        # every node configured toward it, under the AS the node speaks there (its `local as`)
        peers = [(ip, asn) for ip, asn, *_ in router_peers(topo.sessions(4), router)]
        emus.append(EmuNode(router.name.replace(" ", "-"), f"{router.ip}/{net.prefixlen}",
                            {"bird.cfg": external_router_config(router, peers)}))
    return Emulation(emus, ipv6=ipv6), topo


def emulate_cluster(cluster: Cluster, nodes: Sequence[str] | None = None, down: Iterable[str] = (),
                    calico_version: str | None = None, ipv6: bool = False, timeout: float = 90.0) -> str:
    """Run the cluster's BIRDs until converged (then stop calico-node on ``down`` and let
    the rest settle); return each of ``nodes``' (default all) ``== NODE: ip route`` and
    ``== NODE: birdc show protocols`` sections (``BIRD stopped`` on a down node), also
    ``ip -6 route``/``birdc6`` with ``ipv6``.

    Raises UnknownNodeError for a name not in the cluster, EmulationError when
    namespaces are unavailable or BIRD does not converge within ``timeout`` seconds.
    """
    wanted, down = list(nodes or cluster.node_names), list(down)
    for name in wanted + down:
        cluster.node_index(name)  # UnknownNodeError names the known nodes
    reason = netns_unavailable_reason()
    if reason is not None:
        raise EmulationError(f"network namespaces unavailable: {reason}")
    families = (4, 6) if ipv6 else (4,)
    emu, topo = cluster_emulation(cluster, calico_version, ipv6)
    with emu:
        emu.wait(timeout=timeout)
        if down:
            for name in down:
                emu.stop_bird(name)
            gone = {ip for name in down for ip in (topo.view(name).node.ip4, topo.view(name).node.ip6) if ip}
            emu.wait(established={(name, f): [p.name for p in (view.peers_v4 if f == 4 else view.peers_v6)
                                              if p.ip not in gone]
                                  for name, view in zip(topo.node_names, topo.views) if name not in down
                                  for f in families}, timeout=timeout)
        out = []
        for name in wanted:
            for f in families:
                out += [f"== {name}: ip {'-6 ' if f == 6 else ''}route", emu.ip_route(name, f).rstrip("\n")]
                if name in down:
                    out.append(f"== {name}: BIRD stopped")
                    continue
                out += [f"== {name}: birdc{'6' if f == 6 else ''} show protocols",
                        emu.show_protocols(name, f).rstrip("\n")]
    return "\n".join(out)
