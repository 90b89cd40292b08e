"""Every YAML resource example of Calico's documentation loads, and a dump mixing every kind works.

The examples are pinned files (tests/data/calico-docs/examples/, extracted by
tests/data/calico-docs/extract.py from tigera/docs, Apache-2.0): the reference pages
``calico/reference/resources/*.mdx`` and every code block under ``calico/`` with a projectcalico.org/v3
resource or a kind that configures BGP or IPAM (tests/data/calico-docs/README.md).
Each file loads as the CLI loads a CLUSTER argument (``fastroute.model.examples.resolve``);
kinds that cannot change routing are accepted and counted as "not modelled".
"""

import base64
import copy
import json
import os

import pytest
import yaml

from fastroute.cli import main
from fastroute.errors import FastrouteError
from fastroute.model import examples, resources

HERE = os.path.join(os.path.dirname(__file__), os.pardir, "data", "calico-docs")
EXAMPLES = os.path.join(HERE, "examples")
with open(os.path.join(HERE, "manifest.json")) as _f:
    MANIFEST = json.load(_f)
ENTRIES = {e["file"]: e for e in MANIFEST["examples"]}
FILES = sorted(f for f, e in ENTRIES.items() if e["status"] == "example")

# Kinds that cannot change what BGP and IPAM do: read, counted once as "not modelled", never fatal
NOT_ROUTING = {
    "CalicoNodeStatus", "FelixConfiguration", "KubeControllersConfiguration", "GlobalNetworkPolicy",
    "NetworkPolicy", "StagedGlobalNetworkPolicy", "StagedNetworkPolicy", "StagedKubernetesNetworkPolicy", "Tier",
    "HostEndpoint", "GlobalNetworkSet", "NetworkSet", "Profile", "Role", "RoleBinding",
}

# Examples Calico accepts and fastroute refuses: fastroute bugs, to be fixed in the model wing
FASTROUTE_REFUSES = {}    # (a YAML sequence of resources loads, as calicoctl reads it: 5 examples)

# Examples Calico (or Kubernetes) refuses too: fastroute must refuse them naming the field (and the value,
# except a Secret's, which is never echoed). file -> (pattern of fastroute's error, why Calico refuses, xfail)
CALICO_REFUSES = {
    "reference-resources-bgppeer--02.yaml": (
        r"document 3 \(Secret 'bgp-passwords'\): data\.peer_a_pw: invalid value: expected base64",
        "the Secret's data holds the text 'base64-encoded Password for Peer A', not base64: the Kubernetes API"
        " refuses it (illegal base64 data)", None),
    "reference-resources-workloadendpoint--01.yaml": (
        r"document 1 \(WorkloadEndpoint 'node1-k8s-my--nginx--b1337a-eth0'\): spec\.endpoint: the key is given twice"
        r" \(lines 14 and 17\)",
        "spec.endpoint is given twice: calicoctl reads with yaml.UnmarshalStrict (sigs.k8s.io/yaml over"
        " go-yaml v2), which refuses a duplicated mapping key", None),
}


def _path(name):
    return os.path.join(EXAMPLES, name)


def _documents(name):
    with open(_path(name)) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    return [d for x in docs for d in (x if isinstance(x, list) else [x])]


def _kinds(docs):
    out = []
    for d in docs:
        items = d.get("items") if str(d.get("kind", "")).endswith("List") else None
        out += [i["kind"] for i in items] if isinstance(items, list) else [d["kind"]]
    return out


# ---------------------------------------------------------------------------- the fixture itself

def test_manifest_and_pinned_files_agree():
    assert sorted(os.listdir(EXAMPLES)) == FILES
    assert len(MANIFEST["commit"]) == 40
    for e in MANIFEST["examples"]:
        assert e["status"] in ("example", "skipped"), e
        assert (e["status"] == "skipped") == bool(e.get("reason")), e   # every skip says why
        assert e["page"].startswith(("calico/", "calico_versioned_docs/version-3.32/")), e
    for name in FILES:
        with open(_path(name)) as f:
            assert f.readline().startswith(f"# from tigera/docs {MANIFEST['commit'][:12]} {ENTRIES[name]['page']} ")
    assert set(FASTROUTE_REFUSES) | set(CALICO_REFUSES) <= set(FILES)


def test_every_reference_page_with_an_example_is_covered():
    pages = {e["page"].rsplit("/", 1)[1] for e in ENTRIES.values() if e["page"].startswith("calico/reference/r")}
    # blockaffinity.mdx and index.mdx show no YAML
    for page in ("bgpconfig", "bgpfilter", "bgppeer", "ipamconfig", "ippool", "ipreservation", "node",
                 "workloadendpoint", "felixconfig", "kubecontrollersconfig", "caliconodestatus"):
        assert page + ".mdx" in pages


# ---------------------------------------------------------------------------- each example on its own

def _marks(name):
    if name in FASTROUTE_REFUSES:
        why = "fastroute bug: " + FASTROUTE_REFUSES[name]
        return [pytest.mark.xfail(strict=True, raises=FastrouteError, reason=why)]
    if name in CALICO_REFUSES and CALICO_REFUSES[name][2]:
        # pytest.raises(match=...) raises AssertionError when fastroute's message is not the expected one
        why = "fastroute gap: " + CALICO_REFUSES[name][2]
        return [pytest.mark.xfail(strict=True, raises=AssertionError, reason=why)]
    return []


@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n), id=n[:-5]) for n in FILES])
def test_docs_example_loads_as_the_cli_loads_it(name):
    path = _path(name)
    if name in CALICO_REFUSES:
        pattern = CALICO_REFUSES[name][0]
        with pytest.raises(FastrouteError, match=r"calico-docs/examples/" + name.replace(".", r"\.") + ": " + pattern):
            examples.resolve(path)
        return
    res = resources.load(path)
    examples.resolve(path)
    kinds = set(_kinds(_documents(name)))
    assert set(res.not_modelled) <= NOT_ROUTING
    assert set(res.not_modelled) == kinds & NOT_ROUTING        # modelled kinds are not merely counted


# ---------------------------------------------------------------------------- every kind in one dump

# one example of every kind the docs show, with what refers to what kept together
COMBINED = [
    "reference-resources-ippool--01.yaml", "reference-resources-node--01.yaml",
    "networking-ipam-assign-ip-addresses-topology--01.yaml",   # the pool of the endpoint's 192.168.0.0
    "reference-resources-bgpconfig--01.yaml", "reference-resources-bgppeer--01.yaml",
    "reference-resources-bgppeer--02.yaml", "networking-configuring-bgp--12.yaml",
    "reference-resources-ipreservation--01.yaml", "reference-resources-ipamconfig--01.yaml",
    "reference-resources-workloadendpoint--01.yaml", "reference-resources-caliconodestatus--01.yaml",
    "reference-resources-felixconfig--01.yaml", "reference-resources-kubecontrollersconfig--01.yaml",
    "reference-resources-globalnetworkpolicy--01.yaml", "reference-resources-globalnetworkset--01.yaml",
    "reference-resources-hostendpoint--01.yaml", "reference-resources-networkpolicy--01.yaml",
    "reference-resources-networkset--01.yaml", "reference-resources-profile--01.yaml",
    "reference-resources-stagedglobalnetworkpolicy--01.yaml", "reference-resources-stagednetworkpolicy--01.yaml",
    "reference-resources-stagedkubernetesnetworkpolicy--01.yaml", "reference-resources-tier--01.yaml",
]


def _as_applied(doc):
    """The document as a user applies it after following the page: the Secret's text base64-encoded."""
    if doc.get("kind") == "Secret":
        doc = copy.deepcopy(doc)
        doc["data"] = {k: base64.b64encode(str(v).encode()).decode() for k, v in doc["data"].items()}
    return doc


def _names(docs):
    for d in docs:
        items = d.get("items") if str(d.get("kind", "")).endswith("List") else None
        for item in items if isinstance(items, list) else [d]:
            meta = item.get("metadata") or {}
            yield item, (item["kind"], meta.get("namespace"), meta.get("name"))


def _combined_docs():
    with open(examples.seed_path()) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    taken = {key for _, key in _names(docs)}
    for name in COMBINED:
        for doc in _documents(name):
            doc = _as_applied(doc)
            for item, key in _names([doc]):
                if key in taken and key[2] == "default":
                    # one cluster-wide 'default' configuration per kind: the docs' one replaces the seed's
                    docs = [d for d in docs
                            if (d.get("kind"), (d.get("metadata") or {}).get("name")) != (key[0], "default")]
                n = 2
                while key in taken and key[2] != "default":
                    item["metadata"]["name"] = f"{key[2]}-{n}"
                    key, n = (key[0], key[1], item["metadata"]["name"]), n + 1
                taken.add(key)
            docs.append(doc)
    return docs


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    path = tmp_path_factory.mktemp("docs") / "every-kind.yaml"
    path.write_text(yaml.safe_dump_all(_combined_docs(), sort_keys=False))
    return str(path)


def test_combined_dump_holds_every_kind_of_the_docs_and_loads(dump):
    shown = {k for name in FILES if name not in FASTROUTE_REFUSES for k in _kinds(_documents(name))}
    docs = yaml.safe_load_all(open(dump))
    held = {key[0] for _, key in _names([d for d in docs if d])}
    assert shown <= held
    names = [key for _, key in _names([d for d in yaml.safe_load_all(open(dump)) if d])]
    assert len(names) == len(set(names))
    res = resources.load(dump)
    assert set(res.not_modelled) == held & NOT_ROUTING
    c = examples.resolve(dump)
    assert {"master", "node1", "node2", "node-hostname"} <= set(c.node_names)


def _run(argv, monkeypatch, capsys):
    monkeypatch.setenv("FASTROUTE_DEBUG", "1")          # a bug raises here instead of exiting 70
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc in (0, 1), f"{argv}: exit {rc}\n{err}"
    assert "Traceback" not in err and "internal error" not in err
    return rc, out, err


@pytest.mark.parametrize("version", [None, "3.32"])
def test_verify_on_the_combined_dump(dump, version, monkeypatch, capsys):
    _, out, err = _run(["verify", dump] + (["--calico-version", version] if version else []), monkeypatch, capsys)
    assert out.strip()
    assert err.count("not modelled") == 1


@pytest.mark.parametrize("command", ["routes", "status", "bird-config"])
@pytest.mark.parametrize("node", ["master", "node1", "node-hostname"])
def test_node_commands_on_the_combined_dump(dump, command, node, monkeypatch, capsys):
    _, out, _ = _run([command, dump, "--node", node, "--calico-version", "3.32"], monkeypatch, capsys)
    assert out.strip()


def test_bird_config_ipv6_of_the_docs_node(dump, monkeypatch, capsys):
    _, out, _ = _run(["bird-config", dump, "--node", "node-hostname", "--ipv6", "--calico-version", "3.32"],
                     monkeypatch, capsys)
    assert "router id" in out
