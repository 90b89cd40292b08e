#!/usr/bin/env bash
# Install everything (ci/install.sh), then run the default test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install.sh
# four workers: the BIRD emulations spend their time waiting for sessions, so they
# overlap well with each other and with the CPU-bound tests on two cores
exec .venv/bin/python -m pytest tests -n 4 "$@"
