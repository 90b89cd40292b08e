"""``fastroute demo``: the seed article's story on the bundled cluster, a newcomer's first command.

Everything printed is computed from the cluster's resources (nodes, IP pool,
pods): fastroute's IPAM gives the blocks and addresses, its topology the BGP
sessions, its routing the kernel tables, and :mod:`fastroute.dataplane.trace` the ping's
path.  The article's own captures (``calicoctl node status``, master's ``ip
route``, the ping's ``ttl=62``) come out the same.
"""

import sys

from ..calicoctl import status
from ..dataplane import routes, trace
from ._common import load_cluster

#: SINCE column of the article's ``calicoctl node status`` on master (a wall-clock
#: time, which a computation cannot know).
ARTICLE_SINCE = {"192.168.31.202": "09:32:50", "192.168.31.203": "09:32:49"}
PING_SRC = "10.244.219.66"      # echo-deployment-598f49cc44-td2lf on master
PING_DST = "10.244.166.129"     # echo-deployment-598f49cc44-7r7kv on node1


def add_parser(sub):
    p = sub.add_parser(
        "demo",
        help="the seed article's story on the bundled cluster: status, routes, the ping's path",
        description="Walk through the bundled example: the 3-node cluster (Calico v3.20, pool "
        "10.244.0.0/16, /26 blocks, no encapsulation, BGP full mesh) of the article fastroute grew "
        "from: its nodes and blocks, `calicoctl node status` on master, master's `ip route`, and "
        "the path of the article's ping from a pod on master to a pod on node1.",
    )
    p.add_argument("--plain", action="store_true", help="plain text even on a terminal")
    return p


class _Out:
    """Rich on a terminal, plain text otherwise (pipes, files, tests)."""

    def __init__(self, plain):
        self.rich = None
        if not plain and sys.stdout.isatty():
            from rich.console import Console
            self.rich = Console(highlight=False)

    def heading(self, text):
        if self.rich:
            self.rich.rule(f"[bold]{text}", align="left")
        else:
            print(f"\n== {text}\n")

    def text(self, text=""):
        if self.rich:
            self.rich.print(text, markup=False)
        else:
            print(text)

    def code(self, text):
        """Verbatim command output."""
        if self.rich:
            from rich.text import Text
            body = "\n".join("  " + line for line in text.rstrip("\n").splitlines())
            self.rich.print(Text(body, style="cyan"), soft_wrap=True)   # never re-wrap command output
        else:
            for line in text.rstrip("\n").splitlines():
                print("  " + line)

    def table(self, headers, rows):
        if self.rich:
            from rich import box
            from rich.table import Table
            t = Table(box=box.SIMPLE_HEAD)
            for h in headers:
                t.add_column(h)
            for r in rows:
                t.add_row(*[str(c) for c in r])
            self.rich.print(t)
            return
        widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
        for r in [headers] + [list(r) for r in rows]:
            print("  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


def run(args):
    out = _Out(args.plain)
    cluster = load_cluster(None)      # the bundled seed: fastroute.model.examples.seed()
    tables = routes.compute(cluster)
    pool = cluster.pools[0]

    out.text("fastroute demo: the 3-node cluster of the article \"体验 Calico BGP 网络模型\", "
             "bundled as fastroute.model.examples.seed()")
    out.text(f"{cluster.n_nodes} nodes, Calico v3.20, pool {pool.cidr} with /{pool.block_size} blocks, "
             f"no encapsulation, BGP node-to-node mesh.")
    out.text("Only the nodes, the pool and the pods are given; fastroute computes the rest.")

    out.heading("1. Nodes, blocks and pods (fastroute's IPAM, as Calico allocates)")
    rows = []
    for i, node in enumerate(cluster.nodes):
        blocks = [str(b.cidr) for b in cluster.blocks if b.affinity == node.name]
        pods = [p for p in cluster.pods if p.node == node.name]
        rows.append([node.name, str(node.ipv4.ip), ", ".join(blocks) or "-",
                     ", ".join(str(p.ipv4) for p in pods) or "-"])
    out.table(["node", "address", "block", "pod addresses"], rows)

    out.heading("2. calicoctl node status (on master)")
    out.code(status.node_status(cluster, "master", since=ARTICLE_SINCE))

    out.heading("3. master's routing table (ip route)")
    out.code(tables.text("master", include_host=True))
    out.text()
    out.text("Which route master's kernel picks:")
    for dst, what in [
        (PING_DST, "the article's ping: a pod on node1"),
        ("10.244.166.130", "the other echo pod on node1: the same route"),
        ("10.244.219.65", "another pod on master"),
        ("10.244.219.100", "a free address in master's own block"),
        ("8.8.8.8", "outside the cluster"),
    ]:
        r = tables.lookup("master", dst)
        out.text(f"  {dst:<15} {what}\n  {'':<15} -> {r.text() if r else 'no route'}")

    out.heading(f"4. The ping: {PING_SRC} (master) -> {PING_DST} (node1)")
    t = trace.trace(tables, PING_SRC, PING_DST)
    out.code(t.text())
    out.text("The article's ping shows ttl=62: it left the pod with 64 and was routed by master and node1.")

    out.heading("Next")
    out.text("  fastroute routes --node node1               node1's table")
    out.text("  fastroute trace 10.244.166.130 10.244.219.65  any two pods, names or addresses")
    out.text("  fastroute plan --nodes 1000 --pods-per-node 110   capacity planning")
    out.text("  fastroute compare --nodes 100,500,1000,5000        mesh vs route reflectors")
    return 0
