"""YAML and JSON text in, Python documents out: fast for dumps, bounded for hostile input.

Three readers, tried in order:

* JSON text (``kubectl get -o json``) goes to the json module;
* block-style YAML as ``kubectl``/``calicoctl get -o yaml`` and ``fastroute export`` print
  it goes to the :mod:`fastroute.model._yamlblock` kernel, which builds exactly what PyYAML's
  SafeLoader builds (plain scalars through PyYAML's own resolver) an order of magnitude
  faster, and refuses anything outside that subset;
* everything else goes to PyYAML (libyaml's CSafeLoader where PyYAML has it), node graph
  first: a document whose aliases would expand past :data:`ALIAS_BUDGET` extra nodes
  ("billion laughs"), that refers to itself, or that nests deeper than :data:`MAX_DEPTH`
  is refused before any object is built.
"""

from __future__ import annotations

import json
from typing import Any

import re

import yaml

from ._yamlblock import Unsupported, load_block_yaml
from ..errors import InputLimitError, ResourceError
from ..gcpause import paused_gc

__all__ = ["documents", "calico_resolvers", "MAX_DEPTH", "ALIAS_BUDGET", "python_documents", "paused_gc", "read_text"]

#: Deepest nesting of mappings and sequences read (a Calico resource nests about 8 deep).
MAX_DEPTH = 100

#: Nodes that alias expansion may add to one document beyond the nodes written in it.
ALIAS_BUDGET = 100_000

def _without_base60(resolvers):
    """YAML 1.1's implicit resolvers without base-60 numbers: Calico's reader (go-yaml) keeps
    ``5663:12`` (a BGP community) as text, where PyYAML would read the integer 339792."""
    return {first: [(tag, regexp) for tag, regexp in rs
                    if not (tag.endswith((":int", ":float")) and ":[0-5]?[0-9]" in regexp.pattern)]
            for first, rs in resolvers.items()}


_INT = r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
_FLOAT = (r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
          r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


def calico_resolvers(cls: type) -> type:
    cls.yaml_implicit_resolvers = _without_base60(cls.yaml_implicit_resolvers)
    for tag, pattern in (("int", _INT), ("float", _FLOAT)):
        cls.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern), list("-+0123456789."))
    return cls


@calico_resolvers
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's safe loader (when PyYAML has it) reading plain scalars as Calico does."""


@calico_resolvers
class _Resolver(yaml.resolver.Resolver):
    """The same resolution for the scalars the block kernel hands over."""


_resolver = _Resolver()
_constructor = yaml.constructor.SafeConstructor()
_SPECIAL_TAGS = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")


def read_text(path: str) -> str:
    """The text of the file at ``path`` (UTF-8); bytes that are not UTF-8 are a ResourceError."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ResourceError(f"{path}: byte {e.start} ({data[e.start:e.start + 1]!r}) is not UTF-8: "
                            "expected a UTF-8 YAML or JSON file") from None


def _resolve_plain(text):
    """A plain scalar as PyYAML's SafeLoader reads it (YAML 1.1 implicit resolvers)."""
    tag = _resolver.resolve(yaml.ScalarNode, text, (True, False))
    if tag in _SPECIAL_TAGS:
        raise Unsupported(tag)
    node = yaml.ScalarNode(tag, text)
    return _constructor.yaml_constructors[tag](_constructor, node)


def _malformed(e, filename):
    mark = getattr(e, "problem_mark", None)
    at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(e, "problem", None) or str(e)
    return ResourceError(f"{filename}: malformed YAML{at}: {problem}")


def _check_bounds(root, filename, index):
    """Refuse a node graph that expands past the alias budget, refers to itself or nests too deep."""
    where = f"{filename}: document {index}"
    size = {}                   # id(node) -> (expanded size, depth); None while being visited
    distinct = 0
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            total = 1 + sum(size[id(c)][0] for c in children)
            depth = 1 + max((size[id(c)][1] for c in children), default=0)
            size[key] = (total, depth)
            if depth > MAX_DEPTH:
                raise InputLimitError(f"{where}: nesting deeper than {MAX_DEPTH} levels: refused")
            continue
        if key in size:
            if size[key] is None:
                raise InputLimitError(f"{where}: an alias refers to the collection that holds it: refused")
            continue
        size[key] = None
        distinct += 1
        stack.append((node, True))
        for c in _children(node):
            if id(c) not in size or size[id(c)] is None:
                stack.append((c, False))
    total = size[id(root)][0]
    if total - distinct > ALIAS_BUDGET:
        raise InputLimitError(
            f"{where}: aliases expand {distinct:,} YAML nodes to {total:,}, more than {ALIAS_BUDGET:,} extra: "
            "refused (an alias bomb?)")


def _check_unique_keys(root, filename, index):
    """Refuse a mapping that gives a key twice, as calicoctl does (it reads with
    sigs.k8s.io/yaml ``UnmarshalStrict``; PyYAML would keep the last value silently)."""
    stack, seen = [(root, "")], set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            lines = {}
            for k, v in node.value:
                if not isinstance(k, yaml.ScalarNode) or k.tag in _SPECIAL_TAGS:
                    continue
                if k.value in lines:
                    raise ResourceError(
                        f"{_document_where(root, filename, index)}: {path}{k.value}: the key is given twice (lines "
                        f"{lines[k.value]} and {k.start_mark.line + 1}); calicoctl refuses a repeated key")
                lines[k.value] = k.start_mark.line + 1
                stack.append((v, f"{path}{k.value}."))
        elif isinstance(node, yaml.SequenceNode):
            stack += [(c, f"{path[:-1]}[{i}].") for i, c in enumerate(node.value)]


def _document_where(root, filename, index):
    """``FILE: document N (Kind 'name')`` from a document's node graph, as errors name documents."""
    def field(node, key):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == key:
                    return v
        return None

    kind, name = field(root, "kind"), field(field(root, "metadata"), "name")
    kind = kind.value if isinstance(kind, yaml.ScalarNode) else ""
    name = name.value if isinstance(name, yaml.ScalarNode) else ""
    ident = f"{kind} {name!r}" if name else kind
    return f"{filename}: document {index}" + (f" ({ident})" if ident else "")


def _unique_pairs(pairs):
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("a key given twice")     # the YAML reader then names it, with its lines
    return out


def _children(node):
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [x for pair in node.value for x in pair]
    return ()


def python_documents(text: str, filename: str) -> list[Any]:
    """The documents of YAML ``text`` through PyYAML, node graphs checked before building."""
    loader = _Loader(text)
    try:
        docs = []
        while loader.check_node():
            node = loader.get_node()
            _check_bounds(node, filename, len(docs) + 1)
            _check_unique_keys(node, filename, len(docs) + 1)
            docs.append(loader.construct_document(node))
        return docs
    except yaml.YAMLError as e:
        raise _malformed(e, filename) from None
    except RecursionError:
        raise InputLimitError(f"{filename}: nesting deeper than Python can build: refused") from None
    finally:
        loader.dispose()


def documents(text: str, filename: str) -> list[Any]:
    """The documents of YAML or JSON ``text`` (a list; None for an empty document).

    Raises
    ------
    ResourceError
        Malformed YAML (with line and column).
    InputLimitError
        Alias expansion, self-reference or nesting beyond the bounds.
    """
    head = text.lstrip()[:1]
    if head in ("{", "["):
        # JSON (`kubectl get -o json`, `fastroute export -o x.json`) is YAML too, but
        # the json module reads it ten times faster than PyYAML builds it
        try:
            data = json.loads(text, object_pairs_hook=_unique_pairs)
        except ValueError:
            pass                    # YAML flow style, not JSON: the YAML reader decides
        except RecursionError:
            raise InputLimitError(f"{filename}: JSON nesting deeper than Python can read: refused") from None
        else:
            return data if isinstance(data, list) else [data]
    try:
        try:
            return load_block_yaml(text.encode("utf-8", "surrogatepass"), _resolve_plain, MAX_DEPTH)
        except (Unsupported, UnicodeError):
            return python_documents(text, filename)
    except ValueError as e:
        if isinstance(e, (ResourceError, UnicodeError)):
            raise
        # a scalar YAML resolves but Python cannot build: an integer of over 4,300 digits
        # (int()'s limit against quadratic-time conversion), a date out of range
        raise ResourceError(f"{filename}: a value that cannot be read: {str(e)[:200]}") from None
