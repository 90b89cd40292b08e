#!/usr/bin/env bash
# Install everything (ci/install.sh), then run the default test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install.sh
exec .venv/bin/python -m pytest tests "$@"
