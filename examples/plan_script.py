"""Capacity planning from Python: size a design, compare mesh and reflectors, find where the pool runs out.

Run: python examples/plan_script.py   (tests/test_plan.py runs it too)
"""

from fastroute.planning import plan

# 1. One design: 400 nodes x 60 pods in Calico's default pool (192.168.0.0/16), two route reflectors.
p = plan.plan(400, 60, topology="rr", reflectors=2)
print(f"{p['nodes']} nodes, {p['reflectors']} reflectors: {p['sessions_total']:,} BGP sessions "
      f"({p['sessions_per_node']} per node, {p['sessions_per_reflector']} per reflector)")
print(f"  {p['prefixes']:,} prefixes, {p['routes_per_node']:,} routes per node ({p['routes_method']})")
print(f"  BIRD memory ~{p['memory_per_node_bytes'] / 2**20:.1f} MiB per node, "
      f"~{p['memory_per_reflector_bytes'] / 2**20:.1f} MiB per reflector")
print(f"  cold start converges in {p['convergence_s']:.1f} s; after a node crash the others route to it "
      f"for {p['blackhole_node_crash_s']:.0f} s; Typha replicas: {p['typha_replicas']}")

# 2. Mesh vs reflectors over sizes (a pool big enough for all of them; convergence not simulated here).
r = plan.compare([50, 200, 800], reflectors=[2, 3], pods_per_node=60, pool="10.0.0.0/14", simulate=False)
print(f"\n{'nodes':>6} {'design':<8} {'sessions':>10} {'per node':>9} {'MiB/node':>9}")
for d in r["plans"]:
    design = "mesh" if d["topology"] == "mesh" else f"{d['reflectors']} RR"
    print(f"{d['nodes']:>6} {design:<8} {d['sessions_total']:>10,} {d['sessions_per_node']:>9,} "
          f"{d['memory_per_node_bytes'] / 2**20:>9.1f}")
print(f"crossover: {r['crossover']} nodes")
for line in r["recommendation"]:
    print(" ", line)

# 3. Where does the default /16 run out of /26 blocks at 60 pods per node (one block each)?
for n in (1000, 1024, 1050):
    q = plan.plan(n, 60, simulate=False, compute_limit=0)
    print(f"\n{n} nodes: {q['pool']['blocks_used']:,} of {q['pool']['blocks_total']:,} blocks used, "
          f"{q['pool']['borrowed_ips']:,} borrowed IPs (each a /32 route), {q['prefixes']:,} prefixes", end="")
print()
