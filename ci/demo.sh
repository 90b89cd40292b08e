#!/usr/bin/env bash
# Install fastroute (nothing else: no test extras, no BIRD), then run the main job on the
# bundled example cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install.sh demo
exec .venv/bin/fastroute demo "$@"
