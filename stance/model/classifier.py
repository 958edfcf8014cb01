"""A multi-label frame classifier that means what it says.

One binary linear model per frame (balanced class weights), then, per frame, Platt scaling fitted
on out-of-fold scores from grouped cross-validation (so probabilities are calibrated on passages
the model did not see), and a decision threshold chosen on those out-of-fold probabilities.
`none` is the absence of every frame, not a class of its own.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold
from sklearn.svm import SVC

from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from ..errors import ModelError
from .thresholds import carries

class TargetError(ModelError, ValueError):
    """Labels the classifier cannot learn from (a ValueError too, as scikit-learn expects)."""


THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


BLOCK_ROWS = 256  # rows per BLAS call in decision_function (see there)


def make_base(classifier: str, C: float, random_state: int):
    if classifier == "logreg":
        return LogisticRegression(C=C, class_weight="balanced", max_iter=2000, random_state=random_state)
    if classifier == "svm":
        return SVC(C=C, kernel="rbf", class_weight="balanced", random_state=random_state)
    raise ModelError(f"unknown classifier {classifier!r}; choose logreg or svm")


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    best, best_t = -1.0, 0.5
    for t in THRESHOLD_GRID:
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        denom = int(pred.sum()) + int(y.sum())
        f1 = 2 * tp / denom if denom else 0.0
        if f1 > best + 1e-12:
            best, best_t = f1, float(t)
    return best_t


def grouped_folds(n: int, groups, n_splits: int, random_state: int):
    """Folds that keep each article's passages together (plain folds when there are no groups)."""
    if groups is None:
        return list(KFold(n_splits=n_splits, shuffle=True, random_state=random_state).split(np.zeros(n)))
    n_groups = len(set(groups))
    if n_groups < 2:
        raise ModelError("need passages from at least two articles to cross-validate; label more articles")
    cv = GroupKFold(n_splits=min(n_splits, n_groups), shuffle=True, random_state=random_state)
    return list(cv.split(np.zeros(n), groups=groups))


def _weights(weight, rows) -> dict:
    return {} if weight is None else {"sample_weight": weight[rows]}


class FrameClassifier(ClassifierMixin, BaseEstimator):
    """One binary classifier per frame (column of Y), Platt-calibrated out of fold, with a tuned
    threshold per frame. Y is a 0/1 matrix, one column per frame.

    Learned attributes: `classes_` (the frame indices, as for a multi-label OneVsRestClassifier), `n_features_in_`, `thresholds_`, `calibrators_`, `oof_proba_`,
    and either `estimators_` (linear models, or an SVM on sparse features) or, for an RBF SVM on
    dense features, the frames' machines packed into one set of support vectors:
    `support_vectors_`, `dual_coef_` (one column per frame), `intercept_` and `gamma_`.
    """

    def __init__(self, classifier: str = "logreg", C: float = 1.0, cv: int = 5, random_state: int = 0):
        self.classifier = classifier
        self.C = C
        self.cv = cv
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = True
        return tags

    def fit(self, X, y, groups=None, sample_weight=None, tune_mask=None):
        """`groups`: article per row (folds keep an article together). `sample_weight`: per row,
        e.g. real coverage weighted over written passages. `tune_mask`: the rows whose out-of-fold
        scores calibrate the probabilities and choose the thresholds (the text the model is for,
        e.g. real coverage); default all rows."""
        X, Y = validate_data(self, X, y, accept_sparse="csr", multi_output=True)  # Y: one 0/1 column per frame
        check_classification_targets(Y)
        kind = type_of_target(Y, input_name="Y")
        if Y.ndim != 2 or kind not in ("binary", "multilabel-indicator") or not np.isin(Y, (0, 1)).all():
            raise TargetError(f"Only binary classification is supported, one 0/1 column per frame: labels must be "
                              f"a 0/1 matrix with one column per frame (got a {kind} target)")
        Y = Y.astype(np.int64)
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        tune = np.ones(len(Y), dtype=bool) if tune_mask is None else np.asarray(tune_mask, dtype=bool)
        positives = Y.sum(axis=0)
        if (positives < 2).any() or (positives > len(Y) - 2).any():
            j = int(np.argmin(np.minimum(positives, len(Y) - positives)))
            raise TargetError(f"frame #{j} has {int(positives[j])} positive passages out of {len(Y)} (one class "
                              "needs at least two of each); label more passages with and without it before training")
        folds = grouped_folds(len(Y), groups, self.cv, self.random_state)
        base = make_base(self.classifier, self.C, self.random_state)
        pack = self.classifier == "svm" and not sparse.issparse(X)
        if self.classifier == "svm":  # gamma="scale", fixed from all of X so every frame shares one kernel
            variance = (float(np.asarray(X, dtype=np.float64).var()) if not sparse.issparse(X)
                        else float(X.multiply(X).mean() - X.mean() ** 2))
            final = clone(base).set_params(gamma=1.0 / (X.shape[1] * variance) if variance > 0 else 1.0)
        else:
            final = base
        estimators, calibrators, thresholds = [], [], []
        self.oof_proba_ = np.zeros(Y.shape, dtype=float)
        for j in range(Y.shape[1]):
            y = Y[:, j]
            scores = np.zeros(len(y))
            for train, test in folds:
                if len(set(y[train])) < 2:
                    scores[test] = 0.0
                    continue
                scores[test] = clone(base).fit(X[train], y[train], **_weights(weight, train)).decision_function(X[test])
            on = tune if len(set(y[tune])) == 2 else np.ones(len(y), dtype=bool)
            calibrator = LogisticRegression(C=1e4, max_iter=1000).fit(scores[on].reshape(-1, 1), y[on])
            self.oof_proba_[:, j] = calibrator.predict_proba(scores.reshape(-1, 1))[:, 1]
            thresholds.append(best_f1_threshold(y[on], self.oof_proba_[on, j]))
            calibrators.append(calibrator)
            estimators.append(clone(final).fit(X, y, **_weights(weight, slice(None))))
        self.classes_ = np.arange(Y.shape[1])  # the frames: Y's columns (the multi-label convention)
        self.calibrators_ = calibrators
        self.thresholds_ = np.array(thresholds)
        if pack:
            self._pack_support_vectors(X, estimators, final.gamma)
        else:
            self.estimators_ = estimators
        return self

    def decision_function(self, X) -> np.ndarray:
        """Dense input goes through in blocks of exactly BLOCK_ROWS rows (the last one padded with
        zeros): BLAS picks its kernels by matrix shape, so without this a passage's scores would
        change in the last digits with the batch it happens to share (batch size, workers, engine)."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        if sparse.issparse(X):
            return self._decision(X)
        packed = hasattr(self, "support_vectors_")
        X = np.asarray(X, dtype=np.float64) if packed else X
        out = np.empty((X.shape[0], len(self.classes_)))
        for i in range(0, X.shape[0], BLOCK_ROWS):
            block = X[i:i + BLOCK_ROWS]
            n = block.shape[0]
            if n < BLOCK_ROWS:
                block = np.vstack([block, np.zeros((BLOCK_ROWS - n,) + X.shape[1:], dtype=X.dtype)])
            out[i:i + n] = self._decision(block)[:n]
        return out

    def _decision(self, X) -> np.ndarray:
        if hasattr(self, "support_vectors_"):
            return self._rbf_decision(X)
        return np.column_stack([est.decision_function(X) for est in self.estimators_])

    # An RBF SVM's decision is sum_i a_i k(x, sv_i) + b. libsvm evaluates the kernel row by row
    # for each frame's machine separately; the frames share most support vectors and one gamma, so
    # we keep their union once (and not the machines) and compute every frame's decision from one
    # BLAS matrix product.
    def _pack_support_vectors(self, X, estimators: list, gamma: float) -> None:
        union = np.unique(np.concatenate([est.support_ for est in estimators]))
        position = {int(i): k for k, i in enumerate(union)}
        coef = np.zeros((len(union), len(estimators)), dtype=np.float64)
        for j, est in enumerate(estimators):
            coef[[position[int(i)] for i in est.support_], j] = est.dual_coef_[0]
        # Stored in X's own precision (float32 embeddings lose nothing), computed in float64.
        self.support_vectors_ = np.asarray(X[union])
        self.dual_coef_ = coef
        self.intercept_ = np.array([est.intercept_[0] for est in estimators])
        self.gamma_ = float(gamma)

    def _rbf_decision(self, X: np.ndarray) -> np.ndarray:
        sv = self.support_vectors_.astype(np.float64)
        sq = X @ sv.T  # squared distances, in place: this is the hot loop of tagging
        sq *= -2.0
        sq += (X * X).sum(axis=1)[:, None]
        sq += (sv * sv).sum(axis=1)[None, :]
        np.maximum(sq, 0.0, out=sq)
        sq *= -self.gamma_
        np.exp(sq, out=sq)
        return sq @ self.dual_coef_ + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        """(n_passages, n_frames): calibrated probability that each frame is carried."""
        scores = self.decision_function(X)
        return np.column_stack([cal.predict_proba(scores[:, [j]])[:, 1] for j, cal in enumerate(self.calibrators_)])

    def predict(self, X) -> np.ndarray:
        return carries(self.predict_proba(X), self.thresholds_).astype(np.int64)
