#!/usr/bin/env bash
# Benchmarks of two checkouts side by side, alternating, in one window:
#   bash bench/compare_trees.sh OTHER_TREE [OUT_DIR]
# OTHER_TREE is another checkout of fastroute with its kernels built in place
# (`python setup.py build_ext --inplace`); each tree runs its own bench/ files with
# this checkout's .venv.  Prints min / median in ms per benchmark for both trees.
set -u
OTHER=$(cd "$1" && pwd); HERE=$(cd "$(dirname "$0")/.." && pwd); OUT=${2:-$(mktemp -d)}
PY=$HERE/.venv/bin/python
run() { # tree file -k tag
  (cd "$1" && PYTHONPATH="$1/src" timeout 1500 "$PY" -m pytest "bench/$2" -k "$3" -p no:cacheprovider -q \
     --benchmark-only --benchmark-min-rounds=3 --benchmark-json="$OUT/$4.json" > "$OUT/$4.log" 2>&1)
}
for spec in "test_routes.py|mesh and (2000 or 5000) or rr3 and 5000|routes" "test_lpm.py|fib_lookup_batch or build|lpm" \
            "test_ipam.py||ipam" "test_verify.py||verify" "test_traffic.py||traffic"; do
  IFS='|' read -r f k tag <<< "$spec"
  run "$OTHER" "$f" "$k" "other-$tag"
  run "$HERE" "$f" "$k" "this-$tag"
done
"$PY" - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
for tag in ["routes", "lpm", "ipam", "verify", "traffic"]:
    rows = {}
    for side in ("other", "this"):
        p = f"{out}/{side}-{tag}.json"
        if os.path.exists(p):
            for b in json.load(open(p))["benchmarks"]:
                rows.setdefault(b["name"], {})[side] = (b["stats"]["min"], b["stats"]["median"])
    print(f"== {tag}")
    for name, d in sorted(rows.items()):
        f = lambda s: f"{d[s][0] * 1e3:9.1f} / {d[s][1] * 1e3:9.1f}" if s in d else "        -"
        print(f"{name:60s} other {f('other')}   this {f('this')}")
PY
