"""Names Calico derives from other names: host interfaces, CRD names, handles.

* Host-side veth of a pod: ``cali`` + the first 11 hex digits of
  ``sha1("<namespace>.<pod>")`` (libcalico-go ``VethNameForWorkload``); the
  prefix is the first entry of Felix's ``FELIX_INTERFACEPREFIX`` when set.
* KDD object names of IPAM blocks and block affinities (``names.CIDRToName``
  and the block-affinity client's ``parseKey``).
* WorkloadEndpoint names (``<node>-k8s-<pod>-<endpoint>`` with every ``-``
  inside a part doubled).
"""

from __future__ import annotations

import hashlib
import ipaddress

__all__ = [
    "interface_name",
    "cidr_name",
    "affinity_name",
    "wep_name",
    "pod_handle",
    "container_id",
    "CNI_NETWORK_NAME",
]

#: The CNI network name in Calico's stock conflist; the first half of a pod's IPAM handle.
CNI_NETWORK_NAME = "k8s-pod-network"


def interface_name(namespace: str, pod: str, prefix: str = "cali") -> str:
    """Host-side interface name of a pod's veth.

    Parameters
    ----------
    namespace, pod : str
        The pod's namespace and name.
    prefix : str, default "cali"
        Felix's interface prefix (first entry of ``FELIX_INTERFACEPREFIX``).

    Examples
    --------
    >>> interface_name("default", "echo-deployment-598f49cc44-td2lf")
    'calic88c1a5fc6d'
    """
    digest = hashlib.sha1(f"{namespace}.{pod}".encode()).hexdigest()
    return f"{prefix}{digest[:11]}"


def cidr_name(cidr: str | ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    """KDD object name of an IPAM block: ``.``, ``:`` and ``/`` become ``-``.

    >>> cidr_name("10.244.219.64/26")
    '10-244-219-64-26'
    """
    return str(cidr).replace(".", "-").replace(":", "-").replace("/", "-")


def affinity_name(node: str, cidr: str | ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    """KDD name of a BlockAffinity: ``<node>-<cidr name>``, shortened past 252 characters.

    Long names keep a prefix of the node name and get an 11-hex-digit sha256
    suffix of ``"<node>+<cidr name>"``, as the block-affinity client does.

    >>> affinity_name("master", "10.244.219.64/26")
    'master-10-244-219-64-26'
    """
    cname = cidr_name(cidr)
    name = f"{node}-{cname}"
    if len(name) >= 253:
        name = f"{node[:252 - len(cname) - 13]}-{cname}"
        digest = hashlib.sha256(f"{node}+{cname}".encode()).hexdigest()
        name = f"{name}-{digest[:11]}"
    return name


def _escape(part):
    return part.replace("-", "--")


def wep_name(node: str, pod: str, endpoint: str = "eth0", orchestrator: str = "k8s") -> str:
    """Name of a pod's WorkloadEndpoint.

    >>> wep_name("node1", "echo-6d4f")
    'node1-k8s-echo--6d4f-eth0'
    """
    return "-".join(_escape(p) for p in (node, orchestrator, pod, endpoint))


def container_id(namespace: str, pod: str) -> str:
    """A stable stand-in for a pod's sandbox container ID (64 hex digits).

    A plan has no running containers; fastroute derives the ID from the pod's
    identity so that handles and WorkloadEndpoints are reproducible.
    """
    return hashlib.sha256(f"{namespace}/{pod}".encode()).hexdigest()


def pod_handle(namespace: str, pod: str, cid: str | None = None) -> str:
    """IPAM handle of a pod's addresses: ``k8s-pod-network.<containerID>``."""
    return f"{CNI_NETWORK_NAME}.{cid or container_id(namespace, pod)}"
