"""The frame classifier: grouped folds, calibration, thresholds, determinism."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

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
    """The one-matrix-product RBF decision equals each frame's libsvm machine, which it replaces."""
    from sklearn.svm import SVC

    clf = FrameClassifier(classifier="svm", C=1.0, random_state=0).fit(embedded, small.Y,
                                                                       groups=np.asarray(small.article_ids))
    assert not hasattr(clf, "estimators_")  # the packed support vectors only, not both
    machines = [SVC(C=1.0, kernel="rbf", gamma=clf.gamma_, class_weight="balanced", random_state=0)
                .fit(embedded, small.Y[:, j]) for j in range(small.Y.shape[1])]
    reference = np.column_stack([m.decision_function(embedded) for m in machines])
    assert np.allclose(clf.decision_function(embedded), reference, atol=1e-6)
    assert len(clf.support_vectors_) <= sum(len(m.support_) for m in machines)
    assert clf.gamma_ == pytest.approx(1.0 / (embedded.shape[1] * embedded.astype(np.float64).var()))


def test_learned_attributes_follow_sklearn(small, embedded):
    clf = FrameClassifier(random_state=0).fit(embedded, small.Y, groups=np.asarray(small.article_ids))
    assert clf.n_features_in_ == embedded.shape[1]
    assert list(clf.classes_) == list(range(small.Y.shape[1]))
    assert clf.predict(embedded).shape == small.Y.shape
    with pytest.raises(ValueError, match="features"):
        clf.predict_proba(embedded[:, :10])
    with pytest.raises(ModelError, match="0/1 matrix"):
        FrameClassifier().fit(embedded, small.Y[:, 0] * 2)


# What scikit-learn's common checks assume and a multi-label 0/1 matrix cannot give: they train on
# 1-D targets or on targets with values other than 0/1 (multiclass, {1, 2}, strings), which this
# classifier refuses by design, or they expect `decision > 0` / `probability > 0.5` to be the
# prediction, where each frame has a threshold tuned on out-of-fold probabilities.
_NOT_A_01_MATRIX = "trains on a target that is not a 0/1 matrix (multiclass or non-0/1 labels)"
EXPECTED_FAILED_CHECKS = {
    "check_estimators_dtypes": _NOT_A_01_MATRIX,
    "check_estimator_sparse_array": _NOT_A_01_MATRIX + "; sparse X itself is covered by check_estimator_sparse_tag",
    "check_estimator_sparse_matrix": _NOT_A_01_MATRIX + "; sparse X itself is covered by check_estimator_sparse_tag",
    "check_classifier_data_not_an_array": _NOT_A_01_MATRIX + " ({1, 2})",
    "check_classifiers_classes": _NOT_A_01_MATRIX + " (string classes)",
    "check_classifiers_train": "single-output classification: expects 1-D predictions and classes",
    "check_decision_proba_consistency": _NOT_A_01_MATRIX,
    "check_fit2d_1feature": _NOT_A_01_MATRIX,
    "check_classifier_multioutput": "prediction is probability >= the frame's tuned threshold, not decision > 0 "
                                    "or probability > 0.5",
    # The sample_weight checks fit 1-D or multiclass targets; weights themselves are tested in
    # tests/model/test_sources.py (they change the fit; tuning rows choose the thresholds).
    "check_sample_weights_pandas_series": _NOT_A_01_MATRIX,
    "check_sample_weights_not_an_array": _NOT_A_01_MATRIX,
    "check_sample_weights_shape": _NOT_A_01_MATRIX,
    "check_sample_weights_not_overwritten": _NOT_A_01_MATRIX,
    "check_sample_weight_equivalence_on_dense_data": _NOT_A_01_MATRIX,
    "check_sample_weight_equivalence_on_sparse_data": _NOT_A_01_MATRIX,
    "check_classifiers_one_label_sample_weights": _NOT_A_01_MATRIX,
}


@parametrize_with_checks([FrameClassifier(cv=2), FrameClassifier(classifier="svm", cv=2)],
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


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
