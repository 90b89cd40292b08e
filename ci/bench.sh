#!/usr/bin/env bash
# Install, then run the benchmarks (not part of the default test run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install.sh
mkdir -p .benchmarks
exec .venv/bin/python -m pytest bench -p no:cacheprovider --benchmark-json=.benchmarks/latest.json "$@"
