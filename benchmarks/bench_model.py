"""Training time on the gold corpus, and tagging throughput against bare feature extraction.

    python benchmarks/bench_model.py [--repeat 4]

Tagging is measured with and without evidence, in one and two worker processes (each worker
loads the model once and tags its share of the passages).
"""

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load():
    from stance.codebook import load_codebook
    from stance.labeling.export import gold_records
    from stance.model.data import training_set

    return training_set(gold_records(ROOT / "labels" / "annotations", cb := load_codebook()), cb.frame_keys, ROOT / "labels" / "corpus")


_BUNDLE = None


def _init():
    global _BUNDLE
    import os

    from threadpoolctl import threadpool_limits

    import stance

    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    threadpool_limits(1)  # as stance's batch workers do: the processes are the parallelism

    _BUNDLE = stance.load_model()


def _tag(texts, evidence):
    _BUNDLE.tag(texts, evidence=evidence)
    return len(texts)


def _features(texts):
    _BUNDLE.features(texts)
    return len(texts)


def run_workers(fn, texts, workers, *args):
    chunks = [texts[i:i + 500] for i in range(0, len(texts), 500)]
    with ProcessPoolExecutor(workers, initializer=_init) as pool:
        list(pool.map(_features, chunks[:workers]))  # warm up: model loaded, table paged in
        t = time.perf_counter()
        n = sum(pool.map(fn, chunks, *[[a] * len(chunks) for a in args]))
        return n, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=4, help="copies of the gold passages to tag")
    args = ap.parse_args()
    from stance.model.pipeline import TrainConfig, default_C, default_classifier, fit_pipeline

    data = _load()
    rows = []
    for features in ("static", "ngrams"):
        t = time.perf_counter()
        clf = default_classifier(features)
        fit_pipeline(data, TrainConfig(features=features, classifier=clf, C=default_C(features, clf)))
        rows.append(f"| train `{features}` on {len(data)} passages | {time.perf_counter() - t:.1f} s |")
    texts = data.texts * args.repeat
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"Gold corpus: {len(data)} passages; tagging {len(texts)} passages ({mb:.1f} MB)\n")
    print("| what | time |\n|---|---|")
    print("\n".join(rows))
    print("\n| workers | bare features (passages/s) | tag, no evidence (passages/s, MB/s) | tag with evidence (passages/s) |")
    print("|---|---|---|---|")
    for workers in (1, 2):
        n, s_feat = run_workers(_features, texts, workers)
        _, s_tag = run_workers(_tag, texts, workers, False)
        n_ev = min(len(texts), 2000)
        _, s_ev = run_workers(_tag, texts[:n_ev], workers, True)
        print(f"| {workers} | {n / s_feat:,.0f} | {n / s_tag:,.0f} ({mb / s_tag:.2f} MB/s) | {n_ev / s_ev:,.0f} |")


if __name__ == "__main__":
    main()
