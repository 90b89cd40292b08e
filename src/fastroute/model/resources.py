"""Calico and Kubernetes resources: YAML in, typed records, YAML out.

fastroute reads what ``calicoctl get ... -o yaml`` and ``kubectl get ... -o yaml``
print: projectcalico.org/v3 ``IPPool``, ``Node``, ``BGPConfiguration``,
``BGPPeer``, ``WorkloadEndpoint`` and ``IPAMConfiguration``;
crd.projectcalico.org/v1 ``IPAMBlock``, ``BlockAffinity`` (and the CRD forms of
the v3 kinds); Kubernetes v1 ``Pod`` and ``Node`` (with Calico's node
annotations); operator.tigera.io/v1 ``Installation`` (its ``calicoNetwork.ipPools``).
A file may hold one document, several (``---``), or ``List``/``*List`` kinds;
a folder is read file by file in name order.

Every record remembers where it came from (:class:`Source`) so that errors
name the file, the document, the field and the value::

    cluster.yaml: document 2 (IPPool 'p2'): spec.blockSize: ...

IPPools are validated with Calico's own rules, in Calico's order and with its
messages (libcalico-go ``clientv3/ippool.go validateAndSetDefaults``), wrapped
the way calicoctl prints them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

import yaml

from .kinds import (
    ENCAPSULATIONS, AffinityRecord, BGPConfiguration, BGPPeer, BlockRecord, IPAMConfig, IPPool, IPReservation,
    Node, PodRecord, Resources, Source, encapsulation_modes, not_modelled_text,
)
from .reader import load, loads, parse_documents
from .selector import Selector
from .validation import validate_pools

__all__ = [
    "Source",
    "Selector",
    "IPPool",
    "Node",
    "BGPConfiguration",
    "BGPPeer",
    "IPAMConfig",
    "BlockRecord",
    "AffinityRecord",
    "PodRecord",
    "IPReservation",
    "Resources",
    "not_modelled_text",
    "ENCAPSULATIONS",
    "encapsulation_modes",
    "load",
    "loads",
    "parse_documents",
    "dump_json",
    "dump_documents",
    "validate_pools",
]


# --------------------------------------------------------------------------------------
# Writing


def dump_json(docs: Iterable[dict[str, Any]], stream: IO[str] | None = None) -> str | None:
    """Write documents as one JSON ``List`` (what ``kubectl get -o json`` prints);
    returns the text if ``stream`` is None."""
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": list(docs)}, indent=1) + "\n"
    if stream is None:
        return text
    stream.write(text)
    return None


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    pass


def _str_presenter(dumper, data):
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


def dump_documents(docs: Iterable[dict[str, Any]], stream: IO[str] | None = None) -> str | None:
    """Write mappings as a multi-document YAML stream (``---`` between documents).

    Returns the text when ``stream`` is None.
    """
    return yaml.dump_all(docs, stream, Dumper=_Dumper, default_flow_style=False, sort_keys=False, explicit_start=True)
