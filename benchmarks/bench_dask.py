"""The Dask engine against the local engine on the same synthetic corpus.

Builds a corpus of N articles (JSON Lines, in a temporary folder) from our own seed articles
only: their sentences are shuffled into new paragraphs and articles (no downloaded or scraped
text). Then profiles it, each run through the real CLI in a child process:

- local engine, 1 worker process (`stance profile corpus.jsonl -o out.jsonl -w 1`)
- Dask engine on a local cluster of 1 and of 2 worker processes (`--engine dask -w N -o outdir`)

and prints a Markdown table: wall seconds (start-up included), articles/s, the busy seconds of the
partition tasks (from the part stats), peak resident memory of the main process and of each
worker process (sampled from /proc), and the overhead of Dask against the local engine.

    python benchmarks/bench_dask.py                  # 100,000 articles
    python benchmarks/bench_dask.py --n 20000        # a smaller run
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds" / "articles"


def sentence_pool() -> tuple[list[str], list[str]]:
    """Sentences and titles of the seed articles (text we wrote)."""
    sys.path.insert(0, str(ROOT))
    from stance.articles import iter_articles
    from stance.passages import segment_article

    sentences, titles = [], []
    for article in iter_articles([SEEDS]):
        titles.append(article.title or article.id)
        for passage in segment_article(article):
            sentences += [s for s in re.split(r"(?<=[.!?])\s+", passage.text) if len(s.split()) >= 5]
    return sentences, titles


def build_corpus(n: int, path: Path, seed: int = 0) -> int:
    """n articles of 4-12 paragraphs of 2-4 shuffled seed sentences each; returns the file size."""
    sentences, titles = sentence_pool()
    rng = random.Random(seed)
    outlets = [f"outlet-{k}" for k in range(8)]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            paragraphs = [" ".join(rng.sample(sentences, rng.randint(2, 4))) for _ in range(rng.randint(4, 12))]
            rec = {"id": f"synthetic-{i:06d}", "text": "\n\n".join(paragraphs), "title": rng.choice(titles),
                   "outlet": rng.choice(outlets), "date": f"20{rng.randint(18, 25)}-{rng.randint(1, 12):02d}-01"}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path.stat().st_size


def process_tree(pid: int) -> dict[int, tuple[int, str, float]]:
    """pid -> (resident bytes, command line, CPU seconds) for a process and its descendants, from /proc."""
    found, stack = {}, [pid]
    while stack:
        p = stack.pop()
        try:
            rss = 0
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
            cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
            found[p] = (rss, cmd, cpu)
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def run(cmd: list[str]) -> tuple[float, float, int, list[int]]:
    """Wall seconds, CPU seconds of all processes (as last sampled), peak RSS of the main process
    and of each worker process. CPU seconds say what the work costs when other jobs share the cores."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, int] = {}
    cpu: dict[int, float] = {}
    workers: set[int] = set()

    def sample() -> None:
        while proc.poll() is None:
            for pid, (rss, cmdline, seconds) in process_tree(proc.pid).items():
                peaks[pid] = max(peaks.get(pid, 0), rss)
                cpu[pid] = seconds
                if pid != proc.pid and "spawn_main" in cmdline:
                    workers.add(pid)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr}")
    sys.stderr.write(stderr)
    return seconds, sum(cpu.values()), peaks.get(proc.pid, 0), sorted(peaks[p] for p in workers)


def busy_seconds(outdir: Path) -> float:
    return sum(json.loads(p.read_text())["seconds"] for p in (outdir / "parts").glob("part-*.stats.json"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="articles in the corpus")
    parser.add_argument("--workers", default="1,2", help="Dask local cluster sizes to measure")
    args = parser.parse_args()
    stance = [sys.executable, "-m", "stance", "profile", "--quiet"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus.jsonl"
        size = build_corpus(args.n, corpus)
        print(f"corpus: {args.n:,} articles, {size / 1e6:.1f} MB", file=sys.stderr)
        rows = []
        seconds, cpu, main_peak, _ = run(stance + [str(corpus), "-o", str(tmp / "local.jsonl"), "-w", "1"])
        local_rate = args.n / seconds
        rows.append(("local", 1, seconds, cpu, None, main_peak, []))
        for n in (int(w) for w in args.workers.split(",")):
            out = tmp / f"dask-{n}"
            seconds, cpu, main_peak, worker_peaks = run(stance + [str(corpus), "--engine", "dask", "-w", str(n),
                                                                  "-o", str(out)])
            rows.append(("dask", n, seconds, cpu, busy_seconds(out), main_peak, worker_peaks))
            local = [json.loads(line)["article_id"] for line in open(tmp / "local.jsonl", encoding="utf-8")]
            parts = sorted((out / "parts").glob("part-*[0-9].jsonl"))
            ids = [json.loads(line)["article_id"] for p in parts for line in open(p, encoding="utf-8")]
            assert ids == local, "the Dask output differs from the local one"
        print(f"\n{args.n:,} articles ({size / 1e6:.1f} MB JSON Lines); wall clock of the whole CLI run, start-up included\n")
        print("| engine | workers | seconds | articles/s | vs local | CPU s (all processes) | articles per CPU s | "
              "busy s (tasks) | peak RSS main (MiB) | peak RSS per worker (MiB) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for engine, n, seconds, cpu, busy, main_peak, worker_peaks in rows:
            rate = args.n / seconds
            per_worker = ", ".join(f"{p / 2**20:,.0f}" for p in worker_peaks) or "(in the main process)"
            print(f"| {engine} | {n} | {seconds:,.1f} | {rate:,.0f} | {rate / local_rate:.2f}x | {cpu:,.1f} | "
                  f"{args.n / cpu:,.0f} | {'' if busy is None else f'{busy:,.1f}'} | {main_peak / 2**20:,.0f} | {per_worker} |")


if __name__ == "__main__":
    main()
