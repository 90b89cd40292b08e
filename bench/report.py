"""Print rates from a pytest-benchmark JSON file: ops/s per benchmark, grouped.

Usage: python bench/report.py .benchmarks/latest.json
"""

import json
import sys
from collections import defaultdict


def main(path):
    data = json.load(open(path))
    groups = defaultdict(list)
    for b in data["benchmarks"]:
        groups[b["group"]].append(b)
    for g in sorted(groups):
        print(f"\n## {g}")
        print(f"| benchmark | mean s | ops/s | extra |")
        print("|---|---:|---:|---|")
        for b in sorted(groups[g], key=lambda b: b["stats"]["mean"]):
            ops = b["extra_info"].get("ops")
            rate = f"{ops / b['stats']['mean']:,.0f}" if ops else ""
            extra = {k: (round(v, 1) if isinstance(v, float) else v)
                     for k, v in b["extra_info"].items() if k != "ops"}
            print(f"| {b['name']} | {b['stats']['mean']:.4f} | {rate} | {extra or ''} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".benchmarks/latest.json")
