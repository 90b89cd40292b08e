"""Pool and block utilisation of a cluster after IPAM: the figures ``calicoctl ipam show``
prints (projectcalico/calico ``calicoctl/calicoctl/commands/ipam/show.go``)."""

from __future__ import annotations

import ipaddress
from typing import Union

__all__ = ["utilization"]

_Net = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def utilization(cluster: "Cluster") -> list[tuple[_Net | None, int, int, list[tuple[_Net, int, int]]]]:
    """Rows of ``calicoctl ipam show``: per pool (List order) its blocks.

    Returns
    -------
    list of (pool cidr or None, capacity, in_use, [(block cidr, capacity, in_use), ...])
        ``None`` for the pseudo-pool of blocks that match no pool.
    """
    groups = [(p.cidr, p.cidr.num_addresses, []) for p in cluster.pools]
    orphans = []
    for b in cluster.blocks:
        for cidr, _, lst in groups:
            if cidr.version == b.version and cidr.overlaps(b.cidr):
                lst.append(b)
                break
        else:
            orphans.append(b)
    out = []
    for cidr, cap, lst in groups:
        used = sum(b.n_used for b in lst)
        out.append((cidr, cap, used, [(b.cidr, b.size, b.n_used) for b in lst]))
    if orphans:
        out.append((None, 0, sum(b.n_used for b in orphans), [(b.cidr, b.size, b.n_used) for b in orphans]))
    return out
