#!/usr/bin/env bash
# Install fastroute into ./.venv (created if missing).
#
#   bash ci/install.sh demo    fastroute alone: what `fastroute demo` and the CLI need
#   bash ci/install.sh         everything: fastroute with its test and benchmark extras, and
#                              (as root, when missing) the Debian packages BIRD 1.6 and iproute2
#                              for the differential tests against real BIRD
set -euo pipefail
cd "$(dirname "$0")/.."

WHAT=${1:-all}
case "$WHAT" in
    demo) EXTRAS="" ;;
    all) EXTRAS="[test,bench]" ;;
    *) echo "usage: bash ci/install.sh [demo|all]" >&2; exit 2 ;;
esac

if [ "$WHAT" = all ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    if ! command -v bird >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bird iproute2 >/dev/null
        # The packaged service is not wanted: the tests start their own daemons.
        systemctl disable --now bird bird6 >/dev/null 2>&1 || true
        # Without systemd as init, the package's SysV scripts may have started them.  Shut
        # those down through their own control sockets: the init scripts' `stop` matches
        # every process named bird, which would also hit daemons of running emulations.
        if [ -S /run/bird/bird.ctl ]; then birdc -s /run/bird/bird.ctl down >/dev/null 2>&1 || true; fi
        if [ -S /run/bird/bird6.ctl ]; then birdc6 -s /run/bird/bird6.ctl down >/dev/null 2>&1 || true; fi
    fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".$EXTRAS"
