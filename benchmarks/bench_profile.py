"""How fast `stance profile` is, and whether its memory stays flat as the corpus grows.

Builds synthetic corpora (JSON Lines, in a temporary folder) by sampling our own passages (the
written passages and seeds/articles; nothing is downloaded), profiles each with 1 and 2 workers
through the real CLI in a child process, and prints a Markdown table: articles/s, MB/s, peak
memory of the whole process tree (main + workers, sampled from /proc), and profiling throughput
as a ratio of bare feature extraction (bundle.features on the same passage texts, timed alone).

Targets: peak memory at the largest size within 1.25x of the smallest; ratio >= 0.5.

    python benchmarks/bench_profile.py                      # 1,000 / 10,000 / 100,000 articles
    python benchmarks/bench_profile.py --sizes 1000,5000 --workers 1
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRITTEN = Path("/work/shared/written-passages")
SEEDS = ROOT / "seeds" / "articles"


def passage_pool() -> tuple[list[str], list[dict]]:
    """Passage texts, and (title, outlet, date) records to dress synthetic articles with."""
    sys.path.insert(0, str(ROOT))
    from stance.articles import iter_articles
    from stance.passages import segment_article

    texts, headers = [], []
    for file in sorted(WRITTEN.glob("w*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            texts.append(rec["text"])
            headers.append({"title": rec.get("title"), "outlet": rec.get("outlet"), "date": rec.get("date")})
    for article in iter_articles([SEEDS]):
        texts += [p.text for p in segment_article(article)]
    return texts, headers


def build_corpus(n: int, path: Path, texts: list[str], headers: list[dict], seed: int = 0) -> int:
    """n articles of 4-12 sampled passages each, written as JSON Lines; returns the file size."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            head = rng.choice(headers)
            body = "\n\n".join(rng.sample(texts, rng.randint(4, 12)))
            fh.write(json.dumps({"id": f"synthetic-{i:06d}", "text": body, **head}, ensure_ascii=False) + "\n")
    return path.stat().st_size


def tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def run_profile(corpus: Path, out: Path, workers: int) -> tuple[float, int]:
    """Wall seconds and peak tree RSS of one `stance profile` run in a child process."""
    cmd = [sys.executable, "-m", "stance", "profile", str(corpus), "-o", str(out), "--workers", str(workers), "--quiet"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"stance profile failed ({proc.returncode}):\n{stderr}")
    return seconds, peak[0]


def bare_rates(corpus: Path, limit: int, chunk: int = 128) -> tuple[float, float, int]:
    """Articles/s of bare feature extraction (bundle.features) and of bare model inference (features
    plus the classifier, i.e. bundle.predict_proba) on the passages of the first `limit` articles,
    segmented outside the timer. Both rates are per article, so they do not depend on corpus size."""
    import stance
    from stance.articles import iter_articles
    from stance.passages import segment_article

    bundle = stance.load_model()
    clf = bundle.pipeline.named_steps["clf"]
    bundle.predict_proba(["warm up: load the embedding table"])
    t_features = t_classifier = 0.0
    n_passages, texts, n = 0, [], 0

    def run(batch: list[str]) -> None:
        nonlocal t_features, t_classifier
        start = time.perf_counter()
        X = bundle.features(batch)
        middle = time.perf_counter()
        clf.predict_proba(X)
        t_features += middle - start
        t_classifier += time.perf_counter() - middle

    for article in iter_articles([corpus]):
        if n == limit:
            break
        texts += [p.text for p in segment_article(article)]
        n += 1
        if n % chunk == 0:
            run(texts)
            n_passages += len(texts)
            texts = []
    if texts:
        run(texts)
        n_passages += len(texts)
    return n / t_features, n / (t_features + t_classifier), n


def count_passages(corpus: Path) -> int:
    from stance.articles import iter_articles
    from stance.passages import segment_article

    return sum(len(segment_article(a)) for a in iter_articles([corpus]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="comma-separated corpus sizes (articles)")
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    ap.add_argument("--baseline-limit", type=int, default=20_000,
                    help="measure the bare feature and model rates on at most this many articles per corpus")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    worker_counts = [int(w) for w in args.workers.split(",")]
    texts, headers = passage_pool()
    print(f"passage pool: {len(texts)} passages; sizes {sizes}; workers {worker_counts}", file=sys.stderr)
    rows, peaks = [], {}
    with tempfile.TemporaryDirectory(prefix="stance-bench-") as tmp:
        for n in sizes:
            corpus = Path(tmp) / f"corpus-{n}.jsonl"
            size = build_corpus(n, corpus, texts, headers)
            n_passages = count_passages(corpus)
            feat_rate, model_rate, measured = bare_rates(corpus, args.baseline_limit)
            print(f"{n:,} articles ({size / 1e6:.1f} MB, {n_passages:,} passages): bare features "
                  f"{feat_rate:,.0f} articles/s, bare model {model_rate:,.0f} articles/s "
                  f"(on the first {measured:,})", file=sys.stderr)
            for w in worker_counts:
                out = Path(tmp) / f"profiles-{n}-{w}.jsonl"
                seconds, peak = run_profile(corpus, out, w)
                lines = sum(1 for _ in open(out, encoding="utf-8"))
                assert lines == n, f"expected {n} profiles, got {lines}"
                out.unlink()
                peaks[(n, w)] = peak
                rows.append((n, w, size, n_passages, seconds, peak, feat_rate, model_rate))
                print(f"  {w} worker(s): {seconds:.1f} s, {n / seconds:,.0f} articles/s, peak {peak / 2**20:,.0f} MiB",
                      file=sys.stderr)
            corpus.unlink()
    print("| articles | workers | MB | passages | seconds | articles/s | MB/s | peak RSS (MiB) | "
          f"vs peak at {sizes[0]:,} | bare features art/s | profile / features | bare model art/s | profile / model |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, w, size, n_passages, seconds, peak, feat_rate, model_rate in rows:
        rate = n / seconds
        print(f"| {n:,} | {w} | {size / 1e6:.1f} | {n_passages:,} | {seconds:.1f} | {rate:,.0f} | {size / 1e6 / seconds:.2f} "
              f"| {peak / 2**20:,.0f} | {peak / peaks[(sizes[0], w)]:.2f}x | {feat_rate:,.0f} | {rate / feat_rate:.2f} "
              f"| {model_rate:,.0f} | {rate / model_rate:.2f} |")
    print(f"\nseconds are wall clock for the whole `stance profile` run, start-up (imports, model load, worker spawn) "
          f"included; bare rates are single-process, measured on up to {args.baseline_limit:,} articles per corpus.")


if __name__ == "__main__":
    main()
