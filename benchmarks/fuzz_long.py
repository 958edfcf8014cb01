"""The long fuzz run, outside CI: the property tests of tests/test_fuzz.py (every reader and the
segmenter on random bytes and structures) with a budget SCALE times larger (default 50x:
3,000 random files per format test, 10,000 random texts for the segmenter).

    python benchmarks/fuzz_long.py [SCALE]
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    scale = sys.argv[1] if len(sys.argv) > 1 else "50"
    env = dict(os.environ, STANCE_FUZZ_SCALE=scale, PYTHONPATH=str(ROOT))
    start = time.monotonic()
    rc = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--hypothesis-show-statistics", str(ROOT / "tests" / "test_fuzz.py")], env=env, cwd=ROOT)
    print(f"fuzz run at scale {scale}: exit {rc} in {time.monotonic() - start:.0f} s")
    sys.exit(rc)
