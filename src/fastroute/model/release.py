"""Deleting pods: the CNI plugin's DEL, releasing addresses into Calico's IPAM state
(projectcalico/calico ``libcalico-go/lib/ipam/ipam.go`` ``ReleaseIPs``)."""

from __future__ import annotations

from collections.abc import Iterable

from .blocks import Pods
from ..errors import UnknownPodError

__all__ = ["release_pods"]


def release_pods(st: "IPAMState", pods: Iterable[tuple[str, str]]) -> "Cluster":  # noqa: F821 -- model.ipam imports this
    """Delete pods: release their addresses as the CNI plugin's DEL does, and drop them.

    Released ordinals go to the tail of their block's free list; an emptied block
    without affinity is deleted, an emptied affine block stays with its node (see
    :meth:`IPAMState.gc_empty_blocks` for kube-controllers' later clean-up).

    Parameters
    ----------
    st : IPAMState
        The IPAM state of the cluster (:class:`fastroute.model.ipam.IPAMState`), changed in place.
    pods : iterable of (namespace, name)

    Returns
    -------
    Cluster

    Raises
    ------
    UnknownPodError
        A pod that the cluster does not have (a KeyError).
    """
    cluster = st.cluster
    where = {(ns, name): i for i, (ns, name) in enumerate(zip(cluster.pods.namespace, cluster.pods.name))}
    gone = set()
    for ns, name in pods:
        if (ns, name) not in where:
            raise UnknownPodError(f"no pod {ns}/{name} in the cluster")
        gone.add(where[(ns, name)])
    gone = sorted(gone)
    for i in gone:
        if st.pods.ipv4[i] >= 0:
            st.release(4, int(st.pods.ipv4[i]))
        if st.pods.ipv6[i] is not None:
            st.release(6, st.pods.ipv6[i])
    return _drop_pods(st, gone)


def _drop_pods(st, gone):
    gone_set = set(gone)
    keep = [i for i in range(len(st.pods)) if i not in gone_set]
    remap = {old: new for new, old in enumerate(keep)}
    p = st.pods
    pods = Pods(
        [p.namespace[i] for i in keep], [p.name[i] for i in keep], p.node_idx[keep], st.node_names,
        p.ipv4[keep], [p.ipv6[i] for i in keep], [p.iface[i] for i in keep], p.prefix,
    )
    for b in st.blocks.values():
        b.owner = [remap.get(o, o) if o >= 0 else o for o in b.owner]
        b.attr_owners = [remap.get(o, o) if o >= 0 else o for o in b.attr_owners]
    st.pods = pods
    return st.to_cluster()
