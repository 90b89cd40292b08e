"""The long differential fuzz of the LPM table: 10^6 random inserts, deletes and
lookups per IP version against pytricia and a brute-force reference (the short
seeded run is tests/lpm/test_differential.py, which shares the driver).

Run: .venv/bin/python -m pytest bench/test_lpm_fuzz.py -s   (about 8 minutes)
FASTROUTE_FUZZ_OPS and FASTROUTE_FUZZ_SEED change the length and the seed.
"""

import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "tests" / "lpm"))
import lpm_fuzz  # noqa: E402

OPS = int(os.environ.get("FASTROUTE_FUZZ_OPS", 1_000_000))
SEED = int(os.environ.get("FASTROUTE_FUZZ_SEED", 2024))


@pytest.mark.slow
@pytest.mark.parametrize("path_min", [None, 0])
@pytest.mark.parametrize("version", [4, 6])
def test_long_differential_fuzz(version, path_min):
    # path_min=0: every update rebuilds only its path below the slot's root
    t0 = time.perf_counter()
    ops = lpm_fuzz.run(version, OPS, SEED + version, path_min=path_min)
    print(f"\nIPv{version}, path_min {path_min}: {OPS} operations, seed {SEED + version}, "
          f"{time.perf_counter() - t0:.0f} s: {ops}")
