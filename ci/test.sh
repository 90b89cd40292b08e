#!/usr/bin/env bash
# Install everything (ci/install.sh), then run the default test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install.sh

# The LPM kernels once per run under a debug build (FASTROUTE_DEBUG=1, see setup.py:
# bounds, wraparound and initialisation checks on, -O0), built in a copy of the
# sources so that the installed release build and its generated C stay as they are.
debug_dir="$(mktemp -d)"
trap 'rm -rf "$debug_dir"' EXIT
cp -r setup.py pyproject.toml README.md src "$debug_dir/"
find "$debug_dir/src" \( -name '*.so' -o -name '*.c' \) -delete
(cd "$debug_dir" && FASTROUTE_DEBUG=1 "$OLDPWD/.venv/bin/python" setup.py -q build_ext --inplace -j 2 \
    >"$debug_dir/build.log" 2>&1) || { cat "$debug_dir/build.log"; exit 1; }
PYTHONPATH="$debug_dir/src" .venv/bin/python -c \
    "import fastroute, sys; sys.exit(not fastroute.__file__.startswith('$debug_dir'))"
PYTHONPATH="$debug_dir/src" .venv/bin/python -m pytest tests/lpm -n 2 -q -p no:cacheprovider
rm -rf "$debug_dir"
trap - EXIT

# four workers: the BIRD emulations spend their time waiting for sessions, so they
# overlap well with each other and with the CPU-bound tests on two cores
exec .venv/bin/python -m pytest tests -n 4 "$@"
