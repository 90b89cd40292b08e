"""``calicoctl ipam show`` for a cluster after IPAM: pool and block utilisation,
borrowed addresses and the IPAM configuration, as calicoctl v3.20-v3.28 prints them
(projectcalico/calico ``calicoctl/calicoctl/commands/ipam/show.go``), and the same
figures as data for ``fastroute ipam --json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.ipam import utilization
from .table import render_table

if TYPE_CHECKING:
    from ..model.cluster import Cluster

__all__ = ["format_show", "format_borrowed", "format_configuration", "show_dict"]


def _g5(x):
    return "%.5g" % float(x)


def _pct(n, cap):
    return f"{_g5(n)} ({'%.f' % (100 * float(n) / float(cap))}%)"


def format_show(cluster: Cluster, show_blocks: bool = False) -> str:
    """The text ``calicoctl ipam show [--show-blocks]`` prints (v3.20-v3.28)."""
    rows = []
    for cidr, cap, used, blocks in utilization(cluster):
        if cidr is not None:
            rows.append(["IP Pool", str(cidr), _g5(cap), _pct(used, cap), _pct(cap - used, cap)])
        if show_blocks:
            for bcidr, bcap, bused in blocks:
                rows.append(["Block", str(bcidr), _g5(bcap), _pct(bused, bcap), _pct(bcap - bused, bcap)])
    return render_table(["GROUPING", "CIDR", "IPS TOTAL", "IPS IN USE", "IPS FREE"], rows)


def format_borrowed(cluster: Cluster) -> str:
    """The table ``calicoctl ipam show --show-borrowed`` prints: addresses used by a node
    other than their block's owner (including blocks without affinity)."""
    rows = []
    for b in cluster.blocks:
        for ordinal, o in enumerate(b.owner):
            if o == -1:
                continue
            _, attrs = cluster.owner_attributes(o)
            node = attrs.get("node")
            if node is None or node == (b.affinity or ""):
                continue
            if "pod" in attrs:
                typ, to = "pod", f"{attrs.get('namespace', '')}/{attrs['pod']}"
            else:
                typ, to = attrs.get("type", ""), ""
            rows.append([str(b.address(ordinal)), node, str(b.cidr), b.affinity or "", typ, to])
    return render_table(["IP", "BORROWING-NODE", "BLOCK", "BLOCK OWNER", "TYPE", "ALLOCATED-TO"], rows)


def format_configuration(cluster: Cluster) -> str:
    """The table ``calicoctl ipam show --show-configuration`` prints (values as Go's ``%#v``)."""
    cfg = cluster.ipam_config
    rows = [
        ["StrictAffinity", "true" if cfg.strict_affinity else "false"],
        ["AutoAllocateBlocks", "true" if cfg.auto_allocate_blocks else "false"],
        ["MaxBlocksPerHost", str(cfg.max_blocks_per_host)],
    ]
    return render_table(["PROPERTY", "VALUE"], rows)


def show_dict(cluster: Cluster) -> dict[str, Any]:
    """Pool and block utilisation and borrowed addresses, JSON-serialisable."""
    affinity = {str(b.cidr): b.affinity for b in cluster.blocks}
    pools = []
    for cidr, cap, used, blocks in utilization(cluster):
        pools.append({
            "cidr": str(cidr) if cidr is not None else None, "size": cap, "in_use": used,
            "blocks": [{"cidr": str(b), "affinity": affinity.get(str(b)), "size": n, "in_use": u}
                       for b, n, u in blocks],
        })
    borrowed = []
    for addr, node_idx, bi in cluster.borrowed(4) + cluster.borrowed(6):
        b = cluster.blocks[bi]
        borrowed.append({"ip": str(b.address(addr - b.net)),
                         "node": cluster.node_names[node_idx] if node_idx >= 0 else None,
                         "block": str(b.cidr), "block_owner": b.affinity})
    return {"pools": pools, "borrowed": borrowed}
