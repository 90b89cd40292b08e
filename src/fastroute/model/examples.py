"""Bundled example clusters.

:func:`seed` is the cluster of the article "体验 Calico BGP 网络模型" (captures: data/seed-master-*.txt): a three-node
kubeadm cluster, Calico v3.20, pool ``10.244.0.0/16`` with /26 blocks and no
encapsulation.  It is the default CLUSTER of every fastroute command.  Its blocks
and pod addresses are not written in the data: fastroute's IPAM computes them.

>>> c = seed()
>>> [(p.name, str(p.ipv4), p.interface_name) for p in c.pods if p.node == "master"]
... # doctest: +NORMALIZE_WHITESPACE
[('coredns-74ff55c5b-7vkbm', '10.244.219.64', 'cali83494b49003'),
 ('coredns-74ff55c5b-v7bjv', '10.244.219.65', 'calia43cac5d3d1'),
 ('echo-deployment-598f49cc44-td2lf', '10.244.219.66', 'calic88c1a5fc6d')]
"""

from __future__ import annotations

from importlib import resources

from .cluster import Cluster

__all__ = ["seed", "seed_path", "seed_plan"]


def seed_path() -> str:
    """Path of the seed cluster's YAML (package data)."""
    return str(resources.files("fastroute").joinpath("data/seed/cluster.yaml"))


def seed_plan() -> Cluster:
    """The seed cluster as written: nodes, pool and pods, no addresses yet."""
    return Cluster.load(seed_path())


def seed() -> Cluster:
    """The seed cluster after IPAM (every pod addressed, blocks claimed)."""
    return seed_plan().allocate()


def resolve(path: str | None = None, allocate: bool = True) -> Cluster:
    """The CLUSTER argument of fastroute's commands: a file or folder, or the seed when None.

    Parameters
    ----------
    path : str or None
    allocate : bool, default True
        Run IPAM so that every pod and tunnel has its addresses.
    """
    c = Cluster.load(path) if path else seed_plan()
    return c.allocate() if allocate else c


__all__.append("resolve")
