"""Calico's own confd template tests, replayed against ``bird-config``.

tests/data/confd/<release>/ holds, unchanged, the suite of each release: its script
(``test_suite_common.sh``), the mock datastores (``mock_data/``) and the files confd renders
(``compiled_templates/<case>/*.cfg``), from projectcalico/calico ``confd/tests`` and
projectcalico/confd ``tests`` (see tests/data/confd/README.md).  tests/bgp/confd_replay.py
reads which datastore, node and ``CALICO_ROUTER_ID`` each check of the script runs with;
each is rendered with fastroute and compared the way the script does: every file of
``compiled_templates/<case>`` with ``diff --ignore-blank-lines``, and for ``expect_peerings N``
the number of ``protocol bgp`` lines in bird.cfg.

A case that writes Felix's endpoint status files by hand (``explicit_peering/local_bgp_peer``,
v3.30+) gets the WorkloadEndpoints those files stand for instead (:func:`_with_endpoint_status`).

A case fastroute cannot pass yet is an expected failure with its reason (strict: it fails
the suite once it passes).
"""

import dataclasses
import functools
import os
import re
import shutil
import subprocess

import pytest

from fastroute.bgp import birdcfg, topology
from fastroute.bgp.birdview import AffineBlock
from fastroute.errors import ResourceError
from fastroute.model import reader
from fastroute.model.cluster import Cluster

from confd_replay import affine_blocks, mock_checks, scripted_checks

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "confd")

#: fixture folder -> the --calico-version that renders it
RELEASES = {"v3.28.2": "3.28", "v3.28.1": "3.28.1", "v3.20": "3.20", "v3.30.1": "3.30.1", "v3.30.7": "3.30",
            "v3.31.7": "3.31", "v3.32.1": "3.32"}

#: (fixture folder, case, file) -> why it does not pass yet; "*" matches every file of the case
KNOWN = {}

#: the label that ties a WorkloadEndpoint to the endpoint status file it stands for
STATUS_LABEL = "confd-suite.fastroute.dev/endpoint-status"

_EQUALITIES = re.compile(r"\s*([\w./-]+)\s*==\s*'([^']*)'\s*(?:&&|$)")


def _labels_satisfying(selector):
    """The labels a selector of ``k == 'v'`` terms joined by ``&&`` asks for (the suite's only form)."""
    labels, pos = {}, 0
    while pos < len(selector):
        m = _EQUALITIES.match(selector, pos)
        assert m and m.end() > pos, f"a localWorkloadSelector the harness cannot satisfy: {selector!r}"
        labels[m.group(1)] = m.group(2)
        pos = m.end()
    return labels


def _with_endpoint_status(check):
    """``check.documents`` with the case's endpoint status files turned into WorkloadEndpoints.

    confd reads Felix's status files (``/etc/calico/confd/endpoint-status/<file>``: ``ifaceName``,
    ``ipv4Nets``, ``ipv6Nets``, ``bgpPeerName``); a cluster dump holds what Felix writes them
    from, the node's WorkloadEndpoints and the BGPPeers whose ``localWorkloadSelector`` selects
    them.  The mapping, for a file ``F`` naming BGPPeer ``P`` on the node ``N`` confd runs for:

    * WorkloadEndpoint of pod ``F`` (namespace ``default``) on ``N``: ``interfaceName`` =
      ``ifaceName``, ``ipNetworks`` = ``ipv4Nets`` + ``ipv6Nets``;
    * its labels: those ``P``'s ``localWorkloadSelector`` asks for, and ``STATUS_LABEL: F``;
    * ``P``'s selector narrowed to ``(<selector>) && STATUS_LABEL in {<the files naming P>}``:
      Felix gives a workload the first by name of the BGPPeers that select it, and the case's
      two BGPPeers share one selector (``app == 'calico-bird-0'``), so without it both pods
      would take ``test-global-peer-with-filter``.  confd renders nothing of a selector but
      that it is set, so the narrowing changes no expected file.
    """
    if not check.endpoint_status:
        return check.documents
    files_of = {}
    for name, status in check.endpoint_status:
        files_of.setdefault(status["bgpPeerName"], []).append(name)
    docs, wanted = [], {}
    for d in check.documents:
        peer = d["metadata"]["name"] if d.get("kind") == "BGPPeer" else None
        if peer in files_of:
            selector = d["spec"]["localWorkloadSelector"]
            wanted[peer] = _labels_satisfying(selector)
            files = ", ".join(f"'{f}'" for f in files_of[peer])
            d = {**d, "spec": {**d["spec"], "localWorkloadSelector": f"({selector}) && {STATUS_LABEL} in {{{files}}}"}}
        docs.append(d)
    assert set(wanted) == set(files_of), f"status files name BGPPeers the case lacks: {set(files_of) - set(wanted)}"
    for name, status in check.endpoint_status:
        docs.append({
            "apiVersion": "projectcalico.org/v3", "kind": "WorkloadEndpoint",
            "metadata": {"name": f"{check.node}-k8s-{name}-eth0", "namespace": "default",
                         "labels": {**wanted[status["bgpPeerName"]], STATUS_LABEL: name}},
            "spec": {"node": check.node, "orchestrator": "k8s", "pod": name, "endpoint": "eth0",
                     "interfaceName": status["ifaceName"],
                     "ipNetworks": list(status.get("ipv4Nets") or ()) + list(status.get("ipv6Nets") or ())}})
    return tuple(docs)


def _checks(folder):
    root = os.path.join(DATA, folder)
    checks = mock_checks(root) + scripted_checks(os.path.join(root, "test_suite_common.sh"))
    seen, out = {}, []
    for c in checks:
        seen[c.case] = seen.get(c.case, 0) + 1
        out.append((c.case if seen[c.case] == 1 else f"{c.case}#{seen[c.case]}", c))
    return out


@functools.lru_cache(maxsize=None)
def _check_table():
    return {folder: dict(_checks(folder)) for folder in RELEASES}


def _cases():
    out = []
    for folder, version in RELEASES.items():
        for cid, check in _check_table()[folder].items():
            if check.peerings is not None:
                names = ["peerings"]
            else:
                # compare_templates diffs every file of the folder: none when the folder is missing
                # (v3.30.1's local_bgp_peer test names a folder "local_bgp_peer/global" it lacks)
                expected = os.path.join(DATA, folder, "compiled_templates", check.case)
                names = sorted(f for f in os.listdir(expected) if f.endswith(".cfg")) if os.path.isdir(expected) else []
            for f in names:
                case = check.case
                reason = KNOWN.get((folder, case, f)) or KNOWN.get((folder, case, "*"))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                out.append(pytest.param(folder, cid, f, marks=marks, id=f"{folder}:{cid}:{f}"))
    return out


def _cluster(folder, cid):
    check = _check_table()[folder][cid]
    res = reader.parse_documents(list(_with_endpoint_status(check)), f"{folder}/{check.case}")
    return Cluster.from_resources(reader._finish(res))


@functools.lru_cache(maxsize=None)
def _rendered(folder, cid, cluster=None):
    check = _check_table()[folder][cid]
    version = RELEASES[folder]
    cluster = cluster or _cluster(folder, cid)
    view = topology.compute(cluster, version).view(check.node)
    blocks = tuple(AffineBlock(c, st) for c, st in affine_blocks(os.path.join(DATA, folder), check.node))
    return birdcfg.render_files(dataclasses.replace(view, blocks=blocks, router_id=check.router_id))


def _confd_check(expected_path, text, tmp_path):
    """confd's comparison: ``diff --ignore-blank-lines``; the diff itself when they differ."""
    actual = tmp_path / os.path.basename(expected_path)
    actual.write_text(text)
    r = subprocess.run(["diff", "--ignore-blank-lines", expected_path, str(actual)], capture_output=True, text=True)
    return r.returncode == 0, r.stdout


def _passes(folder, cid, name, tmp_path):
    check = _check_table()[folder][cid]
    files = _rendered(folder, cid)
    if name == "peerings":
        # expect_peerings: the number of "protocol bgp" lines in bird.cfg
        got = sum(1 for ln in files["bird.cfg"].splitlines() if "protocol bgp" in ln)
        return got == check.peerings, f"{got} BGP protocols, confd has {check.peerings}"
    return _confd_check(os.path.join(DATA, folder, "compiled_templates", check.case, name), files[name], tmp_path)


pytestmark = pytest.mark.skipif(shutil.which("diff") is None, reason="confd's check needs GNU diff")


@pytest.mark.parametrize("folder, cid, name", _cases())
def test_confd_template_case(folder, cid, name, tmp_path):
    same, diff = _passes(folder, cid, name, tmp_path)
    assert same, f"{folder} {cid}/{name} differs from confd's:\n{diff}"


@pytest.mark.parametrize("cid", list(_check_table()["v3.32.1"]))
def test_export_loads_back_to_the_same_bird_config(cid):
    # every input a case holds (BGPFilters, Secrets, Services, EndpointSlices included) survives
    # `export`: the exported documents render the same files
    from fastroute.model.resources import dump_documents
    exported = reader.loads(dump_documents(_cluster("v3.32.1", cid).to_documents()), "export.yaml")
    again = _rendered.__wrapped__("v3.32.1", cid, Cluster.from_resources(exported))
    assert again == _rendered("v3.32.1", cid)


def test_every_release_is_replayed():
    # the fixture holds every release line bird-config claims, and its cases are many
    from fastroute.model.calico import CALICO_VERSIONS
    assert set(CALICO_VERSIONS) == set(RELEASES.values())
    counts = {}
    for p in _cases():
        counts[p.values[0]] = counts.get(p.values[0], 0) + 1
    assert all(counts[f] >= 100 for f in RELEASES), counts


@pytest.mark.parametrize("folder", sorted(RELEASES))
def test_every_function_of_the_script_is_replayed_loops_unrolled(folder):
    """Every function of ``test_suite_common.sh`` that checks something is replayed, those whose
    resources a shell loop writes too: the password deadlock case holds its 99 Nodes and BGPPeers,
    and the idle-peers case checks its peering once before the loop and once per pass."""
    script = os.path.join(DATA, folder, "test_suite_common.sh")
    text = open(script, encoding="utf-8").read()
    checks = scripted_checks(script)
    checking = {m.group(1) for m in re.finditer(r"^(test_\w+)\(\)\s*\{\n((?:.*\n)*?)\}", text, re.M)
                if re.search(r"^\s*(test_confd_templates|expect_peerings) ", m.group(2), re.M)}
    checking.discard("test_confd_templates")
    assert checking <= {c.function for c in checks}
    deadlock = [c for c in checks if c.function == "test_bgp_password_deadlock"]
    assert len(deadlock) == 1
    kinds = [d["kind"] for d in deadlock[0].documents]
    assert kinds.count("BGPPeer") == 99 and kinds.count("Node") == 99
    assert "node99" in {d["metadata"]["name"] for d in deadlock[0].documents}
    assert [c.peerings for c in checks if c.function == "test_idle_peers"] == [1] * 11


def pass_table(tmp_path):
    """``{fixture folder: (passing checks, checks)}`` (one check per rendered file)."""
    table = {}
    for p in _cases():
        folder, cid, name = p.values
        try:
            ok = _passes(folder, cid, name, tmp_path)[0]
        except Exception:               # a case that does not load counts as failing
            ok = False
        done, total = table.get(folder, (0, 0))
        table[folder] = (done + ok, total + 1)
    return table


def test_pass_table(tmp_path, capsys):
    table = pass_table(tmp_path)
    expected_failures = {}
    for p in _cases():
        if p.marks:
            expected_failures[p.values[0]] = expected_failures.get(p.values[0], 0) + 1
    with capsys.disabled():
        print("\nconfd template suite (files passing diff --ignore-blank-lines):")
        for folder, (done, total) in table.items():
            print(f"  {folder:8} {RELEASES[folder]:7} {done:4}/{total}")
    # the table and the expected failures above tell the same story
    assert {f: t - d for f, (d, t) in table.items()} == {f: expected_failures.get(f, 0) for f in table}


def test_normal_route_priority_sets_every_default_metric():
    # BGPConfiguration ipv4NormalRoutePriority (v3.32, bgp_processor.go NormalRoutePriority): the
    # metric without a BGP priority and the thresholds derived from it, in the IPv4 files only
    cid = "mesh/ipip-always"
    docs = [dict(d) for d in _check_table()["v3.32.1"][cid].documents]
    for i, d in enumerate(docs):
        if d.get("kind") == "BGPConfiguration" and d["metadata"]["name"] == "default":
            docs[i] = {**d, "spec": {**(d.get("spec") or {}), "ipv4NormalRoutePriority": 500}}
            break
    else:
        docs.append({"apiVersion": "projectcalico.org/v3", "kind": "BGPConfiguration",
                     "metadata": {"name": "default"}, "spec": {"ipv4NormalRoutePriority": 500}})
    cluster = Cluster.from_resources(reader._finish(reader.parse_documents(docs, "priority.yaml")))
    got = _rendered.__wrapped__("v3.32.1", cid, cluster)
    want = dict(_rendered("v3.32.1", cid))
    for name in ("bird.cfg", "bird_aggr.cfg", "bird_ipam.cfg"):
        want[name] = (want[name].replace("bgp_local_pref > 2147482623", "bgp_local_pref > 2147483147")
                      .replace("krt_metric = 1024;", "krt_metric = 500;").replace("krt_metric < 1024", "krt_metric < 500"))
        assert "500" in want[name], name
    assert got == want


def test_a_bad_normal_route_priority_is_refused():
    with pytest.raises(ResourceError, match=r"cfg.yaml: document 1 \(BGPConfiguration 'default'\): "
                                        r"spec.ipv6NormalRoutePriority: invalid value 0: must be 1..2147483646"):
        reader.loads("apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: default}\n"
                     "spec: {ipv6NormalRoutePriority: 0}\n", "cfg.yaml")


@pytest.mark.parametrize("folder", ["v3.31.7", "v3.32.1"])
def test_keepalive_time_renders_in_every_explicit_peer_from_v3_32(folder):
    # BGPPeer keepaliveTime (v3.32: client.go setPeerConfigFieldsFromV3Resource, bird.cfg.template
    # `keepalive time`): seconds, after the restart time; v3.31 has no such field
    cid = "explicit_peering/global"
    docs = [{**d, "spec": {**(d.get("spec") or {}), "keepaliveTime": "1m30s"}} if d.get("kind") == "BGPPeer" else d
            for d in _check_table()[folder][cid].documents]
    cluster = Cluster.from_resources(reader._finish(reader.parse_documents(docs, "keepalive.yaml")))
    got = _rendered.__wrapped__(folder, cid, cluster)
    want = dict(_rendered(folder, cid))
    if folder == "v3.32.1":
        want["bird.cfg"] = re.sub(r"(  \};  # Only want to export routes for workloads\.\n(  passive on;\n)?)",
                                  r"\1  keepalive time 90;\n", want["bird.cfg"])
        assert want["bird.cfg"].count("keepalive time 90;") == 3
    assert got == want


@pytest.mark.parametrize("folder", ["v3.30.1", "v3.30.7", "v3.31.7", "v3.32.1"])
def test_endpoint_status_files_are_what_felix_would_write_from_the_workloads(folder):
    # the harness's WorkloadEndpoints stand for the case's status files: Felix's choice of BGPPeer
    # for each (fastroute.bgp.peers.local_workload_entries) is the file's bgpPeerName, with its addresses
    from fastroute.bgp.peers import local_workload_entries
    checks = [(cid, c) for cid, c in _check_table()[folder].items() if c.endpoint_status]
    assert checks, f"{folder} has no case with endpoint status files"
    for cid, check in checks:
        cluster = _cluster(folder, cid)
        peers = {p.name: p for p in cluster.bgp_peers}
        got = {(d.ip, d.as_number) for group in local_workload_entries(cluster, check.node) for d in group}
        want = {(net.split("/")[0], peers[s["bgpPeerName"]].as_number)
                for _, s in check.endpoint_status for net in (s["ipv4Nets"][:1] + s["ipv6Nets"][:1])}
        assert got == want
