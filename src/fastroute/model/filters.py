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
import ipaddress
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .calico import BIRD_INT_MAX
from .kinds import Source
from .validation import asn_field, community_value_error, fail, get_field, network_field
from ..errors import InvalidValueError, shown

__all__ = [
    "BGPFilter", "Secret", "SECRET_NAMESPACES",
    "parse_bgp_filter", "parse_secret", "secret_value", "filter_functions", "filter_function_name", "filter_call",
]

#: The namespaces confd reads BGP password secrets from (calico-node's: manifest and operator installs).
SECRET_NAMESPACES = ("kube-system", "calico-system")

_RULE_LISTS = ("exportV4", "importV4", "exportV6", "importV6")
_OPERATORS = {"Equal": "=", "NotEqual": "!=", "In": "~", "NotIn": "!~"}
_SOURCES = {"RemotePeers": "((defined(source))&&(source ~ [ RTS_BGP ]))"}
_ACTIONS = ("Accept", "Reject")
_INTERFACE = re.compile(r"[a-zA-Z0-9_.*-]{1,15}")
_PEER_TYPES = {"iBGP": "is_same_as", "eBGP": "!is_same_as"}
#: the rule fields of the v3.28 BGPFilter API
_RULE_FIELDS = ("action", "cidr", "matchOperator", "source", "interface")
#: the rule fields v3.32's API adds (``api/pkg/apis/projectcalico/v3/bgpfilter.go``)
_V332_FIELDS = ("prefixLength", "peerType", "communities", "asPathPrefix", "priority", "operations")
#: the range of a BGPFilter ``priority`` / ``setPriority`` (``gte=1,lte=2147483646``)
_PRIORITY_MAX = BIRD_INT_MAX - 1


@dataclass(frozen=True)
class BGPFilter:
    """projectcalico.org/v3 BGPFilter: ``rules[list]`` are dicts with ``action``, ``cidr``,
    ``matchOperator``, ``source``, ``interface`` for the lists exportV4, importV4, exportV6, importV6."""

    name: str
    rules: dict = field(default_factory=dict)
    source: Source = field(default=Source(), compare=False, repr=False)

    def rules_of(self, direction, family):
        return self.rules.get(f"{direction}V{family}", ())

    def has_peer_type(self, direction, family):
        """Whether a rule of ``direction`` and ``family`` has ``peerType`` (its BIRD function then
        takes ``bool is_same_as``)."""
        return any("peerType" in r for r in self.rules_of(direction, family))


@dataclass(frozen=True)
class Secret:
    """Kubernetes v1 Secret: ``data`` holds the decoded values (``data`` base64, ``stringData`` as is)."""

    namespace: str
    name: str
    data: dict = field(default_factory=dict)
    source: Source = field(default=Source(), compare=False, repr=False)


def parse_bgp_filter(doc: Mapping[str, Any], src: Source) -> BGPFilter:
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
            iface = rule.get("interface")
            if iface and not (isinstance(iface, str) and (iface == "*" or _INTERFACE.fullmatch(iface))):
                # libcalico-go validateBGPFilterInterface
                fail(src, f"{where}.interface", f"invalid interface {shown(iface)}: expected '*' or 1..15 of "
                                                "a-z A-Z 0-9 _ . * -")
            if rule.get("source") and rule["source"] not in _SOURCES:
                fail(src, f"{where}.source", f"invalid source {rule['source']!r}: expected 'RemotePeers'")
            kept = {k: str(rule[k]) for k in _RULE_FIELDS if rule.get(k)}
            kept.update(_v332_rule_fields(rule, src, where, int(key[-1])))
            unknown = sorted(k for k in rule if k not in _RULE_FIELDS + _V332_FIELDS
                             and rule[k] not in (None, "", [], {}))
            if unknown:
                kept["unrendered"] = {k: rule[k] for k in unknown}
            out.append(kept)
        rules[key] = tuple(out)
    return BGPFilter(name=src.name, rules=rules, source=src)


def _priority(value, src, where):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _PRIORITY_MAX:
        fail(src, where, f"invalid priority {value!r}: expected an integer 1..{_PRIORITY_MAX}")
    return value


def _community(value, src, where):
    why = community_value_error(value)
    if why:
        fail(src, where, f"invalid community {value!r}: {why}")
    return value


def _as_path(value, src, where):
    if not isinstance(value, list) or not value:
        fail(src, where, f"invalid AS path {value!r}: expected a non-empty list of AS numbers")
    return tuple(asn_field(a, src, f"{where}[{i}]") for i, a in enumerate(value))


def _prefix_length(value, src, where, family):
    top = 32 if family == 4 else 128
    if not isinstance(value, dict) or set(value) - {"min", "max"}:
        fail(src, where, f"invalid prefixLength {value!r}: expected a mapping with min and/or max")
    bounds = []
    for k in ("min", "max"):
        v = value.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= top):
            fail(src, f"{where}.{k}", f"invalid prefix length {v!r}: expected an integer 0..{top}")
        bounds.append(v)
    return tuple(bounds)


def _operation(op, src, where):
    """One of a rule's ``operations``: exactly one of addCommunity, prependASPath, setPriority
    (libcalico-go ``validateBGPFilterOperation``)."""
    if not isinstance(op, dict):
        fail(src, where, f"invalid operation {op!r}: expected a mapping")
    names = sorted(k for k in op if op[k] is not None)
    if len(names) != 1 or names[0] not in ("addCommunity", "prependASPath", "setPriority"):
        fail(src, where, f"invalid operation {op!r}: exactly one of addCommunity, prependASPath, setPriority "
                         "must be set")
    name, body = names[0], op[names[0]]
    key = {"addCommunity": "value", "prependASPath": "prefix", "setPriority": "value"}[name]
    if not isinstance(body, dict) or body.get(key) is None:
        fail(src, f"{where}.{name}.{key}", "required field is missing")
    at = f"{where}.{name}.{key}"
    read = {"addCommunity": _community, "prependASPath": _as_path, "setPriority": _priority}[name]
    return name, read(body[key], src, at)


def _v332_rule_fields(rule, src, where, family):
    """The rule fields of v3.32's BGPFilter API, checked as libcalico-go and the CRD's
    validation rules check them, as Python values."""
    out = {}
    if rule.get("matchOperator") and not rule.get("cidr"):
        fail(src, f"{where}.matchOperator", "cidr and matchOperator must both be set or both be empty")
    if rule.get("prefixLength") is not None:
        if not rule.get("cidr"):
            fail(src, f"{where}.prefixLength", "cidr is required when prefixLength is set")
        out["prefixLength"] = _prefix_length(rule["prefixLength"], src, f"{where}.prefixLength", family)
    if rule.get("peerType"):
        if rule["peerType"] not in _PEER_TYPES:
            fail(src, f"{where}.peerType", f"invalid peerType {rule['peerType']!r}: expected 'eBGP' or 'iBGP'")
        out["peerType"] = rule["peerType"]
    if rule.get("communities") is not None:
        values = rule["communities"].get("values") if isinstance(rule["communities"], dict) else None
        if not isinstance(values, list) or len(values) != 1:
            fail(src, f"{where}.communities.values", f"invalid communities {rule['communities']!r}: expected "
                 "{values: [one community]}")
        out["communities"] = _community(values[0], src, f"{where}.communities.values[0]")
    if rule.get("asPathPrefix"):
        out["asPathPrefix"] = _as_path(rule["asPathPrefix"], src, f"{where}.asPathPrefix")
    if rule.get("priority") is not None:
        out["priority"] = _priority(rule["priority"], src, f"{where}.priority")
    if rule.get("operations"):
        ops = rule["operations"]
        if not isinstance(ops, list) or len(ops) > 10:
            fail(src, f"{where}.operations", f"invalid operations {ops!r}: expected a list of 1..10 operations")
        if rule.get("action") != "Accept":
            fail(src, f"{where}.operations", "operations may only be used with action Accept")
        out["operations"] = tuple(_operation(op, src, f"{where}.operations[{i}]") for i, op in enumerate(ops))
    return out


def parse_secret(doc: Mapping[str, Any], src: Source) -> Secret:
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


def secret_value(secrets: Collection[Secret], ref: object) -> str | None:
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


def filter_function_name(filter_name: str, direction: str, family: int) -> str:
    """The BIRD function confd names for one direction of a BGPFilter, quoted:
    ``'bgp_<name>_importFilterV4'`` (names too long for BIRD's 64 characters are hashed)."""
    if direction not in ("import", "export"):
        raise InvalidValueError(f"invalid direction {direction!r}: expected 'import' or 'export'")
    fixed = f"bgp__{direction}FilterV{family}"
    return f"'bgp_{_truncate_and_hash(filter_name, 64 - len(fixed))}_{direction}FilterV{family}'"


def _cidr_condition(rule):
    cidr = rule["cidr"]
    if "prefixLength" in rule:
        # filterMatchPrefixLength: the CIDR's own length up to the family's longest, narrowed
        net = ipaddress.ip_network(cidr, strict=False)
        low, high = rule["prefixLength"]
        low = net.prefixlen if low is None else max(net.prefixlen, low)
        high = net.max_prefixlen if high is None else min(net.max_prefixlen, high)
        cidr = f"[ {cidr}{{{low},{high}}} ]"
    return f"(net {_OPERATORS[rule['matchOperator']]} {cidr})"


def _operation_statements(operations):
    # filterOperationStatements; BIRD prepends one AS at a time, so the last goes first
    out = []
    for name, value in operations:
        if name == "addCommunity":
            parts = value.split(":")
            attr = "bgp_community" if len(parts) == 2 else "bgp_large_community"
            out.append(f"{attr}.add(({', '.join(parts)}));")
        elif name == "prependASPath":
            out += [f"bgp_path.prepend({a});" for a in reversed(value)]
        else:
            out.append(f"bgp_local_pref = {BIRD_INT_MAX - value};")
    return out


def _statement(rule, where, src, rendered):
    """One rule as confd's ``filterStatement`` writes it (projectcalico/calico v3.32.1
    ``confd/pkg/resource/template/template_funcs.go``); ``rendered``: the newer rule fields
    the release renders."""
    if "unrendered" in rule:
        fail(src, where, f"unsupported BGPFilter rule: {', '.join(rule['unrendered'])} are not BGPFilter rule fields "
                         f"(the rule fields are: {', '.join(_RULE_FIELDS + _V332_FIELDS)})")
    newer = [k for k in _V332_FIELDS if k in rule and k not in rendered]
    if newer:
        since = "v3.30+" if newer[0] == "prefixLength" else "v3.32"
        fail(src, f"{where}.{newer[0]}", f"BGPFilter rule field {newer[0]} ({shown(rule[newer[0]])}) is rendered "
                                         f"by Calico {since} only (use a newer --calico-version)")
    conditions = []
    if rule.get("cidr"):
        conditions.append(_cidr_condition(rule))
    if rule.get("source"):
        conditions.append(_SOURCES[rule["source"]])
    if rule.get("interface"):
        conditions.append(f'((defined(ifname))&&(ifname ~ "{rule["interface"]}"))')
    if "communities" in rule:
        parts = rule["communities"].split(":")
        attr = "bgp_community" if len(parts) == 2 else "bgp_large_community"
        conditions.append(f"(({', '.join(parts)}) ~ {attr})")
    if "asPathPrefix" in rule:
        conditions.append(f"(bgp_path ~ [= {' '.join(map(str, rule['asPathPrefix']))} * =])")
    if "priority" in rule:
        conditions.append(f"(defined(bgp_local_pref)&&(bgp_local_pref = {BIRD_INT_MAX - rule['priority']}))")
    body = " ".join(_operation_statements(rule.get("operations", ())) + [f"{rule['action'].lower()};"])
    text = f"if ({'&&'.join(conditions)}) then {{ {body} }}" if conditions else body
    if "peerType" in rule:
        text = f"if ({_PEER_TYPES[rule['peerType']]}) then {{ {text} }}"
    return text


def filter_functions(filters: Iterable[BGPFilter], family: int, v332_rules: bool = False,
                     prefix_length: bool = False) -> tuple[str, ...]:
    """The lines of bird.cfg's ``BGP Filters`` section for IP family ``family``: per BGPFilter
    (in name order) with rules of the family, a comment and its import then export function
    (``BGPFilterBIRDFuncs``).  A direction with ``peerType`` rules takes ``bool is_same_as``.
    ``v332_rules``: the release renders v3.32's rule fields, ``prefix_length``: only
    ``prefixLength`` of them (v3.30, v3.31); a rule with a field its release does not render
    is refused."""
    rendered = _V332_FIELDS if v332_rules else ("prefixLength",) if prefix_length else ()
    lines = []
    for f in sorted(filters, key=lambda f: f.name):
        directions = [d for d in ("import", "export") if f.rules_of(d, family)]
        if directions:
            lines.append(f"# v{family} BGPFilter {f.name}")
        for d in directions:
            args = "bool is_same_as" if f.has_peer_type(d, family) else ""
            lines.append(f"function {filter_function_name(f.name, d, family)}({args}) {{")
            lines += [f"  {_statement(r, f'spec.{d}V{family}[{i}]', f.source, rendered)}"
                      for i, r in enumerate(f.rules_of(d, family))]
            lines.append("}")
    return tuple(lines) or (f"# No v{family} BGPFilters configured",)


def filter_call(bgp_filter: BGPFilter, direction: str, family: int, same_as: bool) -> str:
    """How a peer's filter calls one direction of ``bgp_filter``: ``'bgp_<name>_importFilterV4'()``,
    with ``(true)``/``(false)`` (peer AS == local AS) when the direction has ``peerType`` rules
    (confd/pkg/backends/calico/bgp_processor.go ``buildImportFilter``/``buildExportFilter``)."""
    args = ("true" if same_as else "false") if bgp_filter.has_peer_type(direction, family) else ""
    return f"{filter_function_name(bgp_filter.name, direction, family)}({args})"
