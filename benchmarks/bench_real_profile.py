"""`stance profile` with one worker on the shared real corpus vs the bare static-embedding encode
rate of the same passages (target: >= 0.5x).

The bare rate is `bundle.features` alone (the static-embedding encode) on the passages
`stance profile` profiles (boilerplate dropped), 128 articles' passages per call, timed alone.
The profile rate is the whole `stance profile --workers 1` run in a child process: start-up,
model load, the boilerplate counting pass, reading, segmenting, features, classifier, profiles
and writing. Skips with a reason when the shared corpus is absent.

    python benchmarks/bench_real_profile.py [--corpus PATH]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_real_corpus import find_corpus  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus")
    args = ap.parse_args()
    corpus = find_corpus(args.corpus)
    if corpus is None:
        print("SKIPPED: the shared real corpus (../shared/real-coverage/articles.jsonl) is absent; "
              "pass --corpus PATH to a JSON Lines corpus")
        return 0
    import stance
    from stance.articles import iter_articles
    from stance.boilerplate import detect_boilerplate
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # as a profile worker runs
    articles = list(iter_articles([corpus]))
    bp = detect_boilerplate([corpus])
    chunks, chunk = [], []
    for i, a in enumerate(articles, 1):
        chunk += [p.text for p in bp.segment(a)]
        if i % 128 == 0:
            chunks.append(chunk)
            chunk = []
    chunks.append(chunk)
    n_passages = sum(len(c) for c in chunks)
    bundle = stance.load_model()
    bundle.features(["warm up: load the embedding table"])
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for c in chunks:
            bundle.features(c)
        best = min(best, time.perf_counter() - start)
    bare = n_passages / best
    print(f"{len(articles):,} articles, {n_passages:,} passages after boilerplate")
    print(f"bare static-embedding encode: {best:.2f} s, {bare:,.0f} passages/s")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "profiles.jsonl"
        runs = []
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "stance", "profile", str(corpus), "-o", str(out), "--workers", "1",
                            "--quiet"], cwd=ROOT, check=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
            runs.append(time.perf_counter() - start)
        seconds = min(runs)
        n_profiles = sum(1 for _ in open(out, encoding="utf-8"))
    rate = n_passages / seconds
    print(f"stance profile --workers 1: {seconds:.2f} s for {n_profiles:,} profiles, {rate:,.0f} passages/s "
          f"= {rate / bare:.2f}x the bare encode rate")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
