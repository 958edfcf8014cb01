"""How many labels a useful model needs: macro-F1 on the fixed held-out articles of the gold corpus
for models trained on growing random subsets of the training articles.

    python benchmarks/learning_curve.py [--sizes 50 100 200 400 800] [--repeats 3]

Each point trains the default configuration (static features, RBF SVM) on the passages of randomly
chosen training articles until the passage count is reached (whole articles only), and scores it
on every test-split passage. The seed-lexicon baseline on the same test passages is the floor.
"""

import argparse
import random
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 400, 800])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from stance.codebook import load_codebook
    from stance.labeling.export import gold_records
    from stance.lexicon import Lexicon
    from stance.model.data import training_set
    from stance.model.evaluate import frame_metrics
    from stance.model.pipeline import TrainConfig, fit_pipeline

    codebook = load_codebook()
    data = training_set(gold_records(ROOT / "labels" / "annotations", codebook), codebook.frame_keys,
                        ROOT / "labels" / "corpus")
    splits = np.array([s or "" for s in data.splits])
    train, test = data.subset(splits == "train"), data.subset(splits == "test")
    lexicon = Lexicon.load(frames=data.frames)
    floor = frame_metrics(test.Y, None, lexicon.predict(test.texts, data.frames), data.frames)["macro_f1"]
    print(f"{len(train)} training passages ({len(set(train.article_ids))} articles), {len(test)} test passages; "
          f"seed-lexicon baseline macro-F1 {floor:.3f}")
    articles = sorted(set(train.article_ids))
    sizes = [s for s in args.sizes if s < len(train)] + [len(train)]
    print("| labelled passages | macro-F1 (mean of runs) | min | max | seconds per fit |")
    print("|---:|---:|---:|---:|---:|")
    for size in sizes:
        scores, seconds = [], []
        for r in range(args.repeats if size < len(train) else 1):
            order = articles[:]
            random.Random(r).shuffle(order)
            chosen, n = set(), 0
            counts = {a: train.article_ids.count(a) for a in order}
            for a in order:
                if n >= size:
                    break
                chosen.add(a)
                n += counts[a]
            sub = train.subset(np.isin(train.article_ids, list(chosen)))
            if sub.Y.sum(axis=0).min() < 2:  # a frame with no examples cannot be learnt
                continue
            t = time.perf_counter()
            pipe = fit_pipeline(sub, TrainConfig(seed=r))
            seconds.append(time.perf_counter() - t)
            proba = pipe.predict_proba(test.texts)
            pred = pipe.predict(test.texts)
            scores.append(frame_metrics(test.Y, proba, pred, data.frames)["macro_f1"])
        if scores:
            print(f"| {size} | {statistics.mean(scores):.3f} | {min(scores):.3f} | {max(scores):.3f} | "
                  f"{statistics.mean(seconds):.1f} |", flush=True)


if __name__ == "__main__":
    main()
