"""The labelled passages a model learns from, with what evaluation needs to be honest: the
article each passage belongs to (grouping), its writer (leave-one-writer-out), the topic a
negative was written to match (false positives on hard negatives) and the fixed split."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import ModelError
from ..jsonl import read_jsonl
from ..passages import passage_id


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
    # Which label source each passage comes from (e.g. "written", "real"), when several are
    # combined, and the outlet of its article when the corpus records one.
    domains: list[str] = field(default_factory=list)
    outlets: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, mask) -> "TrainingSet":
        idx = np.flatnonzero(np.asarray(mask))
        pick = lambda xs: [xs[i] for i in idx] if xs else []  # noqa: E731
        return TrainingSet(self.frames, pick(self.passage_ids), pick(self.article_ids), pick(self.texts),
                           self.Y[idx], pick(self.writers), pick(self.topics), pick(self.splits), self.source,
                           pick(self.domains), pick(self.outlets))

    @classmethod
    def combine(cls, named: dict[str, "TrainingSet"]) -> "TrainingSet":
        """Several label sources as one set; each passage remembers its source's name."""
        sets = list(named.values())
        frames = sets[0].frames
        if any(s.frames != frames for s in sets):
            raise ModelError("label sources use different frames; train them with the same codebook")
        cat = lambda attr: [x for s in sets for x in (getattr(s, attr) or [None] * len(s))]  # noqa: E731
        return cls(frames, cat("passage_ids"), cat("article_ids"), cat("texts"), np.vstack([s.Y for s in sets]),
                   cat("writers"), cat("topics"), cat("splits"),
                   "; ".join(f"{name}={s.source}" for name, s in named.items()),
                   [name for name, s in named.items() for _ in range(len(s))], cat("outlets"))

    def domain_mask(self, name: str) -> np.ndarray:
        return np.array([d == name for d in self.domains], dtype=bool)

    def sources(self) -> dict[str, dict]:
        """Per label source: its counts and the SHA-256 of its passages and labels."""
        if not self.domains:
            return {}
        return {name: {**self.subset(self.domain_mask(name)).counts(),
                       "sha256": self.subset(self.domain_mask(name)).sha256()} for name in dict.fromkeys(self.domains)}

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


def read_corpus_metadata(corpus_dir: Path | None) -> tuple[dict[str, dict], dict[str, str], dict[str, str]]:
    """Per-passage metadata (writer, topic, index, ...), and the split and outlet of each article,
    if the corpus has them."""
    meta: dict[str, dict] = {}
    splits: dict[str, str] = {}
    outlets: dict[str, str] = {}
    if corpus_dir is None:
        return meta, splits, outlets
    passages = corpus_dir / "passages.jsonl"
    if passages.exists():
        meta = {rec["passage_id"]: rec for _where, rec in read_jsonl(passages) if "passage_id" in rec}
    split_file = corpus_dir / "splits.csv"
    if split_file.exists():
        with open(split_file, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                splits[row["article_id"]] = row["split"]
                if row.get("outlet"):
                    outlets[row["article_id"]] = row["outlet"]
    return meta, splits, outlets


def training_set(records: Iterable[dict], frames: list[str], corpus_dir: Path | None = None,
                 source: str | Path = "") -> TrainingSet:
    """A TrainingSet from plain label records ({passage_id, article_id, text, frames}, as the label
    store's gold labels or a label file give them), with writer, topic and split from the corpus
    metadata when there is a corpus folder (else from the records themselves). `source`: where the
    labels came from (the model card says whose labels a model learned from).

    Passages are ordered by article and position, so training is the same for the same labels."""
    meta, splits, outlets = read_corpus_metadata(corpus_dir)
    records = list(records)
    if not records:
        raise ModelError("no labelled passages to learn from; label some with `stance label` first")
    pid = [r.get("passage_id") or passage_id(r["article_id"], r["text"]) for r in records]
    info = [meta.get(p, {}) for p in pid]
    order = sorted(range(len(records)), key=lambda i: (records[i]["article_id"], info[i].get("index", 0), pid[i]))
    pick = lambda key: [info[i].get(key, records[i].get(key)) for i in order]  # noqa: E731
    Y = np.array([[int(f in records[i]["frames"]) for f in frames] for i in order], dtype=np.int64)
    return TrainingSet(
        frames=list(frames),
        passage_ids=[pid[i] for i in order],
        article_ids=[records[i]["article_id"] for i in order],
        texts=[records[i]["text"] for i in order],
        Y=Y.reshape(len(records), len(frames)),
        writers=pick("writer"),
        topics=pick("topic"),
        splits=[splits.get(records[i]["article_id"], records[i].get("split")) for i in order],
        source=str(source),
        outlets=[outlets.get(records[i]["article_id"], records[i].get("outlet")) for i in order],
    )
