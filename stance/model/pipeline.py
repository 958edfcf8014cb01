"""The model's pipeline: a TrainConfig says which feature block and classifier; build and fit it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.pipeline import Pipeline

from .classifier import FrameClassifier
from .data import TrainingSet
from .features import build_features

# The default model's settings, chosen by grouped cross-validation and leave-one-writer-out
# within the static-embedding family (see models/default/MODEL_CARD.md and benchmarks/).
DEFAULTS = {"features": "static", "classifier": "svm", "C": 1.0}
# Regularisation per feature set when --C is not given: sparse n-grams want weaker regularisation.
TUNED_C = {("static", "logreg"): 1.0, ("static", "svm"): 1.0, ("ngrams", "logreg"): 3.0,
           ("static+ngrams", "logreg"): 3.0, ("encoder", "logreg"): 1.0}


def default_C(features: str, classifier: str) -> float:
    return TUNED_C.get((features, classifier), 1.0)


def default_classifier(features: str) -> str:
    """RBF SVM on dense static embeddings; a linear model on sparse n-grams or encoder features."""
    return "svm" if features == "static" else "logreg"


@dataclass
class TrainConfig:
    features: str = DEFAULTS["features"]
    classifier: str = DEFAULTS["classifier"]
    C: float = DEFAULTS["C"]
    seed: int = 0
    embeddings: str = "static-minilm-256"
    encoder: str | None = None
    cv: int = 5

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def build_pipeline(config: TrainConfig) -> Pipeline:
    return Pipeline([
        ("features", build_features(config.features, config.embeddings, config.encoder)),
        ("clf", FrameClassifier(classifier=config.classifier, C=config.C, cv=config.cv, random_state=config.seed)),
    ])


def fit_pipeline(data: TrainingSet, config: TrainConfig) -> Pipeline:
    pipe = build_pipeline(config)
    pipe.fit(data.texts, data.Y, clf__groups=np.asarray(data.article_ids))
    return pipe
