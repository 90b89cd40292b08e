"""Calico's own confd template tests, replayed against ``bird-config``.

tests/data/confd/<release>/ holds, unchanged, the mock datastores
(``mock_data/calicoctl/<case>/input.yaml``, ``step2/input.yaml``, ``mock_data/etcd/block``)
and the files confd renders from them (``compiled_templates/<case>/*.cfg``) of
projectcalico/calico ``confd/tests`` and projectcalico/confd ``tests`` (see
tests/data/confd/README.md).  Each case is run as ``confd/tests/test_suite_common.sh``
runs it (``run_individual_test_oneshot`` / ``run_individual_test``):

* the datastore is ``input.yaml`` (for ``<case>/step2``: ``input.yaml``, then
  ``step2/input.yaml`` applied over it, a resource of the same kind and name replacing
  the first), plus the affine blocks of ``mock_data/etcd/block``;
* confd renders for ``NODENAME=kube-master``; ``mesh/hash`` runs with
  ``CALICO_ROUTER_ID=hash`` (``test_router_id_hash``) and
  ``mesh/static-routes-no-ipv4-address`` with ``CALICO_ROUTER_ID=10.10.10.10``;
* the check is confd's: ``diff --ignore-blank-lines`` of every file of
  ``compiled_templates/<case>`` against the rendered one.

The cases the script writes inline (passwords, BGPFilters, ttl security, ...) have no
input files and are not replayed here.  A case fastroute cannot pass yet is an
expected failure with its reason (strict: it fails the suite once it passes).
"""

import dataclasses
import functools
import json
import os
import shutil
import subprocess

import pytest

from fastroute.bgp import birdcfg, topology
from fastroute.bgp.birdview import AffineBlock
from fastroute.model import reader
from fastroute.model.cluster import Cluster

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "confd")

#: fixture folder -> the --calico-version that renders it
RELEASES = {"v3.28.2": "3.28", "v3.28.1": "3.28.1", "v3.20": "3.20", "v3.32.1": None}

#: CALICO_ROUTER_ID of the cases the suite runs with one
ROUTER_IDS = {"mesh/hash": "hash", "mesh/static-routes-no-ipv4-address": "10.10.10.10"}

_SERVICES = ("per-service /32 routes of Services with externalTrafficPolicy: Local (Service + Endpoints/"
             "EndpointSlice) are not modelled")
_NO_AS = "a BGPPeer without asNumber (peerSelector peering takes the peer node's AS) does not load yet"
_V332 = ("the v3.30+ templates (krt_metric/local_pref handling, `BGP Protocol Configurations`, new "
         "ipam functions) are not rendered yet")

#: (case, file) -> why it does not pass yet; "*" matches every file of the case
KNOWN = {
    ("mesh/static-routes", "bird_aggr.cfg"): _SERVICES,
    ("mesh/static-routes", "bird_ipam.cfg"): _SERVICES,
    ("mesh/static-routes", "bird6_aggr.cfg"): _SERVICES,
    ("mesh/static-routes", "bird6_ipam.cfg"): _SERVICES,
    ("mesh/static-routes-exclude-node", "bird_aggr.cfg"): _SERVICES,
    ("mesh/static-routes-exclude-node", "bird_ipam.cfg"): _SERVICES,
    ("mesh/static-routes-exclude-node", "bird6_aggr.cfg"): _SERVICES,
    ("mesh/static-routes-exclude-node", "bird6_ipam.cfg"): _SERVICES,
    ("mesh/static-routes-no-ipv4-address", "bird_aggr.cfg"): _SERVICES,
    ("mesh/static-routes-no-ipv4-address", "bird_ipam.cfg"): _SERVICES,
    ("explicit_peering/route_reflector_v6_by_ip", "*"): _NO_AS,
}


#: what the v3.32 templates render as v3.28's do (checked here with the v3.28 layout)
V332_AS_V328 = {"bird6_aggr.cfg", "mesh/static-routes-no-ipv4-address/bird.cfg"}


def _cases():
    out = []
    for folder, version in RELEASES.items():
        root = os.path.join(DATA, folder, "compiled_templates")
        for d, _, files in sorted(os.walk(root)):
            case = os.path.relpath(d, root).replace(os.sep, "/")
            for f in sorted(files):
                if not f.endswith(".cfg"):
                    continue
                reason = KNOWN.get((case, f)) or KNOWN.get((case, "*"))
                if version is None and not reason and not {f, f"{case}/{f}"} & V332_AS_V328:
                    reason = _V332
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                out.append(pytest.param(folder, case, f, marks=marks, id=f"{folder}:{case}:{f}"))
    return out


def _documents(path):
    with open(path, encoding="utf-8") as fh:
        return [d for d in reader._documents_of(fh.read(), path) if d]


def _datastore(folder, case):
    """The resources confd sees in ``case``: input.yaml, then step2's applied over it."""
    base = os.path.join(DATA, folder, "mock_data", "calicoctl")
    parts = case.split("/")
    files = [os.path.join(base, *parts[:-1], "input.yaml"), os.path.join(base, case, "input.yaml")] \
        if parts[-1] == "step2" else [os.path.join(base, case, "input.yaml")]
    docs = {}
    for f in files:
        for d in _documents(f):
            docs[(d.get("kind"), (d.get("metadata") or {}).get("name"))] = d   # calicoctl apply
    return list(docs.values())


def _blocks(folder):
    # mock_data/etcd/block: "/calico/ipam/v2/host/<node>/ipv4/block/<cidr with -> {json}"
    out = []
    with open(os.path.join(DATA, folder, "mock_data", "etcd", "block"), encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            key, value = line.split(" ", 1)
            if "/host/kube-master/" in key:
                out.append(AffineBlock(key.rsplit("/", 1)[1].replace("-", "/"), json.loads(value).get("state", "")))
    return tuple(out)


@functools.lru_cache(maxsize=None)
def _rendered(folder, case):
    version = RELEASES[folder] or "3.28"
    res = reader.parse_documents(_datastore(folder, case), f"{folder}/{case}/input.yaml")
    cluster = Cluster.from_resources(reader._finish(res))
    view = topology.compute(cluster, version).view("kube-master")
    view = dataclasses.replace(view, blocks=_blocks(folder), router_id=ROUTER_IDS.get(case.removesuffix("/step2")))
    return birdcfg.render_files(view)


def _confd_check(expected_path, text, tmp_path):
    """confd's comparison: ``diff --ignore-blank-lines``; the diff itself when they differ."""
    actual = tmp_path / os.path.basename(expected_path)
    actual.write_text(text)
    r = subprocess.run(["diff", "--ignore-blank-lines", expected_path, str(actual)], capture_output=True, text=True)
    return r.returncode == 0, r.stdout


pytestmark = pytest.mark.skipif(shutil.which("diff") is None, reason="confd's check needs GNU diff")


@pytest.mark.parametrize("folder, case, name", _cases())
def test_confd_template_case(folder, case, name, tmp_path):
    files = _rendered(folder, case)
    same, diff = _confd_check(os.path.join(DATA, folder, "compiled_templates", case, name), files[name], tmp_path)
    assert same, f"{folder} {case}/{name} differs from confd's:\n{diff}"


def test_every_release_is_replayed():
    # the fixture holds every release line bird-config claims, and its cases are many
    from fastroute.model.calico import CALICO_VERSIONS
    assert set(CALICO_VERSIONS) <= {v for v in RELEASES.values() if v}
    counts = {}
    for p in _cases():
        counts[p.values[0]] = counts.get(p.values[0], 0) + 1
    assert all(counts[f] >= 100 for f in RELEASES), counts


def pass_table(tmp_path):
    """``{fixture folder: (passing files, files)}`` under confd's check."""
    table = {}
    for p in _cases():
        folder, case, name = p.values
        try:
            ok = _confd_check(os.path.join(DATA, folder, "compiled_templates", case, name),
                              _rendered(folder, case)[name], tmp_path)[0]
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
            print(f"  {folder:8} {RELEASES[folder] or '-':7} {done:4}/{total}")
    # the table and the expected failures above tell the same story
    assert {f: t - d for f, (d, t) in table.items()} == {f: expected_failures.get(f, 0) for f in table}
