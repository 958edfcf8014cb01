"""Training on several label sources: weights, tuning on one source, and the report that leads
with that source's text."""

from __future__ import annotations

import numpy as np
import pytest

from stance.errors import StanceError
from stance.model.classifier import FrameClassifier, best_f1_threshold
from stance.model.data import TrainingSet
from stance.model.evaluate import evaluate_training_set, macro_f1_interval
from stance.model.features import StaticEmbeddings, StaticWithLexicon
from stance.model.pipeline import TrainConfig, fit_params
from stance.sources import parse_sources, parse_weights


@pytest.fixture(scope="module")
def two_sources(small) -> TrainingSet:
    """The small gold set cut in two by writer, as if one part were another corpus."""
    writers = np.array([w or "" for w in small.writers])
    first = np.isin(writers, sorted(set(writers))[: len(set(writers)) // 2])
    return TrainingSet.combine({"old": small.subset(first), "new": small.subset(~first)})


def test_combined_sources_remember_where_each_passage_came_from(two_sources):
    assert set(two_sources.domains) == {"old", "new"}
    sources = two_sources.sources()
    assert sum(s["passages"] for s in sources.values()) == len(two_sources)
    assert sources["old"]["sha256"] != sources["new"]["sha256"]


def test_weights_and_tuning_reach_the_classifier(two_sources):
    config = TrainConfig(features="static", classifier="logreg", source_weights={"old": 0.25}, tune_on="new")
    params = fit_params(two_sources, config)
    new = two_sources.domain_mask("new")
    assert np.array_equal(params["clf__tune_mask"], new)
    assert set(params["clf__sample_weight"][~new]) == {0.25} and set(params["clf__sample_weight"][new]) == {1.0}

    X = StaticEmbeddings().fit().transform(two_sources.texts)
    groups = np.asarray(two_sources.article_ids)
    tuned = FrameClassifier(random_state=0).fit(X, two_sources.Y, groups=groups, tune_mask=new)
    for j in range(two_sources.Y.shape[1]):  # thresholds are chosen on the tuning source's passages only
        assert tuned.thresholds_[j] == best_f1_threshold(two_sources.Y[new, j], tuned.oof_proba_[new, j])
    plain = FrameClassifier(random_state=0).fit(X, two_sources.Y, groups=groups)
    weighted = FrameClassifier(random_state=0).fit(X, two_sources.Y, groups=groups,
                                                   sample_weight=params["clf__sample_weight"])
    assert not np.allclose(plain.decision_function(X), weighted.decision_function(X))


def test_report_leads_with_the_target_source(two_sources, tmp_path):
    config = TrainConfig(features="static", classifier="logreg", tune_on="new", cv=3)
    report = evaluate_training_set(two_sources, config, tmp_path)
    target = report["target_text"]
    assert target["source"] == "new"
    for part in ("grouped_cv", "held_out", "other_to_target", "target_only", "target_to_other"):
        m = target[part]["model"]
        lo, hi = m["macro_f1_interval"]
        assert 0 <= lo <= hi <= 1, part
    new = two_sources.domain_mask("new")
    assert target["grouped_cv"]["model"]["n"] == int(new.sum())
    assert report["grouped_cv"]["model"]["n"] == int((~new).sum())  # the other source, scored second
    md = (tmp_path / "report.md").read_text()
    assert md.index("On new text first") < md.index("Grouped 5-fold")


def test_macro_f1_interval_resamples_articles():
    Y = np.array([[1, 0], [0, 1], [1, 0], [0, 0]] * 10)
    assert macro_f1_interval(Y, Y, np.repeat(np.arange(10), 4)) == [1.0, 1.0]
    wrong = 1 - Y
    lo, hi = macro_f1_interval(Y, wrong, np.repeat(np.arange(10), 4))
    assert lo == hi == 0.0


def test_static_with_lexicon_adds_the_lexicon_scores(small):
    block = StaticWithLexicon().fit(small.texts[:5])
    X = block.transform(small.texts[:5])
    assert X.shape[1] == StaticEmbeddings().fit().transform(small.texts[:1]).shape[1] + len(block.lexicon_.frames_)
    loaded = block.transform(["They called the reorganisation a power grab by the company."])
    assert loaded[0, -len(block.lexicon_.frames_):].max() > 0
    text = "Critics called it a power grab."
    occluded = block.occlusion_features(text, [[(text.index("power"), text.index("power") + 5)]])
    assert occluded.shape == (1, X.shape[1])


def test_label_source_options():
    assert parse_sources(["shipped", "shipped-real"]) == {"written": "shipped", "real": "shipped-real"}
    assert parse_sources(["mine=labels/annotations"]) == {"mine": "labels/annotations"}
    with pytest.raises(StanceError, match="two sources named"):
        parse_sources(["a=x", "a=y"])
    assert parse_weights(["written=0.5"], ["written", "real"]) == {"written": 0.5}
    with pytest.raises(StanceError, match="no label source named"):
        parse_weights(["other=2"], ["written"])
    with pytest.raises(StanceError, match="positive"):
        parse_weights(["written=0"], ["written"])
