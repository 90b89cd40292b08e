"""The YAML reader: the block-YAML kernel builds exactly what PyYAML's SafeLoader builds
(or declines), and hostile YAML is refused before it is built."""

import string

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fastroute.errors import InputLimitError, ResourceError
from fastroute.model import resources, synth, yamltext
from fastroute.model._yamlblock import Unsupported, load_block_yaml


def _fast(text):
    return load_block_yaml(text.encode("utf-8"), yamltext._resolve_plain, yamltext.MAX_DEPTH)


def _same_or_declined(text):
    """The kernel either declines or agrees with PyYAML (and PyYAML must accept what it reads)."""
    try:
        got = _fast(text)
    except Unsupported:
        return False
    assert got == list(yaml.load_all(text, Loader=_Reference))
    return True


_scalar_text = st.sampled_from([
    "true", "True", "yes", "no", "on", "off", "null", "~", "", "0", "-1", "0x1f", "0o17", "017", "1_000", "1.5",
    "1e3", ".inf", "-.Inf", ".nan", "1:30", "2024-01-02", "2024-01-02T03:04:05Z", "10.0.0.1", "10.0.0.0/8",
    "fd00::1", "all()", "has(x)", "x == 'y'", "a b", "-x", "+1", ".5", "1.", "=", "<<", "a#b", "a #b",
    "'q'", "'it''s'", '"dq"', "{}", "[]", "k8s", "host:node-1", "Always", "- x", "a: b", "&a x", "*a", "!!str 1",
])
_key = st.sampled_from(["a", "b", "name", "spec", "true", "1", "x-y", "k.io/n", "0x10", "null", "<<", "'q'"])


def _render(value, indent=0, style=0):
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return pad + "{}\n"
        out = ""
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                if isinstance(v, list) and style % 2:
                    out += f"{pad}{k}:\n{_render(v, indent, style)}"          # compact sequence
                else:
                    out += f"{pad}{k}:\n{_render(v, indent + 2, style)}"
            else:
                out += f"{pad}{k}: {_render(v, 0, style).strip()}\n"
        return out
    if isinstance(value, list):
        if not value:
            return pad + "[]\n"
        out = ""
        for v in value:
            if isinstance(v, dict) and v:
                inner = _render(v, indent + 2, style).splitlines(True)
                out += pad + "- " + inner[0].lstrip() + "".join(inner[1:])
            elif isinstance(v, list) and v:
                out += pad + "-\n" + _render(v, indent + 2, style)
            else:
                out += f"{pad}- {_render(v, 0, style).strip()}\n"
        return out
    return pad + value + "\n"


class _Reference(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, with the one rule Calico's reader adds (no base-60 numbers)."""


yamltext.calico_resolvers(_Reference)


_tree = st.recursive(
    _scalar_text,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_key, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.dictionaries(_key, _tree, min_size=1, max_size=4), min_size=1, max_size=3), st.integers(0, 3))
def test_kernel_agrees_with_pyyaml_or_declines(docs, style):
    text = "".join("---\n" + _render(d, 0, style) for d in docs)
    try:
        list(yaml.load_all(text, Loader=_Reference))
    except yaml.YAMLError:
        with pytest.raises(Unsupported):
            _fast(text)
        return
    _same_or_declined(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + " :-#'\"\n{}[]&*!|>.~/", max_size=80))
def test_kernel_on_arbitrary_text_never_disagrees(text):
    try:
        expected = list(yaml.load_all(text, Loader=_Reference))
    except yaml.YAMLError:
        expected = None
    try:
        got = _fast(text)
    except Unsupported:
        return
    assert got == expected


def test_kernel_reads_an_export_and_a_kubectl_style_list():
    text = synth.cluster(4, 3, pools=["10.0.0.0/16"], seed=1).allocate().dump()
    assert _same_or_declined(text)
    kubectl = ("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    creationTimestamp: \"2024-05-01T10:00:00Z\"\n"
               "    labels:\n      app: web\n      tier: \"1\"\n    name: web-1\n    namespace: default\n  spec:\n"
               "    containers:\n    - image: nginx\n      name: web\n      ports:\n      - containerPort: 80\n"
               "        protocol: TCP\n    nodeName: n1\n  status:\n    podIP: 10.0.0.5\n    podIPs:\n"
               "    - ip: 10.0.0.5\nkind: List\nmetadata:\n  resourceVersion: \"\"\n")
    assert _same_or_declined(kubectl)


# ---------------------------------------------------------------------- hostile input

def _bomb(levels=9):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\n  labels: *a%d\n" % (levels - 1) + "\n".join(lines) + "\n"


@pytest.mark.parametrize("place", ["labels", "list", "cidr", "kind"])
def test_alias_bomb_is_refused_naming_file_and_document(place):
    defs = 'x0: &x0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * 10) + "]\n" for i in range(1, 9))
    if place == "labels":
        text = "apiVersion: projectcalico.org/v3\nkind: Node\n" + defs + "metadata:\n  name: n\n  labels: {a: *x8}\n"
    elif place == "list":
        text = "apiVersion: v1\nkind: List\n" + defs + "items: *x8\n"
    elif place == "kind":
        text = "apiVersion: projectcalico.org/v3\n" + defs + "kind: *x8\nmetadata: {name: p}\n"
    else:
        text = "apiVersion: projectcalico.org/v3\nkind: IPPool\n" + defs + "metadata: {name: p}\nspec: {cidr: *x8}\n"
    text = "---\nkind: Namespace\napiVersion: v1\nmetadata: {name: ok}\n---\n" + text
    with pytest.raises(InputLimitError, match=r"bomb\.yaml: document 2: aliases expand .* refused"):
        resources.loads(text, filename="bomb.yaml")


def test_self_referring_alias_is_refused():
    with pytest.raises(InputLimitError, match=r"document 1: an alias refers to the collection that holds it"):
        resources.loads("apiVersion: v1\nkind: List\nitems: &a [*a]\n")


@pytest.mark.parametrize("text", [
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: " + "[" * 500 + "]" * 500 + "\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata:\n" + "".join(" " * i + "- \n" for i in range(1, 300)),
])
def test_absurd_nesting_is_refused(text):
    with pytest.raises(InputLimitError, match=r"deep\.yaml: document 1: nesting deeper than 100 levels"):
        resources.loads(text, filename="deep.yaml")


def test_deep_json_is_refused_not_a_traceback():
    with pytest.raises(ResourceError, match=r"deep\.json: "):
        resources.loads("[" * 100_000 + "]" * 100_000, filename="deep.json")


def test_ordinary_aliases_still_load():
    text = ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: projectcalico.org/v3\n  kind: Node\n"
            "  metadata: {name: a, labels: &l {rack: r1}}\n  spec: {bgp: {ipv4Address: 10.0.0.1/24}}\n"
            "- apiVersion: projectcalico.org/v3\n  kind: Node\n  metadata: {name: b, labels: *l}\n"
            "  spec: {bgp: {ipv4Address: 10.0.0.2/24}}\n")
    assert [n.labels for n in resources.loads(text).nodes] == [{"rack": "r1"}, {"rack": "r1"}]


def test_non_utf8_file_is_a_resource_error(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_bytes(b"apiVersion: v1\nkind: Namespace\nmetadata: {name: \xff}\n")
    with pytest.raises(ResourceError, match=r"c\.yaml: byte 48 .* is not UTF-8"):
        resources.load(f)


def test_base60_text_stays_text_as_calico_reads_it():
    # go-yaml keeps `5663:12` (a BGP community) as a string; YAML 1.1 would read 339792
    for text in ("a: 5663:12\n", "{a: 5663:12}\n"):
        assert yamltext.documents(text, "x") == [{"a": "5663:12"}]


@pytest.mark.parametrize("text", ["a: " + "9" * 5000 + "\n", '{"a": ' + "9" * 5000 + "}", "a: 2001-13-45\n",
                                  "a:\n  - " + "9" * 5000 + "\n"])
def test_values_python_cannot_build_are_resource_errors_naming_the_file(text):
    with pytest.raises(ResourceError, match=r"^f\.yaml: a value that cannot be read"):
        yamltext.documents(text, "f.yaml")


# calicoctl reads with sigs.k8s.io/yaml UnmarshalStrict: a mapping key given twice is an error
@pytest.mark.parametrize("text, where", [
    ("kind: Node\nmetadata:\n  name: a\n  name: b\n", r"document 1 \(Node 'a'\): metadata\.name: the key is given twice \(lines 3 and 4\)"),
    ("kind: Node\nmetadata: {name: a}\nspec:\n  bgp:\n  - x: 1\n    x: 2\n", r"document 1 \(Node 'a'\): spec\.bgp\[0\]\.x: .*lines 5 and 6"),
    ("a: 1\n---\nkind: IPPool\nkind: IPPool\n", r"document 2 \(IPPool\): kind: the key is given twice"),
    ('{"kind": "Node", "metadata": {"name": "a", "name": "b"}}', r"document 1 \(Node 'a'\): metadata\.name: the key is given twice"),
    ("kind: Node\nmetadata: {name: a, name: b}\n", r"document 1 \(Node 'a'\): metadata\.name: the key is given twice"),
])
def test_a_key_given_twice_is_refused_naming_its_path(text, where):
    with pytest.raises(ResourceError, match="f.yaml: " + where):
        yamltext.documents(text, "f.yaml")


def test_merge_keys_and_equal_keys_in_different_mappings_are_not_repeats():
    docs = yamltext.documents("base: &b {x: 1}\nm:\n  <<: *b\n  x: 2\nn: {x: 3}\n", "f.yaml")
    assert docs == [{"base": {"x": 1}, "m": {"x": 2}, "n": {"x": 3}}]


def test_a_file_holding_a_list_of_resources_loads_as_calicoctl_reads_it():
    from fastroute.model import reader

    text = ("- apiVersion: projectcalico.org/v3\n  kind: IPPool\n  metadata: {name: p}\n  spec: {cidr: 10.1.0.0/16}\n"
            "- apiVersion: projectcalico.org/v3\n  kind: BGPPeer\n  metadata: {name: x}\n  spec: {peerIP: 10.0.0.1, "
            "asNumber: 70000}\n")
    res = reader.loads(text, "l.yaml")
    assert [p.name for p in res.pools] == ["p"] and [p.name for p in res.bgp_peers] == ["x"]
    with pytest.raises(ResourceError, match=r"l\.yaml: document 1, items\[1\] \(BGPPeer 'x'\): spec\.asNumber"):
        reader.loads(text.replace("70000", "-1"), "l.yaml")
