"""Model choice on real text: each candidate configuration scored on the real-coverage labels.

For every configuration: grouped 5-fold CV over the real articles (the written corpus, if used,
always in training; thresholds chosen on real out-of-fold scores), and the real held-out article
split trained on everything else, each macro-F1 with a 95% interval by article. The choice is made
on the real CV column; the held-out split is reported, not tuned on.

Needs the real-coverage articles (the labels store only ids and hashes):

    STANCE_REAL_COVERAGE=../shared/real-coverage python benchmarks/real_text_models.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stance.codebook import load_codebook  # noqa: E402
import numpy as np  # noqa: E402

from stance.model.evaluate import _fit_predict, cv_within, frame_metrics, macro_f1_interval  # noqa: E402
from stance.model.pipeline import TrainConfig  # noqa: E402
from stance.passage_text import default_real_coverage  # noqa: E402
from stance.sources import load_sources  # noqa: E402

CANDIDATES = [  # (label, sources, features, classifier, C, written weight)
    ("static + LR, real only", ["real"], "static", "logreg", 1.0, None),
    ("static + LR, written + real", ["written", "real"], "static", "logreg", 1.0, 1.0),
    ("static + RBF SVM, written + real", ["written", "real"], "static", "svm", 1.0, 1.0),
    ("static+lexicon + LR, real only", ["real"], "static+lexicon", "logreg", 1.0, None),
    ("static+lexicon + LR, written (x1) + real", ["written", "real"], "static+lexicon", "logreg", 1.0, 1.0),
    ("static+lexicon + LR, written (x0.5) + real", ["written", "real"], "static+lexicon", "logreg", 1.0, 0.5),
    ("static+lexicon + LR, written (x0.2) + real  [default]", ["written", "real"], "static+lexicon", "logreg", 1.0, 0.2),
    ("static+lexicon + LR C=0.3, written (x0.2) + real", ["written", "real"], "static+lexicon", "logreg", 0.3, 0.2),
    ("ngrams + LR, written (x0.2) + real", ["written", "real"], "ngrams", "logreg", 3.0, 0.2),
]
# With --encoder PATH (a sentence-transformers folder, e.g. all-mpnet-base-v2): the slower option.
ENCODER_CANDIDATES = [
    ("encoder + LR, real only", ["real"], "encoder", "logreg", 1.0, None),
    ("encoder+lexicon + LR, real only", ["real"], "encoder+lexicon", "logreg", 1.0, None),
    ("encoder+lexicon + LR, written (x0.2) + real", ["written", "real"], "encoder+lexicon", "logreg", 1.0, 0.2),
    ("encoder+lexicon + LR, written (x1) + real", ["written", "real"], "encoder+lexicon", "logreg", 1.0, 1.0),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="only the default and the plain static baseline")
    ap.add_argument("--encoder", help="also score a full sentence encoder (a sentence-transformers folder; "
                    "needs the `encoder` extra): only the encoder candidates and the default")
    args = ap.parse_args()
    if default_real_coverage() is None:
        print("skipped: needs ../shared/real-coverage (set STANCE_REAL_COVERAGE); the real labels store no text")
        return
    cb = load_codebook()
    data = load_sources({"written": "shipped", "real": "shipped-real"}, cb)
    real_only = data.subset(data.domain_mask("real"))
    print(f"real labels: {int(data.domain_mask('real').sum())} passages; written: {int(data.domain_mask('written').sum())}")
    print("| configuration | real CV macro-F1 (95%) | real held-out macro-F1 (95%) | seconds |")
    print("|---|---:|---:|---:|")
    candidates = ([c for c in CANDIDATES if "[default]" in c[0]] + ENCODER_CANDIDATES) if args.encoder else CANDIDATES
    for label, sources, features, classifier, C, w in candidates:
        if args.quick and "[default]" not in label and label != "static + LR, written + real":
            continue
        t0 = time.perf_counter()
        d = data if "written" in sources else real_only
        config = TrainConfig(features=features, classifier=classifier, C=C, tune_on="real", encoder=args.encoder,
                             source_weights={"written": w} if w is not None else {})
        target = d.domain_mask("real")
        articles = np.asarray(d.article_ids)
        _proba, pred, _ = cv_within(d, config, target)
        cv = frame_metrics(d.Y[target], None, pred, d.frames)["macro_f1"], macro_f1_interval(d.Y[target], pred, articles[target])
        test = target & np.array([s == "test" for s in d.splits])
        test_data = d.subset(test)
        _p, y = _fit_predict(d.subset(~test), test_data, config)
        held = frame_metrics(test_data.Y, None, y, d.frames)["macro_f1"], macro_f1_interval(test_data.Y, y, articles[test])
        print(f"| {label} | {cv[0]:.3f} ({cv[1][0]:.2f}-{cv[1][1]:.2f}) | {held[0]:.3f} ({held[1][0]:.2f}-{held[1][1]:.2f}) "
              f"| {time.perf_counter() - t0:.0f} |", flush=True)


if __name__ == "__main__":
    main()
