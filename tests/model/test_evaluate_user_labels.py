"""`stance evaluate` on a user's labels: intervals by article and a warning when the model loses to
the seed lexicon."""

import numpy as np

from stance.lexicon import Lexicon
from stance.model.evaluate import evaluate_bundle, evaluation_markdown


def unseen(gold, bundle):
    trained = set(bundle.training.passage_ids)
    return gold.subset([pid not in trained for pid in gold.passage_ids])


def test_scores_come_with_intervals_and_the_lexicon_baseline(gold, small_bundle):
    data = unseen(gold, small_bundle)
    report = evaluate_bundle(small_bundle, data, "gold")
    m = report["model"]
    lo, hi = m["macro_f1_interval"]
    assert lo <= m["macro_f1"] <= hi and hi - lo > 0
    for f, v in m["per_frame"].items():
        assert v["f1_interval"][0] <= v["f1"] <= v["f1_interval"][1], f
    assert "lexicon_baseline" in report and not report["warnings"]
    assert "95% interval" in evaluation_markdown(report) and "seed-lexicon baseline" in evaluation_markdown(report)


def test_a_model_that_loses_to_the_lexicon_is_flagged(gold, small_bundle):
    data = unseen(gold, small_bundle)
    # Labels that agree with the keyword list by construction: the lexicon scores perfectly.
    data.Y = Lexicon.load().predict(data.texts, data.frames).astype(np.int64)
    report = evaluate_bundle(small_bundle, data, "keyword-made labels")
    assert report["lexicon_baseline"]["macro_f1"] == 1.0
    assert report["warnings"] and "does not beat the seed-lexicon baseline" in report["warnings"][0]
    assert "**Warning:**" in evaluation_markdown(report)
