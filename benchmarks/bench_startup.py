"""How long `stance --help` takes to start, and which heavy modules it imports (none, we hope).

    python benchmarks/bench_startup.py [--runs 10]
"""

import argparse
import statistics
import subprocess
import sys
import time

HEAVY = ("sklearn", "datasets", "matplotlib", "pyarrow", "model2vec", "scipy", "joblib", "skops", "numpy")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "stance", "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    base = []
    for _ in range(args.runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True, check=True)
        base.append(time.perf_counter() - t)
    probe = ("import sys; sys.argv=['stance','--help']\nfrom stance.cli.main import main\ntry:\n main()\n"
             "except SystemExit:\n pass\nprint(sorted(m for m in sys.modules if m.split('.')[0] in %r))" % (HEAVY,))
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip().splitlines()[-1]
    print(f"stance --help: median {statistics.median(times) * 1000:.0f} ms over {args.runs} runs "
          f"(bare python: {statistics.median(base) * 1000:.0f} ms); heavy modules imported: {loaded}")


if __name__ == "__main__":
    main()
