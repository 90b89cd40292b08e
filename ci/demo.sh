#!/usr/bin/env bash
# Install fastroute, then run the main job on the bundled example cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install.sh
exec .venv/bin/fastroute demo "$@"
