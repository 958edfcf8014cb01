"""The labelled passages a model learns from, with what evaluation needs to be honest: the
article each passage belongs to (grouping), its writer (leave-one-writer-out), the topic a
negative was written to match (false positives on hard negatives) and the fixed split."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import LabelStoreError
from ..labeling.codebook import Codebook


@dataclass
class TrainingSet:
    frames: list[str]
    passage_ids: list[str]
    article_ids: list[str]
    texts: list[str]
    Y: np.ndarray  # (n_passages, n_frames) of 0/1
    writers: list[str | None] = field(default_factory=list)
    topics: list[str | None] = field(default_factory=list)
    splits: list[str | None] = field(default_factory=list)
    source: str = ""  # the label store or file it came from (for the model card)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, mask) -> "TrainingSet":
        idx = np.flatnonzero(np.asarray(mask))
        pick = lambda xs: [xs[i] for i in idx] if xs else []  # noqa: E731
        return TrainingSet(self.frames, pick(self.passage_ids), pick(self.article_ids), pick(self.texts),
                           self.Y[idx], pick(self.writers), pick(self.topics), pick(self.splits))

    def sha256(self) -> str:
        """Identity of the training data: passages and their gold frames, in passage-id order."""
        h = hashlib.sha256()
        for i in np.argsort(self.passage_ids, kind="stable"):
            row = [self.passage_ids[i], self.article_ids[i], self.texts[i],
                   [f for f, y in zip(self.frames, self.Y[i]) if y]]
            h.update(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        return h.hexdigest()

    def counts(self) -> dict[str, int]:
        out = {f: int(self.Y[:, j].sum()) for j, f in enumerate(self.frames)}
        out["none"] = int((self.Y.sum(axis=1) == 0).sum())
        out["passages"] = len(self)
        out["articles"] = len(set(self.article_ids))
        return out


def read_corpus_metadata(corpus_dir: Path | None) -> tuple[dict[str, dict], dict[str, str]]:
    """Per-passage metadata (writer, topic, ...) and the article split, if the corpus has them."""
    meta: dict[str, dict] = {}
    splits: dict[str, str] = {}
    if corpus_dir is None:
        return meta, splits
    passages = corpus_dir / "passages.jsonl"
    if passages.exists():
        with open(passages, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError:
                        raise LabelStoreError(f"{passages}:{n}: malformed JSON line") from None
                    meta[rec["passage_id"]] = rec
    split_file = corpus_dir / "splits.csv"
    if split_file.exists():
        with open(split_file, newline="", encoding="utf-8") as fh:
            splits = {row["article_id"]: row["split"] for row in csv.DictReader(fh)}
    return meta, splits


def load_training_set(labels: Path, codebook: Codebook, corpus_dir: Path | None = None) -> TrainingSet:
    """Gold labels from a label store folder (adjudicated, else majority, else single)."""
    from ..labeling.store import LabelStore, gold_labels

    if not labels.is_dir():
        raise LabelStoreError(f"{labels}: no label store here; label passages with `stance label`, "
                              "pass --labels with your annotations folder, or --labels shipped for the gold "
                              "corpus that ships with stance")
    events, _warnings = LabelStore(labels, codebook).read_all()
    gold, _ties = gold_labels(events)  # ties stay out of training until adjudicated
    if not gold:
        raise LabelStoreError(f"{labels}: no labelled passages; label some with `stance label` first, or "
                              "train on the shipped gold corpus with --labels shipped")
    meta, splits = read_corpus_metadata(corpus_dir)
    gold = sorted(gold, key=lambda g: (g.article_id, meta.get(g.passage_id, {}).get("index", 0), g.passage_id))
    frames = codebook.frame_keys
    Y = np.array([[int(f in g.frames) for f in frames] for g in gold], dtype=np.int64)
    return TrainingSet(
        frames=frames,
        passage_ids=[g.passage_id for g in gold],
        article_ids=[g.article_id for g in gold],
        texts=[g.text for g in gold],
        Y=Y,
        writers=[meta.get(g.passage_id, {}).get("writer") for g in gold],
        topics=[meta.get(g.passage_id, {}).get("topic") for g in gold],
        splits=[splits.get(g.article_id) for g in gold],
        source=str(labels),
    )


def training_set_from_records(records: list[dict], frames: list[str]) -> TrainingSet:
    """From plain records (text, frames, article_id, optional passage_id/writer/topic/split)."""
    from ..passages import passage_id

    Y = np.array([[int(f in r["frames"]) for f in frames] for r in records], dtype=np.int64).reshape(len(records), len(frames))
    return TrainingSet(
        frames=list(frames),
        passage_ids=[r.get("passage_id") or passage_id(r["article_id"], r["text"]) for r in records],
        article_ids=[r["article_id"] for r in records],
        texts=[r["text"] for r in records],
        Y=Y,
        writers=[r.get("writer") for r in records],
        topics=[r.get("topic") for r in records],
        splits=[r.get("split") for r in records],
    )


def load_labeled_data(path: Path, codebook: Codebook, corpus_dir: Path | None = None) -> TrainingSet:
    """Gold labels from a label store folder, or from an exported/other tool's JSONL or CSV file."""
    if path.is_dir():
        corpus_dir = corpus_dir or (path.parent / "corpus")
        return load_training_set(path, codebook, corpus_dir if corpus_dir.is_dir() else None)
    from ..labeling.export import read_label_records

    records = [rec for _where, rec in read_label_records(path, codebook)]
    return training_set_from_records(records, codebook.frame_keys)
