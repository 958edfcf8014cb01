"""The frame classifier: grouped folds, calibration, thresholds, determinism."""

import numpy as np
import pytest

from stance.errors import ModelError
from stance.model.classifier import FrameClassifier, best_f1_threshold, grouped_folds
from stance.model.evaluate import expected_calibration_error, frame_metrics
from stance.model.features import StaticEmbeddings


def test_grouped_folds_never_split_an_article(gold):
    groups = np.asarray(gold.article_ids)
    folds = grouped_folds(len(gold), groups, 5, random_state=0)
    assert len(folds) == 5
    seen = np.zeros(len(gold), dtype=int)
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        seen[test] += 1
    assert (seen == 1).all()


def test_best_f1_threshold_finds_the_separating_cut():
    y = np.array([0, 0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.35, 0.4, 0.9])
    assert 0.35 < best_f1_threshold(y, p) <= 0.4


@pytest.fixture(scope="module")
def embedded(small):
    return StaticEmbeddings().fit().transform(small.texts)


def test_probabilities_are_calibrated_out_of_fold(small, embedded):
    clf = FrameClassifier(random_state=0).fit(embedded, small.Y, groups=np.asarray(small.article_ids))
    for j in range(small.Y.shape[1]):
        # Platt scaling on out-of-fold scores: mean probability matches the base rate, low ECE.
        assert abs(clf.oof_proba_[:, j].mean() - small.Y[:, j].mean()) < 0.02
        assert expected_calibration_error(small.Y[:, j], clf.oof_proba_[:, j]) < 0.08
    proba = clf.predict_proba(embedded)
    assert proba.shape == small.Y.shape and ((proba >= 0) & (proba <= 1)).all()
    assert ((proba >= clf.thresholds_) == clf.predict(embedded)).all()


def test_out_of_fold_predictions_beat_chance(small, embedded):
    clf = FrameClassifier(random_state=0).fit(embedded, small.Y, groups=np.asarray(small.article_ids))
    pred = (clf.oof_proba_ >= clf.thresholds_).astype(int)
    m = frame_metrics(small.Y, clf.oof_proba_, pred, small.frames)
    prevalence = small.Y.mean(axis=0)
    for j, f in enumerate(small.frames):  # F1 of always saying yes is 2p/(1+p)
        assert m["per_frame"][f]["f1"] > 2 * prevalence[j] / (1 + prevalence[j]) + 0.1


def test_deterministic_for_a_seed(small, embedded):
    groups = np.asarray(small.article_ids)
    a = FrameClassifier(random_state=3).fit(embedded, small.Y, groups=groups).predict_proba(embedded)
    b = FrameClassifier(random_state=3).fit(embedded, small.Y, groups=groups).predict_proba(embedded)
    assert np.array_equal(a, b)


def test_a_frame_without_positives_is_refused(small, embedded):
    Y = small.Y.copy()
    Y[:, 1] = 0
    with pytest.raises(ModelError, match="label more passages"):
        FrameClassifier().fit(embedded, Y, groups=np.asarray(small.article_ids))


def test_frame_metrics_by_hand():
    Y = np.array([[1, 0], [1, 1], [0, 0], [0, 1]])
    pred = np.array([[1, 0], [0, 1], [1, 0], [0, 1]])
    m = frame_metrics(Y, None, pred, ["a", "b"])
    assert m["per_frame"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert m["per_frame"]["b"]["f1"] == 1.0
    assert m["macro_f1"] == 0.75
    assert m["micro_f1"] == pytest.approx(2 * 3 / (2 * 3 + 1 + 1))
    assert m["exact_match"] == 0.5


def test_packed_svm_decision_matches_libsvm(small, embedded):
    """The one-matrix-product RBF decision equals each frame's libsvm machine."""
    clf = FrameClassifier(classifier="svm", C=1.0, random_state=0).fit(embedded, small.Y,
                                                                       groups=np.asarray(small.article_ids))
    reference = np.column_stack([est.decision_function(embedded) for est in clf.estimators_])
    assert np.allclose(clf.decision_function(embedded), reference, atol=1e-3)
    assert len(clf.support_vectors_) <= sum(len(est.support_) for est in clf.estimators_)



def test_scores_do_not_depend_on_the_batch():
    """A passage's probabilities are the same bit for bit whatever it is batched with (batch size,
    workers, local or Dask engine): BLAS picks kernels by matrix shape, so this needs the fixed blocks."""
    import stance
    from stance.articles import iter_articles
    from stance.passages import segment_article
    from stance.paths import shipped_root

    bundle = stance.load_model()
    texts = [p.text for a in iter_articles([shipped_root() / "seeds" / "articles"]) for p in segment_article(a)]
    X = bundle.features((texts * (1 + 600 // len(texts)))[:600])
    clf = bundle.pipeline.named_steps["clf"]
    whole = clf.predict_proba(X)
    for size in (1, 3, 37, 255, 257):
        parts = np.vstack([clf.predict_proba(X[i:i + size]) for i in range(0, len(X), size)])
        assert np.array_equal(parts, whole), size
