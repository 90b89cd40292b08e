"""Reading Calico's confd template test suite: which datastore each check runs against.

confd's suite (``confd/tests/test_suite_common.sh`` in projectcalico/calico, ``tests/`` in
projectcalico/confd) has two kinds of cases:

* **mock cases** -- ``run_individual_test[_oneshot] '<case>'``: the datastore is
  ``mock_data/calicoctl/<case>/input.yaml`` (and ``step2/input.yaml`` applied over it for
  ``<case>/step2``), rendered for ``NODENAME=kube-master``; ``mesh/hash`` runs with
  ``CALICO_ROUTER_ID=hash`` and ``mesh/static-routes-no-ipv4-address`` with
  ``CALICO_ROUTER_ID=10.10.10.10`` (the ``export`` around them in the script);
* **scripted cases** -- the ``test_*`` shell functions that write resources inline
  (``$CALICOCTL apply -f - <<EOF``, ``kubectl create|replace|apply -f - <<EOF``,
  ``kubectl delete secret``, ``$CALICOCTL delete <kind> <name>``, ``turn_mesh_off``/``_on``)
  and check the rendered files with ``test_confd_templates <dir>`` or count sessions with
  ``expect_peerings N``; a case may also write Felix's endpoint status files by hand
  (``cat <<EOF > .../endpoint-status/<name>``, removed with ``rm -r .../endpoint-status``),
  which :attr:`Check.endpoint_status` carries.

:func:`scripted_checks` replays the script's shell subset (the ``etcdv3`` branches, which
is how the etcd suite runs them; a function with a ``for`` loop is skipped) and returns
the datastore at each check.  Every function starts from an empty datastore with the mesh
on, as the script leaves it between functions.  The affine blocks of
``mock_data/etcd/block`` are in the datastore throughout.
"""

import dataclasses
import json
import os
import re

ROUTER_IDS = {"mesh/hash": "hash", "mesh/static-routes-no-ipv4-address": "10.10.10.10"}

_FUNC = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\(\)\s*\{\s*$")
_HEREDOC = re.compile(r"^\s*(?:KUBECONFIG=\S+\s+)?(\$CALICOCTL|calicoctl|kubectl)\s+(apply|create|replace|delete)"
                      r"\s+-f\s+-\s*<<\s*EOF\s*$")
_DELETE = re.compile(r"^\s*(?:\$CALICOCTL|calicoctl|kubectl)\s+delete\s+(\w+)\s+([\w.-]+)(?:\s+-n\s+([\w-]+))?\s*$")
_CONFD = re.compile(r"\bconfd\b.*-confdir")
_STATUS_FILE = re.compile(r"^\s*cat\s+<<\s*EOF\s*>\s*\S*/endpoint-status/([\w.-]+)\s*$")
_FOR_SEQ = re.compile(r"^\s*for\s+(\w+)\s+in\s+(?:`seq\s+(\S+)\s+(\S+)`|\$\(seq\s+(\S+)\s+(\S+)\))\s*;\s*do\s*$")
_ASSIGN = re.compile(r"^\s*([A-Z][A-Z0-9_]*)=(\w+)\s*$")
_STATUS_GONE = re.compile(r"^\s*rm\s+-r\S*\s+\S*/endpoint-status\b")
_KINDS = {"node": "Node", "bgppeer": "BGPPeer", "bgpfilter": "BGPFilter", "secret": "Secret",
          "bgpconfig": "BGPConfiguration", "bgpconfiguration": "BGPConfiguration", "ippool": "IPPool"}


@dataclasses.dataclass(frozen=True)
class Check:
    """One check of the suite: render for ``node`` from ``documents`` and compare with
    ``compiled_templates/<case>`` (``peerings`` None) or count ``protocol bgp`` lines.
    ``endpoint_status``: the endpoint status files on the node, ``(file name, JSON object)``."""

    case: str
    documents: tuple
    node: str = "kube-master"
    router_id: str = None
    peerings: int = None
    function: str = ""
    endpoint_status: tuple = ()


def _functions(text):
    """``{name: [body lines]}`` of the shell functions defined at column 0."""
    out, name = {}, None
    for line in text.splitlines():
        if name is None:
            m = _FUNC.match(line)
            if m:
                name, out[m.group(1)] = m.group(1), []
        elif line == "}":
            name = None
        else:
            out[name].append(line)
    return out


def _mesh(enabled):
    return {"kind": "BGPConfiguration", "apiVersion": "projectcalico.org/v3", "metadata": {"name": "default"},
            "spec": {"nodeToNodeMeshEnabled": enabled}}


def _key(doc):
    meta = doc.get("metadata") or {}
    return doc.get("kind"), meta.get("name")


class _Replay:
    def __init__(self, functions, loader):
        self.functions = functions
        self.load = loader
        self.checks = []

    def run(self, name):
        self.state = {_key(_mesh(True)): _mesh(True)}
        self.status = {}
        self.vars = {}                  # shell variables the function sets (SCALE=99) and loop variables
        self.node, self.router_id = "kube-master", None
        self.body(name, self.functions[name])

    def body(self, fname, lines):
        skip = []                       # a stack: inside a branch the etcd suite does not take
        i = 0
        while i < len(lines):
            line = self.expand(lines[i])
            s = line.strip()
            i += 1
            m = _FOR_SEQ.match(line)
            if m:                       # `for v in `seq A B`; do ... done`, unrolled
                end = _loop_end(lines, i)
                var, first, last = m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5)
                if not any(skip):
                    for value in range(int(self.expand(first)), int(self.expand(last)) + 1):
                        self.vars[var] = str(value)
                        self.body(fname, lines[i:end])
                i = end + 1
                continue
            m = _ASSIGN.match(line)
            if m and not any(skip):
                self.vars[m.group(1)] = m.group(2)
                continue
            if s.startswith("if [") and "DATASTORE_TYPE" in s:
                skip.append("kubernetes" in s)
                continue
            if s.startswith("if "):
                skip.append(False)
                continue
            if s == "fi":
                skip.pop()
                continue
            if s == "else" and skip:
                skip[-1] = not skip[-1]
                continue
            m = _HEREDOC.match(line)
            if m:
                j = lines.index("EOF", i)
                text, i = self.expand("\n".join(lines[i:j])), j + 1
                if not any(skip):
                    self.apply(m.group(2), text)
                continue
            m = _STATUS_FILE.match(line)
            if m:
                j = lines.index("EOF", i)
                text, i = "\n".join(lines[i:j]), j + 1
                if not any(skip):
                    self.status[m.group(1)] = json.loads(text)
                continue
            if any(skip) or not s or s.startswith("#"):
                continue
            if _CONFD.search(s):
                m = re.search(r"NODENAME=(\S+)", s)
                self.node = m.group(1) if m else "kube-master"
            elif s.startswith("export CALICO_ROUTER_ID="):
                self.router_id = s.split("=", 1)[1]
            elif s in ("unset CALICO_ROUTER_ID", "export -n CALICO_ROUTER_ID"):
                self.router_id = None
            elif _STATUS_GONE.match(s):
                self.status = {}
            elif s in ("turn_mesh_off", "turn_mesh_on"):
                doc = _mesh(s.endswith("on"))
                self.state[_key(doc)] = doc
            elif s.startswith("test_confd_templates "):
                self.check(fname, s.split()[1].rstrip("/"), None)
            elif s.startswith("expect_peerings "):
                self.check(fname, None, int(s.split()[1]))
            elif _DELETE.match(s):
                m = _DELETE.match(s)
                self.state.pop((_KINDS.get(m.group(1).lower(), m.group(1)), m.group(2)), None)
            elif s in self.functions and s.startswith("test_"):
                self.body(s, self.functions[s])

    def expand(self, text):
        """``$NAME`` and ``${NAME}`` of the variables set so far, as the shell expands them in a
        command and an unquoted here-document."""
        return re.sub(r"\$\{?([A-Za-z_]\w*)\}?", lambda m: self.vars.get(m.group(1), m.group(0)), text)

    def apply(self, verb, text):
        for doc in self.load(text):
            if verb == "delete":
                self.state.pop(_key(doc), None)
            else:
                self.state[_key(doc)] = doc

    def check(self, fname, case, peerings):
        docs = tuple(self.state.values())
        self.checks.append(Check(case or f"{fname}#{len(self.checks)}", docs, self.node, self.router_id, peerings,
                                 fname, tuple(self.status.items())))


def _loop_end(lines, start):
    """Index of the ``done`` closing the loop whose body starts at ``start``."""
    depth = 0
    for j in range(start, len(lines)):
        s = lines[j].strip()
        if re.match(r"(for|while)\s.*;\s*do$", s):
            depth += 1
        elif s == "done":
            if depth == 0:
                return j
            depth -= 1
    raise ValueError(f"no done for the loop at line {start}")


def _load_yaml(text):
    from fastroute.model import reader
    return [d for d in reader._documents_of(text, "test_suite_common.sh") if d]


def scripted_checks(script_path):
    """The checks of the scripted cases of ``test_suite_common.sh`` at ``script_path``, in
    script order (``for v in `seq A B``` loops unrolled, shell variables expanded)."""
    with open(script_path, encoding="utf-8") as fh:
        functions = _functions(fh.read())
    replay = _Replay(functions, _load_yaml)
    for name, lines in functions.items():
        if not name.startswith("test_") or name in ("test_confd_templates",):
            continue
        if not any(ln.strip().startswith(("test_confd_templates ", "expect_peerings ")) for ln in lines):
            continue                   # a function that only calls others: they are replayed by name
        replay.run(name)
    return replay.checks


def mock_documents(root, case):
    """The datastore of mock case ``case`` under ``root/mock_data/calicoctl``: ``input.yaml``
    (``kubectl-input.yaml`` too), then for ``<case>/step2`` the step's ``input.yaml`` applied over it."""
    base = os.path.join(root, "mock_data", "calicoctl")
    parts = case.split("/")
    first = case if parts[-1] != "step2" else "/".join(parts[:-1])
    files = [os.path.join(base, first, n) for n in ("input.yaml", "kubectl-input.yaml")]
    if parts[-1] == "step2":
        files.append(os.path.join(base, case, "input.yaml"))
    state = {}
    for f in files:
        if os.path.exists(f):
            with open(f, encoding="utf-8") as fh:
                for doc in _load_yaml(fh.read()):
                    state[_key(doc)] = doc
    return tuple(state.values())


def mock_checks(root):
    """The mock cases under ``root`` (those with an ``input.yaml``), as :class:`Check`."""
    base = os.path.join(root, "mock_data", "calicoctl")
    out = []
    for d, _, files in sorted(os.walk(base)):
        if "input.yaml" in files:
            case = os.path.relpath(d, base).replace(os.sep, "/")
            out.append(Check(case, mock_documents(root, case), router_id=ROUTER_IDS.get(case.removesuffix("/step2"))))
    return out


def affine_blocks(root, node):
    """``(cidr, state)`` of ``node``'s affine blocks in ``root/mock_data/etcd/block``
    (``/calico/ipam/v2/host/<node>/ipv4/block/<cidr with -> {json}``)."""
    out = []
    with open(os.path.join(root, "mock_data", "etcd", "block"), encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            key, value = line.split(" ", 1)
            if f"/host/{node}/" in key:
                out.append((key.rsplit("/", 1)[1].replace("-", "/"), json.loads(value).get("state", "")))
    return out


__all__ = ["Check", "ROUTER_IDS", "scripted_checks", "mock_checks", "mock_documents", "affine_blocks"]
