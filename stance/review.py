"""Label-error review: the passages whose gold label the model, scored out of fold, confidently
contradicts, ranked, so a person can look at the likeliest mistakes first.

Every passage is scored by a model that never saw it (grouped cross-validation by article, the
machinery of `stance.model.evaluate`), then compared with its gold label frame by frame: a frame
in gold that the model gives probability p contradicts it by 1 - p, a frame not in gold by p. A
passage's contradiction is its largest one; the queue is every passage at or above
`min_confidence`, largest first. The reviewer's answers are new votes (source "review") in the
reviewer's own label store: nothing is rewritten, and gold changes only through the usual rules
(a differing vote makes a disagreement that `stance adjudicate` settles; see the README).

Like `stance.sources`, this is a place where labelling's records meet the model.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import IO

from .codebook import Codebook
from .errors import StanceError
from .paths import Project, labels_dir
from .sources import load_sources

DEFAULT_MIN_CONFIDENCE = 0.9
# The model that scores: the shipped default model's features and classifier (static embeddings
# plus the seed lexicon's scores, one logistic regression per frame).
DEFAULT_FEATURES, DEFAULT_CLASSIFIER = "static+lexicon", "logreg"


@dataclass
class ReviewEntry:
    """One passage in the queue: its gold label, the model's out-of-fold view, and how strongly
    the two disagree (`contradiction`, on `frame`: `missing` = gold has it, the model does not
    believe it; `extra` = gold lacks it, the model believes it)."""

    rank: int
    passage_id: str
    article_id: str
    source: str
    text: str
    gold: list[str]
    probabilities: dict[str, float]
    model_frames: list[str]  # what the model would tag (probability >= its threshold)
    contradiction: float
    frame: str
    direction: str
    method: str = ""  # how the gold was decided: adjudicated | majority | single
    n_annotators: int = 0
    by_reference: bool = False  # the label stores a text hash, not the text (third-party articles)

    def to_dict(self, with_text: bool = True) -> dict:
        d = {k: v for k, v in self.__dict__.items() if with_text or k != "text"}
        d["probabilities"] = {f: round(p, 4) for f, p in self.probabilities.items()}
        d["contradiction"] = round(self.contradiction, 4)
        return d


@dataclass
class ReviewQueue:
    entries: list[ReviewEntry]  # ranked and cut
    frames: list[str]
    scored: int  # passages scored out of fold
    over: int  # of those, at or above min_confidence (before --top)
    min_confidence: float
    folds: int
    sources: dict[str, dict] = field(default_factory=dict)  # per reviewed source: scored, over


def contradictions(Y, proba):
    """Per passage and frame, how strongly the model contradicts gold: 1 - p where gold has the
    frame, p where it does not."""
    import numpy as np

    Y = np.asarray(Y).astype(bool)
    proba = np.asarray(proba, dtype=float)
    return np.where(Y, 1.0 - proba, proba)


@dataclass
class Scores:
    """Gold labels and the model's out-of-fold view of the passages under review."""

    data: object  # the TrainingSet of the reviewed passages
    proba: object  # (n, n_frames) out-of-fold probabilities
    pred: object  # (n, n_frames) 0/1: what the model would tag
    meta: dict  # (source, passage_id) -> (gold method, annotators, by reference)
    folds: int


def score_out_of_fold(sources: dict[str, str], codebook: Codebook, project: Project | None = None, *,
                      review: list[str] | None = None, config=None, texts=None, corpus=None,
                      progress=None) -> Scores:
    """Score the gold labels of `sources` with models that never saw the passage's article.

    `sources`: {name: label store} as `stance train --labels` gives them (`stance.sources`);
    `review`: the source names whose passages are scored (default: all), the others always stay
    in training; `config`: a `TrainConfig` (default: the shipped model's static+lexicon logreg)."""
    import numpy as np

    from .model.evaluate import cv_within
    from .model.pipeline import TrainConfig, default_C

    say = progress or (lambda msg: None)
    config = config or TrainConfig(features=DEFAULT_FEATURES, classifier=DEFAULT_CLASSIFIER,
                                   C=default_C(DEFAULT_FEATURES, DEFAULT_CLASSIFIER))
    data = load_sources(sources, codebook, project, corpus, texts)
    names = list(dict.fromkeys(data.domains))
    unknown = [n for n in review or [] if n not in names]
    if unknown:
        raise StanceError(f"--only {unknown[0]!r}: no label source of that name (sources: {', '.join(names)})")
    rows = np.isin(data.domains, review) if review else np.ones(len(data), dtype=bool)
    say(f"scoring {int(rows.sum())} passages out of fold ({config.cv} folds by article, "
        f"{config.features} + {config.classifier}) ...")
    proba, pred, _prior = cv_within(data, config, rows, n_splits=config.cv)
    return Scores(data.subset(rows), proba, pred, _gold_meta(sources, codebook, project), config.cv)


def check_cut_offs(top: int | None, min_confidence: float) -> None:
    if not 0.0 <= min_confidence <= 1.0:
        raise StanceError(f"--min-confidence {min_confidence}: give a probability between 0 and 1, e.g. 0.9")
    if top is not None and top < 1:
        raise StanceError(f"--top {top}: give a positive number of passages, e.g. --top 50")


def rank_contradictions(scores: Scores, top: int | None = None,
                        min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> ReviewQueue:
    """The passages whose gold the model contradicts with at least `min_confidence`, strongest
    first (ties by passage id), at most `top` of them."""
    import numpy as np

    check_cut_offs(top, min_confidence)
    scored, proba, pred = scores.data, scores.proba, scores.pred
    against = contradictions(scored.Y, proba)
    worst = against.argmax(axis=1)
    strength = against[np.arange(len(scored)), worst]
    order = sorted(range(len(scored)), key=lambda i: (-strength[i], scored.passage_ids[i]))
    over = [i for i in order if strength[i] >= min_confidence]
    frames = scored.frames
    entries = []
    for rank, i in enumerate(over[:top] if top is not None else over, 1):
        pid, j = scored.passage_ids[i], int(worst[i])
        method, n_ann, by_ref = scores.meta.get((scored.domains[i], pid), ("", 0, False))
        entries.append(ReviewEntry(
            rank, pid, scored.article_ids[i], scored.domains[i], scored.texts[i],
            [f for f, y in zip(frames, scored.Y[i]) if y], {f: float(p) for f, p in zip(frames, proba[i])},
            [f for f, y in zip(frames, pred[i]) if y], float(strength[i]), frames[j],
            "missing" if scored.Y[i, j] else "extra", method, n_ann, by_ref))
    per_source = {}
    for name in dict.fromkeys(scored.domains):
        mine = np.array([d == name for d in scored.domains])
        per_source[name] = {"scored": int(mine.sum()), "over": int((mine & (strength >= min_confidence)).sum())}
    return ReviewQueue(entries, frames, len(scored), len(over), min_confidence, scores.folds, per_source)


def review_queue(sources: dict[str, str], codebook: Codebook, project: Project | None = None, *,
                 review: list[str] | None = None, top: int | None = None,
                 min_confidence: float = DEFAULT_MIN_CONFIDENCE, config=None, texts=None, corpus=None,
                 progress=None) -> ReviewQueue:
    """`stance review` in one call: score out of fold, then rank the confident contradictions."""
    check_cut_offs(top, min_confidence)  # before minutes of scoring
    scores = score_out_of_fold(sources, codebook, project, review=review, config=config, texts=texts,
                               corpus=corpus, progress=progress)
    return rank_contradictions(scores, top, min_confidence)


def _gold_meta(sources: dict[str, str], codebook: Codebook, project: Project | None) -> dict:
    """(source, passage_id) -> (how its gold was decided, annotators, stored by reference)."""
    from .labeling.store import LabelStore, gold_labels

    out = {}
    for name, given in (sources or {"labels": None}).items():
        events, _warnings = LabelStore(labels_dir(given, project), codebook).read_all()
        for g in gold_labels(events)[0]:
            out[(name, g.passage_id)] = (g.method, g.n_annotators, bool(g.text_sha256))
    return out


def review_items(queue: ReviewQueue) -> list:
    """The queue as labelling-screen items, in rank order: each shows the passage with its gold
    label (pre-selected, so Enter keeps it) and the model's view. Passages with the same text and
    the same gold are shown once and the answer is recorded for each."""
    from .labeling.session import Item, Member
    from .passages import normalize

    items: dict[tuple, Item] = {}
    for e in queue.entries:
        key = (normalize(e.text), tuple(e.gold))
        if key in items:
            items[key].members.append(Member(e.passage_id, e.article_id))
            continue
        note = f"{e.method}, {e.n_annotators} annotator(s)" if e.method else ""
        items[key] = Item(e.text, [Member(e.passage_id, e.article_id)], e.article_id,
                          outlet=e.source if len(queue.sources) > 1 else None, by_reference=e.by_reference,
                          gold=list(e.gold), gold_note=note, model_view=dict(e.probabilities))
    return list(items.values())


# --- the list ---------------------------------------------------------------------------------

LIST_FORMATS = ("table", "csv", "jsonl")


def write_queue(queue: ReviewQueue, out: IO[str], fmt: str = "table") -> None:
    """The ranked queue: a plain table (no text, for reading), CSV or JSON Lines (with the text)."""
    if fmt not in LIST_FORMATS:
        raise StanceError(f"--format {fmt!r}: choose one of {', '.join(LIST_FORMATS)}")
    frames = queue.frames
    if fmt == "jsonl":
        import json

        for e in queue.entries:
            out.write(json.dumps(e.to_dict(), ensure_ascii=False) + "\n")
        return
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["rank", "passage_id", "article_id", "source", "gold", "model", *[f"p_{f}" for f in frames],
                         "contradiction", "frame", "direction", "method", "n_annotators", "text"])
        for e in queue.entries:
            writer.writerow([e.rank, e.passage_id, e.article_id, e.source, ";".join(e.gold) or "none",
                             ";".join(e.model_frames) or "none", *[f"{e.probabilities[f]:.4f}" for f in frames],
                             f"{e.contradiction:.4f}", e.frame, e.direction, e.method, e.n_annotators, e.text])
        return
    short = {f: "".join(w[0] for w in f.split("_")).upper() for f in frames}  # corporate_critical -> CC
    if len(set(short.values())) < len(frames):
        short = {f: f for f in frames}
    label = lambda fs: ",".join(short[f] for f in fs) or "-"  # noqa: E731
    rows = [["#", "passage_id", "article_id", "source", "gold", "model", *[f"p({short[f]})" for f in frames],
             "against", "why"]]
    for e in queue.entries:
        why = f"{short[e.frame]} {'not believed' if e.direction == 'missing' else 'not in gold'}"
        rows.append([str(e.rank), e.passage_id, e.article_id, e.source, label(e.gold), label(e.model_frames),
                     *[f"{e.probabilities[f]:.2f}" for f in frames], f"{e.contradiction:.2f}", why])
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    numeric = {0, *range(6, 7 + len(frames))}
    for r in rows:
        out.write("  ".join(c.rjust(w) if k in numeric else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths)))
                  .rstrip() + "\n")
    if short != {f: f for f in frames}:
        out.write("\n" + " · ".join(f"{s} {f}" for f, s in short.items())
                  + "; against: how strongly the model contradicts gold (1 - p for a gold frame, p for another)\n")
