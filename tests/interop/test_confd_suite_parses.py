"""Every configuration of Calico's confd template suite, as fastroute renders it, is accepted by
real BIRD 1.6 (``bird -p`` / ``bird6 -p``): passwords, BGPFilter functions, communities, ttl
security, reachableBy routes, service routes, for each supported release.

The cases are those tests/bgp/test_confd_suite.py replays (the fixture in tests/data/confd).
Stock BIRD has no Calico ``krt_tunnel`` attribute; for this syntax check each
``krt_tunnel = "...";`` becomes ``krt_metric = 0;`` (a kernel attribute stock BIRD has).
Cases fastroute refuses to render (v3.30+ BGPFilter rule fields) are left out, and so is a
configuration confd itself renders invalid (``router id ;`` on a node without IPv4 and
without CALICO_ROUTER_ID) is left out.
"""

import dataclasses
import importlib.util
import os
import re
import subprocess

import pytest

from fastroute.bgp import birdcfg, topology
from fastroute.bgp.birdview import AffineBlock
from fastroute.errors import FastrouteError
from fastroute.model import reader
from fastroute.model.cluster import Cluster

pytestmark = pytest.mark.interop

_BGP_TESTS = os.path.join(os.path.dirname(__file__), "..", "bgp")
_spec = importlib.util.spec_from_file_location("confd_replay", os.path.join(_BGP_TESTS, "confd_replay.py"))
confd_replay = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(confd_replay)

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "confd")
RELEASES = {"v3.28.2": "3.28", "v3.28.1": "3.28.1", "v3.20": "3.20", "v3.32.1": "3.32"}
_TUNNEL = re.compile(r'krt_tunnel\s*=\s*"[^"]*";')


def _views(folder, version):
    root = os.path.join(DATA, folder)
    checks = confd_replay.mock_checks(root) + confd_replay.scripted_checks(os.path.join(root, "test_suite_common.sh"))
    for check in checks:
        if check.peerings is not None:
            continue
        try:
            res = reader.parse_documents(list(check.documents), f"{folder}/{check.case}")
            view = topology.compute(Cluster.from_resources(reader._finish(res)), version).view(check.node)
            birdcfg.render_files(view)
        except FastrouteError:
            continue                    # a case fastroute refuses (tests/bgp/test_confd_suite.py names them)
        blocks = tuple(AffineBlock(c, st) for c, st in confd_replay.affine_blocks(root, check.node))
        view = dataclasses.replace(view, blocks=blocks, router_id=check.router_id)
        if view.effective_router_id:
            yield check.case, view


@pytest.mark.parametrize("folder", list(RELEASES))
def test_bird_accepts_the_confd_suite(tmp_path, folder):
    seen = 0
    for case, view in _views(folder, RELEASES[folder]):
        d = tmp_path / case.replace("/", "_")
        d.mkdir(exist_ok=True)
        files = {n: _TUNNEL.sub("krt_metric = 0;", t) for n, t in birdcfg.render_files(view).items()}
        for name, text in files.items():
            (d / name).write_text(text)
        for exe, cfg in (("bird", "bird.cfg"), ("bird6", "bird6.cfg")):
            r = subprocess.run([exe, "-p", "-c", str(d / cfg)], cwd=d, capture_output=True, text=True)
            assert r.returncode == 0, f"{folder} {case}: {exe} rejects {cfg}: {r.stderr}\n{files[cfg]}"
        seen += 1
    assert seen >= 19
