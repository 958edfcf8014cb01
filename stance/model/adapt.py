"""Unsupervised adaptation of a trained model to one corpus (`stance adapt`).

A model trained on one kind of text sees another kind shifted: on real coverage the static
embeddings of a whole outlet sit away from the training passages' centre, and the classifier reads
part of that offset as frame. Adapting moves the corpus' feature rows so that their mean is the
training data's mean (`CorpusShift`, a pipeline step between the features and the classifier).
It needs no labels: only the corpus' own passages (those `stance profile` would tag, boilerplate
dropped) and the training mean recorded in the bundle when it was trained (`feature_mean` in
`model.json`).

An adapted bundle is made for one corpus: `model.json` records the corpus' hash and size, and
`check_corpus` refuses to tag or profile other inputs with it unless forced (see README).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import ModelError, StanceError

METHOD = "mean-shift"
MIN_PASSAGES = 20  # a mean of fewer passages says more about those passages than about the corpus


class CorpusError(StanceError):
    """The corpus to adapt to (or to check against an adapted model) cannot be used."""

    exit_code = 2


class CorpusShift(TransformerMixin, BaseEstimator):
    """Feature rows moved by one vector so that the corpus' mean lands on `reference` (the training
    data's mean): `x + (reference - corpus_mean_)`. Fitted on the corpus' feature rows."""

    def __init__(self, reference=None):
        self.reference = reference

    def fit(self, X, y=None):
        X = np.asarray(X)
        reference = np.asarray(self.reference, dtype=np.float64)
        if reference.shape != (X.shape[1],):
            raise ModelError(f"the training mean has {reference.size} features but the model makes {X.shape[1]}; "
                             "retrain the model with `stance train`")
        self.corpus_mean_ = X.mean(axis=0, dtype=np.float64)
        self.shift_ = (reference - self.corpus_mean_).astype(X.dtype)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        return np.asarray(X) + self.shift_


def feature_mean(features, texts: list[str], batch: int = 4096) -> np.ndarray | None:
    """Mean feature row of `texts` (float64), or None for sparse features (n-grams), which a mean
    shift would make dense and which `stance adapt` does not support."""
    from scipy import sparse

    total, n = None, 0
    for i in range(0, len(texts), batch):
        X = features.transform(texts[i:i + batch])
        if sparse.issparse(X):
            return None
        s = np.asarray(X, dtype=np.float64).sum(axis=0)
        total = s if total is None else total + s
        n += X.shape[0]
    return None if total is None else total / n


def reference_mean(pipe, data, config) -> dict | None:
    """What `model.json` records as the centre an adapted corpus is moved onto (`feature_mean`):
    the mean feature row of `config.reference_corpus`, the unlabelled corpus the tuned-on labels
    were drawn from, when given; else of the tuned-on source's labelled passages (all passages
    without --tune-on). None for sparse features.

    The corpus is the better centre: labelled sets are chosen to hold framed passages, so their
    mean sits off the corpus' centre towards the frames, and moving a corpus onto it makes the
    model tag far more (measured in benchmarks/adapt_real.py)."""
    features = pipe.named_steps["features"]
    if config.reference_corpus:
        passages, identity = corpus_passages([config.reference_corpus])
        mean = feature_mean(features, [p.text for p in passages])
        record = {"of": f"the reference corpus {config.reference_corpus}", "n": len(passages),
                  "corpus_sha256": identity.sha256, "articles": identity.articles}
    else:
        rows = data.domain_mask(config.tune_on) if config.tune_on and data.domains else np.ones(len(data), bool)
        mean = feature_mean(features, [t for t, keep in zip(data.texts, rows) if keep])
        record = {"of": f"the `{config.tune_on}` training passages" if config.tune_on else "the training passages",
                  "n": int(rows.sum())}
    if mean is None:
        return None
    return {**record, "values": [round(float(v), 8) for v in mean]}


# --- the corpus ------------------------------------------------------------------------------

@dataclass
class CorpusIdentity:
    """A corpus as an adapted bundle records it: SHA-256 of its articles (ids and texts, in id
    order, so file order and layout do not matter) and its size."""

    sha256: str
    articles: int

    @classmethod
    def of(cls, article_digests: Iterable[bytes]) -> "CorpusIdentity":
        digests = sorted(article_digests)
        h = hashlib.sha256()
        for d in digests:
            h.update(d)
        return cls(h.hexdigest(), len(digests))


def article_digest(article) -> bytes:
    return hashlib.sha256(json.dumps([article.id, article.text], ensure_ascii=False).encode("utf-8")).digest()


def corpus_identity(inputs: list[str], options=None) -> CorpusIdentity:
    """The identity of `inputs` as `stance tag`/`profile` would read them (unreadable records are
    left out, as those commands leave them out)."""
    from ..articles import iter_articles

    if "-" in [str(i) for i in inputs]:
        raise CorpusError("standard input (-) cannot be read twice, so it cannot be checked against the corpus "
                          "an adapted model was made for; write it to a file first, or pass --force")
    return CorpusIdentity.of(article_digest(a) for a in iter_articles(inputs, options, on_error=lambda e: None))


def corpus_passages(inputs: list[str], options=None, keep_boilerplate: bool = False, on_error=None):
    """The corpus' passages as `stance profile` tags them (boilerplate dropped), and its identity."""
    from ..articles import iter_articles
    from ..boilerplate import detect_boilerplate, iter_clean_passages

    if "-" in [str(i) for i in inputs]:
        raise CorpusError("stance adapt needs files: standard input (-) cannot be read twice (the boilerplate "
                          "pass and the corpus' identity need a second reading); write it to a file first")
    digests: list[bytes] = []

    def counted(articles):
        for a in articles:
            digests.append(article_digest(a))
            yield a

    boilerplate = detect_boilerplate(inputs, options, keep=keep_boilerplate)
    passages = list(iter_clean_passages(counted(iter_articles(inputs, options, on_error=on_error)), boilerplate))
    return passages, CorpusIdentity.of(digests)


# --- adapting a bundle and checking its use ----------------------------------------------------

def adapt_bundle(bundle, inputs: list[str], out_dir: Path, options=None, keep_boilerplate: bool = False,
                 force: bool = False, on_error=None, progress=None):
    """A copy of `bundle` in `out_dir` whose pipeline shifts the features of the corpus `inputs`
    onto the training mean. Returns the new Bundle (as `load_bundle` gives it)."""
    from sklearn.pipeline import Pipeline

    from ..paths import check_writable
    from .bundle import save_adapted
    from .card import write_adapted_card

    say = progress or (lambda msg: None)
    out_dir = Path(out_dir)
    check_writable(out_dir, "adapted models", "pass -o DIR outside stance's models/ folder")
    if out_dir.resolve() == Path(bundle.path).resolve():
        raise ModelError(f"{out_dir}: that is the model being adapted; write the adapted model to a new folder")
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        what = "a model bundle" if (out_dir / "model.json").exists() else "a folder that is not empty"
        raise ModelError(f"{out_dir}: already {what}; choose a new -o folder or pass --force to replace it")
    if bundle.feature_mean is None:
        raise ModelError(f"{bundle.path}: its model.json records no training mean (a bundle trained before "
                         "`stance adapt` existed, or on sparse n-gram features, which adaptation does not support); "
                         "retrain it with `stance train` (dense features: static, static+lexicon, encoder)")
    if "adapt" in bundle.pipeline.named_steps:
        raise ModelError(f"{bundle.path}: already adapted to a corpus; adapt the model it was made from "
                         f"({bundle.adaptation.get('base', {}).get('path', 'its base model')}) instead")
    passages, identity = corpus_passages(inputs, options, keep_boilerplate, on_error)
    if len(passages) < MIN_PASSAGES:
        raise CorpusError(f"{', '.join(map(str, inputs))}: {len(passages)} passages (after dropping boilerplate) "
                          f"from {identity.articles} articles; adapting needs at least {MIN_PASSAGES} to estimate "
                          "the corpus' mean: give the whole corpus, not a sample")
    say(f"adapting to {len(passages):,} passages from {identity.articles:,} articles")
    features = bundle.pipeline.named_steps["features"]
    X = _features(features, [p.text for p in passages])
    shift = CorpusShift(np.asarray(bundle.feature_mean["values"])).fit(X)
    pipe = Pipeline([("features", features), ("adapt", shift), ("clf", bundle.classifier)])
    record = {"method": METHOD,
              "corpus": {"sha256": identity.sha256, "articles": identity.articles, "passages": len(passages),
                         "inputs": [str(i) for i in inputs], "keep_boilerplate": keep_boilerplate},
              "shift_norm": round(float(np.linalg.norm(shift.shift_)), 6),
              "base": {"model_id": bundle.model_id, "model_sha256": bundle.model_sha256, "path": str(bundle.path)}}
    if out_dir.exists() and force:
        shutil.rmtree(out_dir)
    adapted = save_adapted(bundle, pipe, out_dir, record)
    write_adapted_card(adapted, bundle)
    return adapted


def _features(features, texts: list[str], batch: int = 4096) -> np.ndarray:
    from scipy import sparse

    blocks = [features.transform(texts[i:i + batch]) for i in range(0, len(texts), batch)]
    if any(sparse.issparse(b) for b in blocks):
        raise ModelError("this model uses sparse n-gram features, which `stance adapt` does not support")
    return np.vstack(blocks)


def adaptation_of(model) -> dict | None:
    """The `adaptation` record of a bundle (a Bundle, or a model name/folder: read from its
    model.json without loading the model), None for a model that is not adapted."""
    if hasattr(model, "adaptation"):
        return model.adaptation
    from ..paths import resolve_model

    try:
        meta = json.loads((resolve_model(model) / "model.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # loading the model reports what is wrong with it
    return meta.get("adaptation") if isinstance(meta, dict) else None


def check_corpus(model, inputs: list[str], options=None, force: bool = False) -> str | None:
    """For an adapted model: refuse inputs that are not the corpus it was adapted to (a shift made
    for one corpus moves another one to the wrong place). Returns a warning to print when `force`
    lets a mismatch through; None when the model is not adapted or the corpus matches."""
    adaptation = adaptation_of(model)
    if not adaptation:
        return None
    want = adaptation["corpus"]
    where = getattr(model, "path", model)
    try:
        have = corpus_identity(inputs, options)
    except CorpusError as exc:
        if force:
            return f"{where} is adapted to one corpus and {exc}; going on (--force)"
        raise CorpusError(f"{where} is adapted to one corpus and {exc}") from None
    if have.sha256 == want["sha256"]:
        return None
    message = (f"{where} was adapted to a corpus of {want['articles']:,} articles (SHA-256 {want['sha256'][:12]}...), "
               f"but these inputs are {have.articles:,} articles ({have.sha256[:12]}...)")
    if force:
        return message + "; using it anyway (--force): its shift was made for the other corpus"
    raise CorpusError(message + "; adapt the base model to these inputs (`stance adapt INPUTS -o DIR --model "
                      f"{adaptation['base']['path']}`), or pass --force to use it anyway")
