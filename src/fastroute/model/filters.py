"""The resources that change a node's bird.cfg beyond peers and pools: BGPFilter and Secret.

* :class:`BGPFilter` -- projectcalico.org/v3 ``BGPFilter``: ordered import/export rules per IP
  family; :func:`filter_functions` writes them as BIRD functions the way confd's
  ``bgpFilterBIRDFuncs`` does, and :func:`filter_function_name` names them as
  ``bgpFilterFunctionName`` does (projectcalico/calico
  ``confd/pkg/resource/template/template_funcs.go``, v3.28).
* :class:`Secret` -- Kubernetes v1 ``Secret``: where BGPPeer ``password.secretKeyRef`` and
  BGPConfiguration ``nodeMeshPassword.secretKeyRef`` passwords come from
  (:func:`secret_value`; confd's ``secretWatcher`` in ``confd/pkg/backends/calico/secret_watcher.go``
  reads calico-node's own namespace, ``kube-system`` or ``calico-system``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field

from .kinds import Source
from .validation import fail, get_field, network_field
from ..errors import InvalidValueError

__all__ = [
    "BGPFilter", "Secret", "SECRET_NAMESPACES",
    "parse_bgp_filter", "parse_secret", "secret_value", "filter_functions", "filter_function_name",
]

#: The namespaces confd reads BGP password secrets from (calico-node's: manifest and operator installs).
SECRET_NAMESPACES = ("kube-system", "calico-system")

_RULE_LISTS = ("exportV4", "importV4", "exportV6", "importV6")
_OPERATORS = {"Equal": "=", "NotEqual": "!=", "In": "~", "NotIn": "!~"}
_SOURCES = {"RemotePeers": "((defined(source))&&(source ~ [ RTS_BGP ]))"}
_ACTIONS = ("Accept", "Reject")
#: the rule fields of the v3.28 BGPFilter API, the ones rendered
_RULE_FIELDS = ("action", "cidr", "matchOperator", "source", "interface")


@dataclass(frozen=True)
class BGPFilter:
    """projectcalico.org/v3 BGPFilter: ``rules[list]`` are dicts with ``action``, ``cidr``,
    ``matchOperator``, ``source``, ``interface`` for the lists exportV4, importV4, exportV6, importV6."""

    name: str
    rules: dict = field(default_factory=dict)
    source: Source = field(default=Source(), compare=False, repr=False)

    def rules_of(self, direction, family):
        return self.rules.get(f"{direction}V{family}", ())


@dataclass(frozen=True)
class Secret:
    """Kubernetes v1 Secret: ``data`` holds the decoded values (``data`` base64, ``stringData`` as is)."""

    namespace: str
    name: str
    data: dict = field(default_factory=dict)
    source: Source = field(default=Source(), compare=False, repr=False)


def parse_bgp_filter(doc, src):
    spec = get_field(doc, src, "spec", dict, default={}) or {}
    rules = {}
    for key in _RULE_LISTS:
        items = spec.get(key) or []
        if not isinstance(items, list):
            fail(src, f"spec.{key}", f"expected a list of rules, got {items!r}")
        out = []
        for i, rule in enumerate(items):
            where = f"spec.{key}[{i}]"
            if not isinstance(rule, dict):
                fail(src, where, f"expected a rule mapping, got {rule!r}")
            action = rule.get("action")
            if action not in _ACTIONS:
                fail(src, f"{where}.action", f"invalid action {action!r}: expected 'Accept' or 'Reject'")
            cidr = rule.get("cidr") or ""
            if cidr:
                net = network_field(cidr, src, f"{where}.cidr")
                if net.version != int(key[-1]):
                    fail(src, f"{where}.cidr", f"invalid cidr {cidr!r}: {key} takes IPv{key[-1]} CIDRs")
                if rule.get("matchOperator") not in _OPERATORS:
                    fail(src, f"{where}.matchOperator", f"invalid matchOperator {rule.get('matchOperator')!r}: "
                         f"expected one of {', '.join(map(repr, _OPERATORS))} with a cidr")
            if rule.get("source") and rule["source"] not in _SOURCES:
                fail(src, f"{where}.source", f"invalid source {rule['source']!r}: expected 'RemotePeers'")
            kept = {k: str(rule[k]) for k in _RULE_FIELDS if rule.get(k)}
            later = sorted(k for k in rule if k not in _RULE_FIELDS and rule[k] not in (None, "", [], {}))
            if later:
                kept["unrendered"] = ", ".join(later)
            out.append(kept)
        rules[key] = tuple(out)
    return BGPFilter(name=src.name, rules=rules, source=src)


def parse_secret(doc, src):
    meta = doc.get("metadata") or {}
    data = {}
    raw = get_field(doc, src, "data", dict, default={}) or {}
    for key, value in raw.items():
        try:
            data[str(key)] = base64.b64decode(str(value), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            fail(src, f"data.{key}", "invalid value: expected base64 of UTF-8 text")
    for key, value in (get_field(doc, src, "stringData", dict, default={}) or {}).items():
        data[str(key)] = str(value)
    return Secret(namespace=str(meta.get("namespace") or "default"), name=src.name, data=data, source=src)


def secret_value(secrets, ref):
    """The password a ``secretKeyRef`` (``{"name": ..., "key": ...}``) names, or None when the
    secret or the key is missing (confd then renders no password)."""
    if not isinstance(ref, dict):
        return None
    name, key = ref.get("name"), ref.get("key")
    for namespace in SECRET_NAMESPACES:
        for s in secrets:
            if s.namespace == namespace and s.name == name:
                return s.data.get(key)
    return None


def _truncate_and_hash(name, max_len):
    # confd's truncateAndHashName: long names keep a prefix and 16 hex digits of their sha256
    if len(name) <= max_len:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest().upper()
    return f"{name[:max_len - 17]}_{digest[:16]}"


def filter_function_name(filter_name, direction, family):
    """The BIRD function confd names for one direction of a BGPFilter, quoted:
    ``'bgp_<name>_importFilterV4'`` (names too long for BIRD's 64 characters are hashed)."""
    if direction not in ("import", "export"):
        raise InvalidValueError(f"invalid direction {direction!r}: expected 'import' or 'export'")
    fixed = f"bgp__{direction}FilterV{family}"
    return f"'bgp_{_truncate_and_hash(filter_name, 64 - len(fixed))}_{direction}FilterV{family}'"


def _statement(rule, where):
    if "unrendered" in rule:
        # v3.30+ rule fields (peerType, communities, asPathPrefix, priority, operations,
        # prefixLength...): better no configuration than one that filters differently
        raise InvalidValueError(f"unsupported BGPFilter rule at {where}: {rule['unrendered']} are not "
                                "rendered yet (the v3.28 rule fields are: " + ", ".join(_RULE_FIELDS) + ")")
    action = f"{rule['action'].lower()};"
    conditions = []
    if rule.get("cidr"):
        conditions.append(f"(net {_OPERATORS[rule['matchOperator']]} {rule['cidr']})")
    if rule.get("source"):
        conditions.append(_SOURCES[rule["source"]])
    if rule.get("interface"):
        conditions.append(f'((defined(ifname))&&(ifname ~ "{rule["interface"]}"))')
    if conditions:
        return f"if ({'&&'.join(conditions)}) then {{ {action} }}"
    return action


def filter_functions(filters, family):
    """The lines of bird.cfg's ``BGP Filters`` section for IP family ``family``: per BGPFilter
    (in name order) with rules of the family, a comment and its import then export function."""
    lines = []
    for f in sorted(filters, key=lambda f: f.name):
        directions = [d for d in ("import", "export") if f.rules_of(d, family)]
        if directions:
            lines.append(f"# v{family} BGPFilter {f.name}")
        for d in directions:
            lines.append(f"function {filter_function_name(f.name, d, family)}() {{")
            lines += [f"  {_statement(r, f'BGPFilter {f.name!r} spec.{d}V{family}[{i}]')}"
                      for i, r in enumerate(f.rules_of(d, family))]
            lines.append("}")
    return tuple(lines) or (f"# No v{family} BGPFilters configured",)
