"""The model's pipeline: a TrainConfig says which feature block and classifier; build and fit it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.pipeline import Pipeline

from .classifier import FrameClassifier
from .data import TrainingSet
from .features import build_features

# The default model's settings, chosen on real-coverage cross-validation (benchmarks/real_text_models.py,
# models/default/MODEL_CARD.md): static embeddings + the seed lexicon's scores, one LR per frame.
DEFAULTS = {"features": "static+lexicon", "classifier": "logreg", "C": 1.0}
# Regularisation per feature set when --C is not given: sparse n-grams want weaker regularisation.
TUNED_C = {("static", "logreg"): 1.0, ("static", "svm"): 1.0, ("ngrams", "logreg"): 3.0,
           ("static+ngrams", "logreg"): 3.0, ("encoder", "logreg"): 1.0, ("static+lexicon", "logreg"): 1.0,
           ("encoder+lexicon", "logreg"): 1.0}


def default_C(features: str, classifier: str) -> float:
    return TUNED_C.get((features, classifier), 1.0)


def default_classifier(features: str) -> str:
    """RBF SVM on plain static embeddings (it beat LR there); a linear model on everything else."""
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
    # Several label sources: the weight of each source's passages (default 1), and the source
    # whose out-of-fold scores calibrate the probabilities and choose the thresholds (the text
    # the model is for, e.g. "real"); None: all passages.
    source_weights: dict[str, float] = field(default_factory=dict)
    tune_on: str | None = None
    labels: list[str] = field(default_factory=list)  # the --labels given (the card repeats the command)
    # The unlabelled corpus the --tune-on labels were drawn from: its mean feature row is the centre
    # `stance adapt` moves other corpora onto (None: the tuned-on labelled passages' mean).
    reference_corpus: str | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def build_pipeline(config: TrainConfig) -> Pipeline:
    return Pipeline([
        ("features", build_features(config.features, config.embeddings, config.encoder)),
        ("clf", FrameClassifier(classifier=config.classifier, C=config.C, cv=config.cv, random_state=config.seed)),
    ])


def fit_pipeline(data: TrainingSet, config: TrainConfig) -> Pipeline:
    pipe = build_pipeline(config)
    pipe.fit(data.texts, data.Y, **fit_params(data, config))
    return pipe


def fit_params(data: TrainingSet, config: TrainConfig) -> dict:
    """The classifier's fit parameters: article groups, per-source weights, the rows to tune on."""
    params = {"clf__groups": np.asarray(data.article_ids)}
    if data.domains and config.source_weights:
        params["clf__sample_weight"] = np.array([config.source_weights.get(d, 1.0) for d in data.domains])
    if data.domains and config.tune_on and data.domain_mask(config.tune_on).any():
        params["clf__tune_mask"] = data.domain_mask(config.tune_on)
    return params
