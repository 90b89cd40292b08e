import sys
from pathlib import Path

# the seeded table generators live beside the benchmarks
sys.path.insert(0, str(Path(__file__).parent))
