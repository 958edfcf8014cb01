"""Tagging passages with a model: frames, calibrated probabilities, and the evidence for each
predicted frame, so a researcher can see why.

Evidence is found by occlusion: the words whose removal lowers the frame's probability most. It
works with any feature block; for static embeddings it is computed from one tokenisation.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Iterable, Iterator

import numpy as np

from ..passages import Passage
from .features import remove_spans
from .thresholds import carries

N_EVIDENCE = 3
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
_STOPWORDS = set("""a an the and or but if of to in on at by for with from as is are was were be been being it its
this that these those he she they we you i his her their our your my me him them us not no so than then there
here what which who whom whose when where why how all any both each few more most other some such only own same
too very can will just do does did has have had would should could may might must shall about into over after
before under again further once also said says say""".split())


@dataclass
class TagResult:
    frames: list[str]
    probabilities: dict[str, float]
    evidence: dict[str, list[dict]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def tag_texts(bundle, texts: list[str], evidence: bool = True) -> list[TagResult]:
    frames = bundle.frames
    if not texts:
        return []
    proba = bundle.predict_proba(texts)
    pred = carries(proba, bundle.thresholds)
    results = []
    for i, text in enumerate(texts):
        chosen = [f for j, f in enumerate(frames) if pred[i, j]]
        res = TagResult(chosen, {f: round(float(proba[i, j]), 4) for j, f in enumerate(frames)})
        if evidence and chosen:
            res.evidence = explain(bundle, text, [frames.index(f) for f in chosen], proba[i])
        results.append(res)
    return results


def explain(bundle, text: str, frame_idx: list[int], base_proba: np.ndarray, top: int = N_EVIDENCE) -> dict:
    """For each frame index, the words whose removal lowers its probability most."""
    units: dict[str, list[tuple[int, int]]] = {}
    for m in _WORD.finditer(text):
        w = m.group(0).lower().strip("'\u2019-")
        if len(w) > 2 and w not in _STOPWORDS:
            units.setdefault(w, []).append(m.span())
    if not units:
        return {}
    words = list(units)
    features = bundle.pipeline.named_steps["features"]
    if hasattr(features, "occlusion_features"):
        X = features.occlusion_features(text, [units[w] for w in words])
    else:
        X = features.transform([remove_spans(text, units[w]) for w in words])
    proba = bundle.classify_features(X)
    out = {}
    for j in frame_idx:
        drop = base_proba[j] - proba[:, j]
        order = np.argsort(-drop, kind="stable")[:top]
        out[bundle.frames[j]] = [{"term": words[k], "weight": round(float(drop[k]), 4)} for k in order if drop[k] > 0]
    return out


@dataclass
class TaggedPassage:
    passage_id: str
    article_id: str
    index: int
    text: str
    n_words: int
    frames: list[str]
    probabilities: dict[str, float]
    evidence: dict[str, list[dict]]

    def to_dict(self) -> dict:
        return asdict(self)


def tag_passages(bundle, passages: list[Passage], evidence: bool = True) -> list[TaggedPassage]:
    results = tag_texts(bundle, [p.text for p in passages], evidence=evidence)
    return [TaggedPassage(p.passage_id, p.article_id, p.index, p.text, p.n_words, r.frames, r.probabilities, r.evidence)
            for p, r in zip(passages, results)]


def iter_tagged(bundle, passages: Iterable[Passage], batch_size: int = 512, evidence: bool = True) -> Iterator[TaggedPassage]:
    batch: list[Passage] = []
    for p in passages:
        batch.append(p)
        if len(batch) >= batch_size:
            yield from tag_passages(bundle, batch, evidence)
            batch = []
    if batch:
        yield from tag_passages(bundle, batch, evidence)
