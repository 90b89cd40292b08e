"""Fuzz corpus: malformed YAML documents, CIDRs, ``ip route`` text and CLI
argument lists through the loaders and ``fastroute.cli.main``.

The corpus is generated from a fixed seed (the same cases on every run, in CI
too): mutations of valid documents (a field dropped, a value replaced by a
value of the wrong type or out of range, the kind swapped, the text truncated
or made invalid YAML), malformed CIDRs and addresses in every field that holds
one, and random argument lists for every subcommand.  Each case must end in
success or a :class:`FastrouteError` (the CLI: exit status 2 with
``fastroute: error: ...`` and nothing on standard output), never in another
exception, and a failing command must not leave a half-written ``-o`` file.

Crashes found in other modules get a minimal repro below: marked
``xfail(strict=True)`` and listed in ``KNOWN`` while open (the corpus tests
skip exactly those signatures), plain regression tests once fixed.
"""

import contextlib
import copy
import io
import os
import random
import time
import traceback

import pytest
import yaml

from fastroute.model import examples, synth
from fastroute.cli import main
from fastroute.model.cluster import Cluster
from fastroute.errors import FastrouteError
from fastroute.model.resources import loads

SEED = 20261126
N_YAML = 1500
N_CIDR = 200
N_CLI = 1500

# ---------------------------------------------------------------------------- corpus


def _base_documents():
    """Valid documents of every kind the loaders read."""
    docs = list(yaml.safe_load_all(open(examples.seed_path()).read()))
    c = synth.cluster(3, 2, pools=("10.10.0.0/24",), block_size=28, reflectors=1, encapsulation="IPIP").allocate()
    docs += c.to_documents()
    docs.append({"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer", "metadata": {"name": "tor"},
                 "spec": {"peerIP": "172.16.0.254", "asNumber": 65001, "nodeSelector": "all()"}})
    docs.append({"apiVersion": "projectcalico.org/v3", "kind": "BGPConfiguration", "metadata": {"name": "default"},
                 "spec": {"asNumber": 64512, "nodeToNodeMeshEnabled": False, "serviceClusterIPs": [{"cidr": "10.96.0.0/12"}]}})
    docs += list(yaml.safe_load_all(_MODELLED_KINDS))
    return [d for d in docs if isinstance(d, dict)]


# one valid document of each kind modelled beyond the seed's (filters, secrets, services, reservations,
# IPAM settings, fabric routers), so the mutations reach their readers too
_MODELLED_KINDS = """\
apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata: {name: f}
spec:
  exportV4: [{action: Accept, matchOperator: In, cidr: 77.0.0.0/16}, {action: Reject}]
  importV4: [{action: Accept, matchOperator: In, cidr: 44.0.0.0/16}]
---
apiVersion: v1
kind: Secret
metadata: {name: bgp-secrets, namespace: kube-system}
data: {pw: c2VjcmV0}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: with-password}
spec: {peerIP: 172.16.0.253, asNumber: 65002, filters: [f],
       password: {secretKeyRef: {name: bgp-secrets, key: pw}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {type: LoadBalancer, clusterIP: 10.96.0.10, externalTrafficPolicy: Local, externalIPs: [172.20.0.5]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
endpoints: [{addresses: [10.244.0.5], nodeName: master}]
---
apiVersion: projectcalico.org/v3
kind: IPReservation
metadata: {name: r}
spec: {reservedCIDRs: [10.244.0.0/31, 10.244.0.9]}
---
apiVersion: projectcalico.org/v3
kind: IPAMConfiguration
metadata: {name: default}
spec: {strictAffinity: false, maxBlocksPerHost: 4}
---
apiVersion: fastroute.io/v1
kind: Router
metadata: {name: tor}
spec: {asNumber: 65001, address: 192.168.31.1/24, announce: [0.0.0.0/0, 172.20.0.0/16], export: all}
"""


WEIRD = [None, "", " ", 0, -1, 1 << 40, 3.5, float("nan"), True, [], {}, [1, 2], {"a": 1}, "\x00", "ü" * 3,
         "10.0.0.0/33", "10.0.0.1/24", "::/129", "300.1.1.1", "1.2.3", "fe80::1%eth0", "10.0.0.0/-1",
         "all(", "has(", "a == ", "!", "Always", "Sometimes", "host:", "host:ghost", "ghost", "99999999999",
         "64512.1", "4294967296", "-5", "1e9", "0x10", "yes", "no", "null", "~", "a" * 300]

CIDRS = ["10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "/24", "10.0.0/24", "10.0.0.0.0/24", "10.0.0.1/24",
         "256.0.0.0/8", "10.0.0.0/24/1", "10.0.0.0 /24", " 10.0.0.0/24", "10.0.0.0/024", "::/129", "::1/128",
         "2001:db8::/32x", "2001:db8:::/48", "fe80::/10%eth0", "10.0.0.0/0", "0.0.0.0/0", "10.0.0.0/32",
         "10.0.0.0/31", "1.2.3.4", "", "abc", "10.0.0.0/8\n", "10.0.0.0/8 # x", "１０.0.0.0/8", "0x0a000000/8",
         "10.0.0.0/255.255.0.0", "10.0.0.0/0.0.255.255", "2001:db8::/64", "::ffff:10.0.0.0/104", 10, None, 3.2,
         ["10.0.0.0/8"], {"cidr": "10.0.0.0/8"}]

CIDR_FIELDS = [
    ("IPPool", ("spec", "cidr")), ("IPPool", ("spec", "blockSize")), ("Node", ("spec", "bgp", "ipv4Address")),
    ("Node", ("spec", "bgp", "ipv6Address")), ("Node", ("spec", "bgp", "ipv4IPIPTunnelAddr")),
    ("Node", ("spec", "ipv4VXLANTunnelAddr")), ("IPAMBlock", ("spec", "cidr")), ("BlockAffinity", ("spec", "cidr")),
    ("BGPPeer", ("spec", "peerIP")), ("WorkloadEndpoint", ("spec", "ipNetworks", 0)),
    ("BGPConfiguration", ("spec", "serviceClusterIPs", 0, "cidr")),
]


def _paths(d, prefix=()):
    """Every path (tuple of keys/indices) inside a document."""
    out = []
    if isinstance(d, dict):
        for k, v in d.items():
            out.append(prefix + (k,))
            out += _paths(v, prefix + (k,))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out.append(prefix + (i,))
            out += _paths(v, prefix + (i,))
    return out


def _set(d, path, value, delete=False):
    for k in path[:-1]:
        d = d[k]
    if delete:
        del d[path[-1]]
    else:
        d[path[-1]] = value


def _dump(docs):
    return yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)


def _mutate(rng, base):
    """One malformed multi-document text and a label saying what was done."""
    docs = copy.deepcopy(rng.sample(base, rng.randint(1, 4)))
    # keep a node around often, so cross-references have something to refer to
    if rng.random() < 0.7:
        docs.insert(0, copy.deepcopy(next(d for d in base if d.get("kind") == "Node")))
        docs.insert(0, copy.deepcopy(next(d for d in base if d.get("kind") == "IPPool")))
    target = rng.randrange(len(docs))
    doc = docs[target]
    op = rng.choice(["drop", "replace", "replace", "replace", "kind", "api", "text", "shape"])
    paths = _paths(doc)
    label = f"{doc.get('kind')}:{op}"
    if op == "drop" and paths:
        p = rng.choice(paths)
        _set(doc, p, None, delete=True)
        label += f":{'.'.join(map(str, p))}"
    elif op == "replace" and paths:
        p = rng.choice(paths)
        v = rng.choice(WEIRD)
        _set(doc, p, v)
        label += f":{'.'.join(map(str, p))}={v!r}"[:120]
    elif op == "kind":
        doc["kind"] = rng.choice(["IPPool", "Node", "BGPPeer", "BGPConfiguration", "IPAMBlock", "BlockAffinity",
                                  "WorkloadEndpoint", "Pod", "IPAMConfiguration", "Installation", "Widget", 7, None,
                                  "BGPFilter", "Secret", "Service", "EndpointSlice", "IPReservation", "Router",
                                  "GlobalNetworkPolicy"])
        label += f"={doc['kind']!r}"
    elif op == "api":
        doc["apiVersion"] = rng.choice(["v1", "projectcalico.org/v2", "crd.projectcalico.org/v1", "", 3, None])
    elif op == "shape":
        docs[target] = rng.choice([[1, 2], "text", 42, None, {"kind": "IPPool"}, {"metadata": "x"}, {}])
        label += f"={docs[target]!r}"
    text = _dump(docs)
    if op == "text":
        cut = rng.randrange(len(text))
        text = rng.choice([text[:cut], text[:cut] + "\t: [\n", text[:cut] + "{{" + text[cut:],
                           text.replace(":", "", 1), text + "\n--- !!python/object:os.system\n", "\x00" + text])
    return label, text


def _put(doc, path, value):
    """Set doc[path] = value, creating the containers on the way."""
    cur = doc
    for k, nxt in zip(path, path[1:]):
        want = [] if isinstance(nxt, int) else {}
        if isinstance(cur, list):
            while len(cur) <= k:
                cur.append(None)
        elif k not in cur:
            cur[k] = None
        if not isinstance(cur[k], (dict, list)):
            cur[k] = want
        cur = cur[k]
    if isinstance(cur, list):
        while len(cur) <= path[-1]:
            cur.append(None)
    cur[path[-1]] = value


def _cidr_case(rng, base):
    kind, path = rng.choice(CIDR_FIELDS)
    doc = copy.deepcopy(next((d for d in base if d.get("kind") == kind), None))
    node = copy.deepcopy(next(d for d in base if d.get("kind") == "Node"))
    pool = copy.deepcopy(next(d for d in base if d.get("kind") == "IPPool"))
    value = rng.choice(CIDRS)
    _put(doc, path, value)
    docs = [pool, node] + ([doc] if doc is not node and doc is not pool else [])
    return f"{kind}.{'.'.join(map(str, path))}={value!r}", _dump(docs)


def _corpus():
    rng = random.Random(SEED)
    base = _base_documents()
    yaml_cases = [_mutate(rng, base) for _ in range(N_YAML)]
    cidr_cases = [_cidr_case(rng, base) for _ in range(N_CIDR)]
    return yaml_cases, cidr_cases


YAML_CASES, CIDR_CASES = _corpus()

N_ROUTES = 150
_RT_TYPES = ["", "", "", "blackhole", "unreachable", "prohibit", "local", "throw", "bogus"]
_RT_DST = ["10.0.0.0/8", "default", "10.244.1.0/26", "10.0.0.1", "2001:db8::/32", "10.0.0.0/33", "10.0.0.1/24",
           "x", "", "::/0", "0.0.0.0/0", "300.0.0.0/8", "10.0.0.0/-1"]
_RT_KEYS = ["via", "dev", "proto", "scope", "src", "metric", "table", "onlink", "linkdown", "weight", "mtu"]
_RT_VALS = ["1.2.3.4", "eth0", "bird", "link", "10", "-1", "x", "1e3", "99999999999999999999", "::1", "300.1.1.1",
            "", "onlink"]


def _route_cases():
    rng = random.Random(SEED + 2)
    out = []
    for _ in range(N_ROUTES):
        lines = []
        for _ in range(rng.randint(1, 3)):
            tok = [t for t in (rng.choice(_RT_TYPES), rng.choice(_RT_DST)) if t]
            for _ in range(rng.randint(0, 4)):
                tok.append(rng.choice(_RT_KEYS))
                if rng.random() < 0.85:
                    tok.append(rng.choice(_RT_VALS))
            line = " ".join(tok)
            if rng.random() < 0.1:
                line = "\t" + line
            lines.append(line)
        out.append("\n".join(lines) + "\n")
    return out


ROUTE_CASES = _route_cases()

# ---------------------------------------------------------------------------- known crashes (others' modules)

# Minimal repros of the crashes this corpus found in fastroute.model.resources and
# fastroute.testing.emulate (fixed in ffb354e): each must stay a FastrouteError naming
# the file, not a traceback.  A crash found later and not yet fixed goes into
# KNOWN (signature -> reason) with a strict-xfail repro, so the corpus tests
# skip exactly that signature until the fix lands.
_API3 = "apiVersion: projectcalico.org/v3\n"
_BLOCK = "apiVersion: crd.projectcalico.org/v1\nkind: IPAMBlock\nmetadata: {name: b}\n"
FIXED = [
    ("kind-not-a-string", _API3 + "kind: 7\nmetadata: {name: x}\n",
     "AttributeError at resources.py:_dispatch",
     "resources._dispatch calls kind.endswith() on a non-string kind: AttributeError instead of ResourceError"),
    ("calico-node-bgp-not-a-mapping", _API3 + "kind: Node\nmetadata: {name: n1}\nspec: {bgp: 'no'}\n",
     "AttributeError at resources.py:_parse_calico_node",
     "resources._parse_calico_node: spec.bgp that is not a mapping raises AttributeError"),
    ("calico-node-labels-a-number", _API3 + "kind: Node\nmetadata: {name: n1, labels: 3.5}\n",
     "TypeError at resources.py:_parse_calico_node",
     "resources._parse_calico_node: metadata.labels that is a number raises TypeError"),
    ("calico-node-labels-a-string", _API3 + "kind: Node\nmetadata: {name: n1, labels: x}\n",
     "ValueError at resources.py:_parse_calico_node",
     "resources._parse_calico_node: metadata.labels that is a string raises a bare ValueError (not ResourceError)"),
    ("k8s-node-labels-a-string", "apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: x}\n",
     "ValueError at resources.py:_parse_k8s_node",
     "resources._parse_k8s_node: metadata.labels that is a string raises a bare ValueError"),
    ("pod-labels-a-string",
     "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default, labels: x}\nspec: {nodeName: n1}\n",
     "ValueError at resources.py:_parse_pod",
     "resources._parse_pod: metadata.labels that is a string raises a bare ValueError"),
    ("ipamblock-huge-cidr",
     "apiVersion: crd.projectcalico.org/v1\nkind: IPAMBlock\nmetadata: {name: b}\n"
     "spec: {cidr: '2001:db8::/64', allocations: [], attributes: [], unallocated: []}\n",
     "OverflowError at resources.py:_parse_ipamblock",
     "resources._parse_ipamblock sizes a list by the block's address count: an IPv6 /64 block raises "
     "OverflowError (an IPv4 /0 block: MemoryError, or 32 GiB) instead of ResourceError"),
    ("ipamblock-ipv4-slash-0", _BLOCK + "spec: {cidr: 0.0.0.0/0, allocations: [], attributes: [], unallocated: []}\n",
     "MemoryError at resources.py:_parse_ipamblock", "an IPv4 /0 block: a 2**32-entry list"),
    ("ipamblock-sequence-number-not-a-number",
     _BLOCK + "spec: {cidr: 10.0.0.0/30, sequenceNumber: x, allocations: [null, null, null, null], "
     "attributes: [], unallocated: [0, 1, 2, 3]}\n",
     "ValueError at resources.py:_parse_ipamblock", "spec.sequenceNumber: int() of a string"),
    ("ipamblock-secondary-not-a-mapping",
     _BLOCK + "spec: {cidr: 10.0.0.0/30, allocations: [0, null, null, null], attributes: [{secondary: x}], "
     "unallocated: [1, 2, 3]}\n",
     "ValueError at resources.py:_parse_ipamblock", "spec.attributes[0].secondary: dict() of a string"),
    ("ippool-allowed-uses-not-a-list", _API3 + "kind: IPPool\nmetadata: {name: p}\n"
     "spec: {cidr: 10.0.0.0/16, allowedUses: true}\n",
     "TypeError at resources.py:_validate_pool", "spec.allowedUses: iterating a bool"),
]
ROUTE_FIXED = [
    ("route-type-alone", "blackhole\n", "IndexError at emulate.py:parse_ip_route",
     "emulate.parse_ip_route: a line that is only a route type ('blackhole', 'local', ...) raises IndexError "
     "(fastroute lookup: traceback; a Node's host-routes annotation: IndexError out of the loader)"),
    ("route-metric-not-a-number", "10.0.0.0/8 dev eth0 metric x\n", "ValueError at emulate.py:parse_ip_route",
     "emulate.parse_ip_route: a non-integer metric raises a bare ValueError (fastroute lookup: traceback)"),
]
KNOWN = {}      # open crashes: none


@pytest.mark.parametrize("text", [pytest.param(text, id=name) for name, text, _, _ in FIXED])
def test_fixed_loader_crash(text):
    with pytest.raises(FastrouteError, match=r"repro\.yaml"):
        Cluster.from_resources(loads(text, "repro.yaml"))


@pytest.mark.parametrize("text", [pytest.param(text, id=name) for name, text, _, _ in ROUTE_FIXED])
def test_fixed_lookup_crash(text, tmp_path):
    f = tmp_path / "routes.txt"
    f.write_text(text)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["lookup", str(f), "10.1.2.3"]) == 2
    assert out.getvalue() == "" and err.getvalue().startswith("fastroute: error: ")


def test_fixed_cli_crash_kind_not_a_string(tmp_path, capsys):
    f = tmp_path / "c.yaml"
    f.write_text(FIXED[0][1])
    assert main(["verify", str(f)]) == 2
    assert capsys.readouterr().err.startswith("fastroute: error: ")


def _signature(exc):
    tb = traceback.extract_tb(exc.__traceback__)
    last = tb[-1] if tb else None
    return f"{type(exc).__name__} at {os.path.basename(last.filename)}:{last.name}" if last else type(exc).__name__


def _known(sig):
    return any(k in sig for k in KNOWN)


def _load(text, tmp_path):
    """The loaders a user's file goes through: parse, assemble, allocate."""
    res = loads(text, "fuzz.yaml")
    c = Cluster.from_resources(res)
    c.allocate()


def _check_cases(cases, tmp_path):
    failures = []
    for label, text in cases:
        try:
            _load(text, tmp_path)
        except FastrouteError:
            pass
        except Exception as e:                                  # noqa: BLE001 - the point of the test
            sig = _signature(e)
            if not _known(sig):
                failures.append(f"{label}: {sig}: {e!r}"[:300])
    return failures


def test_corpus_size():
    assert len(YAML_CASES) + len(CIDR_CASES) + len(CLI_CASES) + 2 * len(ROUTE_CASES) >= 3000
    assert len(CLI_CASES) >= 1500 and {a[0] for a in CLI_CASES if a} >= set(_OPTIONS)


def test_malformed_ip_route_text_never_crashes_lookup_or_the_host_routes_annotation(tmp_path):
    failures = []
    f = tmp_path / "routes.txt"
    for text in ROUTE_CASES:
        f.write_text(text)
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                rc = main(["lookup", str(f), "10.1.2.3", "2001:db8::1"])
            if rc == 2 and out.getvalue():
                failures.append(f"lookup {text!r}: output on error")
        except Exception as e:                  # noqa: BLE001
            if not _known(_signature(e)):
                failures.append(f"lookup {text!r}: {_signature(e)}: {e!r}"[:300])
        doc = {"apiVersion": "projectcalico.org/v3", "kind": "Node",
               "metadata": {"name": "n1", "annotations": {"fastroute.io/host-routes": text}},
               "spec": {"bgp": {"ipv4Address": "10.0.0.1/24"}}}
        try:
            Cluster.from_resources(loads(_dump([doc]), "node.yaml"))
        except FastrouteError:
            pass
        except Exception as e:                  # noqa: BLE001
            if not _known(_signature(e)):
                failures.append(f"annotation {text!r}: {_signature(e)}: {e!r}"[:300])
    assert not failures, f"{len(failures)} crashes:\n" + "\n".join(failures[:20])


def test_malformed_yaml_never_crashes_the_loaders(tmp_path):
    failures = _check_cases(YAML_CASES, tmp_path)
    assert not failures, f"{len(failures)} crashes:\n" + "\n".join(failures[:20])


def test_malformed_cidrs_never_crash_the_loaders(tmp_path):
    failures = _check_cases(CIDR_CASES, tmp_path)
    assert not failures, f"{len(failures)} crashes:\n" + "\n".join(failures[:20])


# ---------------------------------------------------------------------------- CLI

_NODES = ["master", "node1", "node2", "ghost", "", "-", "--", "node1,node2", "ü"]
_ADDRS = ["10.244.166.129", "10.244.0.0/99", "1.2.3.4", "::1", "x", "", "10.244.166.128/26", "-1"]
_VALUES = _NODES + _ADDRS + ["0", "-5", "1e3", "99999999999999", "3.28", "3.20", "2.0", "main", "aggr", "bogus",
                             "a=b", "=", "master=10:00", "x=yy", "3", "7", "3,5", "mesh", "rr", "cold_start",
                             "node_crash", "reflector_crash", "hold_time=-1", "seed=-1", "start_spread=inf",
                             "hold_time=nan", "json", "wide", "yaml", "IPIP", "nan", "inf", "10.9.0.0/16"]
_OPTIONS = {
    "lookup": ["--json"], "ipam": ["--show-blocks", "--show-borrowed", "--show-configuration"],
    "export": ["-o"], "routes": ["--node", "--down", "--calico-version", "--all", "--json", "-6"],
    "why": ["--node", "--down", "--calico-version", "--json"],
    "bird-config": ["--node", "--ipv6", "--file", "--inline", "-o", "--down", "--calico-version"],
    "status": ["--node", "--since", "--json", "--down", "--calico-version"],
    "trace": ["--host-mtu", "--json", "--down"], "verify": ["--down", "--calico-version", "-6", "--json"],
    "demo": ["--plain"],
    "synth": ["--pods-per-node", "--reflectors", "--racks", "--pool", "--block-size", "--encapsulation", "-o",
              "--out", "--allocate", "--json"],
    "traffic": ["--top", "--calico-version", "--json", "-o"],
    "plan": ["--nodes", "--pods-per-node", "--pool", "--block-size", "--topology", "--reflectors", "--encapsulation",
             "--no-simulate", "--simulate-limit", "--json", "-o", "--plot"],
    "compare": ["--nodes", "--reflectors", "--pods-per-node", "--pool", "--block-size", "--no-simulate", "--json",
                "-o", "--plot"],
    "converge": ["--scenario", "--node", "--set", "--json", "-o", "--plot"],
    "sweep": ["--workers", "--out", "--json", "--plot", "-o"],
}
_FLAGS = {"--json", "--all", "-6", "--ipv6", "--inline", "--plain", "--show-blocks", "--show-borrowed",
          "--show-configuration", "--allocate", "--no-simulate"}
# options that name a file the command writes
_OUTPUTS = {"--out", "--plot"}


def _cli_cases():
    rng = random.Random(SEED + 1)
    cases = []
    cmds = sorted(_OPTIONS)
    for _ in range(N_CLI):
        cmd = rng.choice(cmds + ["emulate", "nope", "", "--bogus"])
        argv = [cmd] if cmd else []
        if cmd == "emulate":
            # never let emulate parse (it would start BIRD): always an unknown option
            argv += ["--definitely-not-an-option", rng.choice(_VALUES)]
        elif cmd in _OPTIONS:
            if cmd == "compare":
                # compare's default node counts are a minute of real work; the corpus is about input
                argv += ["--nodes", rng.choice(["3", "7", "3,5"])]
            if rng.random() < 0.3:
                argv.append(rng.choice(["__BADFILE__", "__MISSING__", "__DIR__"]))
            for _ in range(rng.randint(0, 4)):
                opt = rng.choice(_OPTIONS[cmd] + ["--bogus", "-x"])
                if opt == "-o":
                    argv += [opt, rng.choice(["__OUT__", "__OUTDIR__", "/nonexistent/dir/out", "json", "wide",
                                              "yaml", "text"])]
                elif opt in _OUTPUTS:
                    argv += [opt, rng.choice(["__OUT__", "__OUTDIR__", "/nonexistent/dir/out.png",
                                              "__OUT__.png", "__OUT__.xyz", "__OUT__.csv"])]
                elif opt in _FLAGS:
                    argv.append(opt)
                else:
                    argv += [opt, rng.choice(_VALUES)] if rng.random() < 0.9 else [opt]
            for _ in range(rng.randint(0, 2)):
                argv.append(rng.choice(_VALUES))
        cases.append(argv)
    return cases


CLI_CASES = _cli_cases()


def _run_cli(argv, tmp_path, k):
    bad = tmp_path / f"bad{k}.yaml"
    bad.write_text(YAML_CASES[k % len(YAML_CASES)][1])
    out_file = tmp_path / f"out{k}.yaml"
    out_dir = tmp_path / f"outdir{k}"
    subst = {"__BADFILE__": str(bad), "__MISSING__": str(tmp_path / "missing.yaml"), "__DIR__": str(tmp_path / "empty"),
             "__OUT__": str(out_file), "__OUTDIR__": str(out_dir)}
    (tmp_path / "empty").mkdir(exist_ok=True)
    argv = [subst.get(a, a) for a in argv]
    argv = [str(out_file) + a[len("__OUT__"):] if a.startswith("__OUT__.") else a for a in argv]
    written_before = set(os.listdir(tmp_path))
    out, err = io.StringIO(), io.StringIO()
    rc = None
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as e:                 # --help / --version
            rc = e.code
    problems = []
    if rc == 2:
        # nothing written next to the -o/--out/--plot targets either (no temporary files left behind)
        debris = [f for f in set(os.listdir(tmp_path)) - written_before if f.startswith((".out", "out"))]
        if debris:
            problems.append(f"files left on error: {sorted(debris)}")
    if rc not in (0, 1, 2, None):
        problems.append(f"exit status {rc!r}: {err.getvalue()[:200]!r}")
    if time.perf_counter() - t0 > 20:           # a bound on a hang on a small input, not a performance target
        problems.append(f"took {time.perf_counter() - t0:.0f} s")
    if rc == 2:
        if out.getvalue():
            problems.append(f"output on error: {out.getvalue()[:80]!r}")
        lines = err.getvalue().splitlines()
        # informational lines (`fastroute: not modelled: ...`) may come before the error
        first = next((i for i, ln in enumerate(lines) if ln.startswith("fastroute: error: ")), None)
        if first is None or not all(ln.startswith("fastroute: ") for ln in lines[:first]) \
                or "Traceback" in err.getvalue():
            problems.append(f"stderr {err.getvalue()[:80]!r}")
        if out_file.exists():
            problems.append("half-written -o file")
        if out_dir.exists() and any(out_dir.iterdir()):
            problems.append("files left in the -o directory")
    return argv, problems


def test_cli_arguments_never_crash(tmp_path):
    failures = []
    for k, argv in enumerate(CLI_CASES):
        try:
            real, problems = _run_cli(argv, tmp_path, k)
        except Exception as e:                  # noqa: BLE001
            sig = _signature(e)
            if not _known(sig):
                failures.append(f"{argv}: {sig}: {e!r}"[:300])
            continue
        if problems:
            failures.append(f"{real}: {'; '.join(problems)}"[:300])
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:20])


def test_cli_on_malformed_files(tmp_path):
    """Every command on a sample of the malformed YAML corpus: exit 2 with a message, nothing printed."""
    cmds = [["verify"], ["routes", "--node", "master"], ["ipam"], ["export", "-o", "__OUT__"], ["why", "--node",
            "master", "10.244.0.1"], ["status", "--node", "master"], ["bird-config", "--node", "master", "-o",
            "__OUTDIR__"]]
    failures = []
    for k in range(0, len(YAML_CASES), 7):
        cmd = cmds[k % len(cmds)]
        argv = [cmd[0], "__BADFILE__"] + cmd[1:]
        try:
            real, problems = _run_cli(argv, tmp_path, k)
        except Exception as e:                  # noqa: BLE001
            sig = _signature(e)
            if not _known(sig):
                failures.append(f"{YAML_CASES[k][0]} {argv}: {sig}: {e!r}"[:300])
            continue
        if problems:
            failures.append(f"{YAML_CASES[k][0]} {real}: {'; '.join(problems)}"[:300])
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:20])
