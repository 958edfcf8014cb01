"""Feature families side by side on the gold corpus: n-grams, static embeddings, both, and the
full sentence encoder, by grouped cross-validation (by article) and leave-one-writer-out.

    python benchmarks/compare_features.py [--with-encoder] [--grid]

The encoder needs `pip install 'stance[encoder]'`. Leave-one-writer-out flatters n-grams (our
writers share vocabulary with each other more than with strangers), so it is used to choose
settings within the static-embedding family, not to choose between families.
"""

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--with-encoder", action="store_true")
    ap.add_argument("--grid", action="store_true", help="also tune classifier and C for static embeddings")
    ap.add_argument("--only", nargs="*", help="run only these feature sets")
    args = ap.parse_args()
    from stance.codebook import load_codebook
    from stance.labeling.export import gold_records
    from stance.model.data import training_set
    from stance.model.evaluate import evaluate_training_set
    from stance.model.pipeline import TrainConfig, default_C

    data = training_set(gold_records(ROOT / "labels" / "annotations", cb := load_codebook()), cb.frame_keys, ROOT / "labels" / "corpus")
    configs = [("ngrams", "logreg", None), ("static", "logreg", None), ("static+ngrams", "logreg", None)]
    if args.with_encoder:
        configs.append(("encoder", "logreg", None))
    if args.grid:
        configs += [("static", "logreg", c) for c in (0.3, 3.0, 10.0)] + [("static", "svm", c) for c in (0.5, 1.0, 2.0)]
    if args.only:
        configs = [c for c in configs if c[0] in args.only]
    print(f"{len(data)} passages, {len(set(data.article_ids))} articles, {len(set(data.writers))} writers\n")
    print("| features | classifier | C | grouped CV macro-F1 | leave-one-writer-out macro-F1 | held-out test macro-F1 | "
          "hard-negative FP rate (CV) |")
    print("|---|---|---|---|---|---|---|")
    for features, clf, C in configs:
        C = C if C is not None else default_C(features, clf)
        r = evaluate_training_set(data, TrainConfig(features=features, classifier=clf, C=C))
        s = r["summary"]
        fp = r["grouped_cv"]["hard_negative_false_positives"]
        fps = ", ".join(f"{f.split('_')[0]} {v['false_positive_rate']:.0%}" for f, v in fp.items())
        print(f"| {features} | {clf} | {C} | {s['grouped_cv']['macro_f1']:.3f} | "
              f"{s['leave_one_writer_out']['macro_f1']:.3f} | {s['held_out']['macro_f1']:.3f} | {fps} |", flush=True)


if __name__ == "__main__":
    main()
