"""``fastroute demo``: the seed cluster's story, for a newcomer's first command."""

from importlib import resources

from .routetable import load_ip_route


def add_parser(sub):
    return sub.add_parser(
        "demo",
        help="walk through the bundled example cluster",
        description="The bundled example is the 3-node cluster (pool 10.244.0.0/16, /26 blocks, "
        "no encapsulation, BGP full mesh) of the article fastroute grew from.",
    )


def run(args):
    text = resources.files("fastroute").joinpath("data/seed-master-ip-route.txt").read_text()
    table = load_ip_route(text, where="seed master ip route")
    print("Node master (192.168.31.201), its routing table as `ip route` shows it:\n")
    print(text)
    print("Where the kernel sends packets from pod 10.244.219.66 on master:\n")
    for dst, what in [
        ("10.244.166.129", "a pod on node1 (the article's ping)"),
        ("10.244.219.65", "another pod on master"),
        ("10.244.219.100", "an unused address in master's own block"),
        ("8.8.8.8", "outside the cluster"),
    ]:
        r = table.match(dst)
        print(f"  {dst:<15} {what}\n  {'':<15} -> {r.raw if r else 'no route'}")
    return 0
