"""`stance profile` with one worker on the shared real corpus vs the bare static-embedding encode
rate of the same passages (target: >= 0.5x).

The bare rate is `bundle.features` alone (the model's feature encode: static embeddings, and the
lexicon scores when the model uses them; the static-embedding block alone is printed too) on the passages `stance profile` profiles (boilerplate dropped), 128
articles' passages per call, timed alone. The profile rate is the whole `stance profile --workers 1`
run in a child process: start-up, model load, the boilerplate counting pass, reading, segmenting,
features, classifier, profiles and writing. Both are CPU seconds (this process's, and the child's
from `getrusage`), best of `--runs`, so other load on the machine does not count; wall seconds are
printed beside them. Skips with a reason when the shared corpus is absent.

    python benchmarks/bench_real_profile.py [--corpus PATH] [--runs 3] [--keep profiles.jsonl]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_real_corpus import SKIP, find_corpus  # noqa: E402


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", help="copy the profiles written here (to compare runs)")
    args = ap.parse_args()
    corpus = find_corpus(args.corpus)
    if corpus is None:
        print(SKIP)
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
    best, best_wall = float("inf"), float("inf")
    for _ in range(args.runs):
        start, wall = time.process_time(), time.perf_counter()
        for c in chunks:
            bundle.features(c)
        best = min(best, time.process_time() - start)
        best_wall = min(best_wall, time.perf_counter() - wall)
    bare = n_passages / best
    print(f"{len(articles):,} articles, {n_passages:,} passages after boilerplate")
    print(f"bare encode, the model's features ({bundle.model_id}): {best:.2f} CPU s ({best_wall:.2f} s wall), "
          f"{bare:,.0f} passages/s")
    from stance.model.features import find_static

    static = find_static(bundle.pipeline.named_steps["features"])
    static_best = float("inf")
    if static is not None:  # the static-embedding block alone (without the lexicon scores)
        for _ in range(args.runs):
            start = time.process_time()
            for c in chunks:
                static.transform(c)
            static_best = min(static_best, time.process_time() - start)
        print(f"bare static-embedding encode alone: {static_best:.2f} CPU s, {n_passages / static_best:,.0f} passages/s")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "profiles.jsonl"
        cpu, wall = [], []
        for _ in range(args.runs):
            before, start = child_cpu(), time.perf_counter()
            code = subprocess.run([sys.executable, "-m", "stance", "profile", str(corpus), "-o", str(out),
                                   "--workers", "1", "--quiet"], cwd=ROOT,
                                  env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}).returncode
            wall.append(time.perf_counter() - start)
            cpu.append(child_cpu() - before)
            if code not in (0, 1):  # 1: finished, some articles not profiled (see the README's exit status)
                raise SystemExit(f"stance profile exited with {code}")
        n_profiles = sum(1 for _ in open(out, encoding="utf-8"))
        if args.keep:
            shutil.copyfile(out, args.keep)
    rate = n_passages / min(cpu)
    print(f"stance profile --workers 1: {min(cpu):.2f} CPU s (runs: {', '.join(f'{c:.2f}' for c in cpu)}; "
          f"{min(wall):.2f} s wall) for {n_profiles:,} profiles, {rate:,.0f} passages/s "
          f"= {rate / bare:.2f}x the bare encode rate"
          + (f" ({rate * static_best / n_passages:.2f}x the static-embedding encode alone)" if static else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
