"""The label store: one append-only JSON Lines file of events per annotator.

Nothing is ever rewritten. Every answer, skip and undo is one line in `<dir>/<annotator>.jsonl`,
written, flushed and fsync'ed before `append` returns, so a killed session loses at most the
answer being typed. All state (who labelled what) is derived from the events by ONE function,
`current_labels`; gold labels (`gold_labels`) are derived from its result.

Two "lanes" live in the same events: ordinary answers (source "label" or "import") and
adjudications (source "adjudicate"). They are kept apart so that an adjudicator who also labelled
a passage keeps both their own vote and their ruling.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from itertools import combinations
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from ..codebook import Codebook
from ..errors import InputError, LabelStoreError
from ..jsonl import JsonLine, iter_lines
from ..paths import check_writable

FORMAT_VERSION = 1
EVENT_TYPES = ("answer", "skip", "undo")
SOURCES = ("label", "adjudicate", "import", "review")  # review: a `stance review` answer, a vote like label
_ANNOTATOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class Event:
    """One line of an annotator's file. `frames` is empty for "none" (and for skip/undo)."""

    type: str
    passage_id: str
    annotator: str
    article_id: str = ""
    text: str = ""
    frames: list[str] = field(default_factory=list)
    codebook: str = ""
    codebook_version: str = ""
    timestamp: str = field(default_factory=now_utc)
    suggestion_accepted: bool | None = None
    seconds: float | None = None
    source: str = "label"
    format_version: int = FORMAT_VERSION
    # Labels of text we may not copy (third-party articles) keep its SHA-256 and no text; the
    # text is read from the corpus at run time (stance.passage_text).
    text_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not d["text_sha256"]:
            del d["text_sha256"]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Event":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass
class Label:
    """A standing answer of one annotator for one passage. `seq` orders answers by recency
    (higher = more recent) within the annotator's standing answers; undo uses it."""

    passage_id: str
    article_id: str
    text: str
    frames: list[str]
    annotator: str
    source: str
    timestamp: str
    seq: int
    text_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GoldLabel:
    passage_id: str
    article_id: str
    text: str
    frames: list[str]
    method: str  # "adjudicated" | "majority" | "single"
    n_annotators: int
    text_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Disagreement:
    """A passage and what each annotator answered, where they differ (in agreement reports, and
    as the ties that `gold_labels` leaves unresolved)."""

    passage_id: str
    article_id: str
    text: str
    votes: dict[str, list[str]]  # annotator -> frames
    text_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- deriving state ------------------------------------------------------------------------

def current_labels(events: Iterable[Event], adjudication: bool = False) -> dict[tuple[str, str], Label]:
    """(annotator, passage_id) -> the standing answer. The one place state is derived.

    Each annotator's answers form a stack in file order; "undo" pops the most recent one, so an
    earlier answer to the same passage stands again. Of the answers left, the last per passage
    wins. `adjudication=True` gives the adjudication lane (source "adjudicate"), else the rest.
    """
    stacks: dict[str, list[Event]] = {}
    for e in events:
        stack = stacks.setdefault(e.annotator, [])
        if e.type == "answer":
            stack.append(e)
        elif e.type == "undo" and stack:
            stack.pop()
    out: dict[tuple[str, str], Label] = {}
    for annotator, stack in stacks.items():
        for seq, e in enumerate(stack):
            if (e.source == "adjudicate") == adjudication:
                out[(annotator, e.passage_id)] = Label(e.passage_id, e.article_id, e.text, list(e.frames),
                                                        annotator, e.source, e.timestamp, seq, e.text_sha256)
    return out


def votes_by_passage(labels: dict[tuple[str, str], Label],
                     annotators: Iterable[str] | None = None) -> dict[str, dict[str, Label]]:
    """passage_id -> annotator -> Label, optionally for some annotators only."""
    keep = set(annotators) if annotators is not None else None
    out: dict[str, dict[str, Label]] = {}
    for (annotator, pid), label in labels.items():
        if keep is None or annotator in keep:
            out.setdefault(pid, {})[annotator] = label
    return out


def gold_labels(events: Iterable[Event], annotators: Iterable[str] | None = None
                ) -> tuple[list[GoldLabel], list[Disagreement]]:
    """One gold label per passage: adjudicated > strict majority (of whole frame sets) > single.

    Ties are returned as `Disagreement`, never guessed. If several adjudicators ruled on a passage,
    the latest ruling (by timestamp) counts. `annotators` restricts the votes, not the rulings.
    """
    events = list(events)
    votes = votes_by_passage(current_labels(events), annotators)
    rulings: dict[str, Label] = {}
    for label in current_labels(events, adjudication=True).values():
        best = rulings.get(label.passage_id)
        if best is None or label.timestamp > best.timestamp:
            rulings[label.passage_id] = label
    gold, unresolved = [], []
    for pid in sorted(set(votes) | set(rulings), key=lambda p: _first_seen(p, votes, rulings)):
        these = votes.get(pid, {})
        if pid in rulings:
            r = rulings[pid]
            gold.append(GoldLabel(pid, r.article_id, r.text, sorted_frames(r.frames), "adjudicated", len(these),
                                 r.text_sha256))
            continue
        latest = max(these.values(), key=lambda lab: lab.timestamp)
        if len(these) == 1:
            gold.append(GoldLabel(pid, latest.article_id, latest.text, sorted_frames(latest.frames), "single", 1,
                                 latest.text_sha256))
            continue
        counts = Counter(frozenset(lab.frames) for lab in these.values())
        frames, n = counts.most_common(1)[0]
        if n * 2 > len(these):
            gold.append(GoldLabel(pid, latest.article_id, latest.text, sorted(frames), "majority", len(these),
                                 latest.text_sha256))
        else:
            unresolved.append(Disagreement(pid, latest.article_id, latest.text,
                                         {a: list(lab.frames) for a, lab in sorted(these.items())},
                                         latest.text_sha256))
    return gold, unresolved


@dataclass
class LabelStats:
    """What a label store holds: per annotator (sorted), the counts `passages`, one per frame key,
    `none`, `skipped`, `imported`, `adjudicated`; distinct passages, those labelled by two or more
    annotators, and how often two frames are carried by one answer (`together[a][a]`: answers with a)."""

    rows: dict[str, dict[str, int]]
    passages: int
    shared: int
    together: dict[str, dict[str, int]]


def label_stats(events: list[Event], codebook: Codebook) -> LabelStats:
    keys = codebook.frame_keys
    labels = current_labels(events)
    per: dict[str, Counter] = {}
    total: Counter = Counter()
    pair: Counter = Counter()
    for (ann, _), lab in labels.items():
        c = per.setdefault(ann, Counter())
        c["passages"] += 1
        c[lab.source] += 1
        c.update(lab.frames or ["none"])
        total.update(lab.frames)
        pair.update(combinations(sorted(lab.frames, key=keys.index), 2))
    # A skip counts only while the passage is still unanswered by that annotator.
    skips = Counter(a for a, pid in {(e.annotator, e.passage_id) for e in events if e.type == "skip"}
                    if (a, pid) not in labels)
    rulings = Counter(a for (a, _) in current_labels(events, adjudication=True))
    rows = {}
    for ann in sorted(set(per) | set(rulings)):
        c = per.get(ann, Counter())
        rows[ann] = {"passages": c["passages"], **{k: c[k] for k in keys}, "none": c["none"],
                     "skipped": skips[ann], "imported": c["import"], "adjudicated": rulings[ann]}
    together = {a: {b: total[a] if a == b else pair[tuple(sorted((a, b), key=keys.index))] for b in keys}
                for a in keys}
    per_passage = Counter(pid for _, pid in labels)
    return LabelStats(rows, len(per_passage), sum(1 for n in per_passage.values() if n >= 2), together)


def first_answered(label: Label) -> tuple[str, str, int]:
    """A sort key putting answers in the order they were given (file order breaks clock ties)."""
    return label.timestamp, label.annotator, label.seq


def _first_seen(pid: str, votes: dict[str, dict[str, Label]], rulings: dict[str, Label]) -> tuple[str, str, int]:
    labels = list(votes.get(pid, {}).values()) + ([rulings[pid]] if pid in rulings else [])
    return min(first_answered(lab) for lab in labels)


def sorted_frames(frames: Iterable[str]) -> list[str]:
    return sorted(set(frames))


# --- the files -----------------------------------------------------------------------------

def check_annotator(name: str) -> str:
    """Annotator names become file names, so keep them plain."""
    if not _ANNOTATOR_NAME.match(name or ""):
        raise LabelStoreError(f"annotator name {name!r} must be letters, digits, '.', '_' or '-' "
                              "(up to 64, not starting with '.'); pass e.g. --annotator alice")
    return name


class LabelStore:
    """The folder of annotator files. Reads validate every line against the codebook."""

    def __init__(self, directory: str | Path, codebook: Codebook):
        self.directory = Path(directory)
        self.codebook = codebook

    def path(self, annotator: str) -> Path:
        return self.directory / f"{check_annotator(annotator)}.jsonl"

    def annotators(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob("*.jsonl") if _ANNOTATOR_NAME.match(p.stem))

    def read(self, annotator: str) -> tuple[list[Event], list[str]]:
        """All events of one annotator, and warnings about cut-short lines (which are skipped)."""
        path = self.path(annotator)
        events: list[Event] = []
        warnings: list[str] = []
        if not path.exists():
            return events, warnings
        with open(path, "rb") as fh:
            for line in iter_lines(fh, str(path)):
                if _is_torn(line.raw):
                    warnings.append(f"{line.where}: incomplete line (a write was cut short, e.g. the session was "
                                    f"killed); ignored{' (kept as written)' if line.complete else ''}: the answer "
                                    "it held was not saved")
                    continue
                events.append(self._parse(line, annotator))
        return events, warnings

    def read_all(self, annotators: Iterable[str] | None = None) -> tuple[list[Event], list[str]]:
        events: list[Event] = []
        warnings: list[str] = []
        for name in annotators if annotators is not None else self.annotators():
            e, w = self.read(name)
            events.extend(e)
            warnings.extend(w)
        return events, warnings

    def _parse(self, line: JsonLine, annotator: str) -> Event:
        where = line.where

        def bad(reason: str) -> LabelStoreError:
            return LabelStoreError(f"{where}: {reason}; fix or delete that line (the file is append-only, "
                                   "so nothing else rewrote it)")

        try:
            d = line.value()
        except InputError as exc:
            raise bad(exc.reason) from None
        if not isinstance(d, dict):
            raise bad("line is not a JSON object")
        for req in ("type", "passage_id", "annotator"):
            if not isinstance(d.get(req), str) or not d[req]:
                raise bad(f"missing field {req!r}")
        event = Event.from_dict(d)
        if event.type not in EVENT_TYPES:
            raise bad(f"unknown event type {event.type!r} (expected one of {', '.join(EVENT_TYPES)})")
        if event.source not in SOURCES:
            raise bad(f"unknown source {event.source!r} (expected one of {', '.join(SOURCES)})")
        if event.annotator != annotator:
            raise bad(f"annotator {event.annotator!r} in a file named {annotator}.jsonl")
        if not isinstance(event.frames, list) or not all(isinstance(f, str) for f in event.frames):
            raise bad("'frames' must be a list of frame keys")
        unknown = [f for f in event.frames if f not in self.codebook.frame_keys]
        if unknown:
            raise LabelStoreError(f"{where}: frame {unknown[0]!r} is not in codebook {self.codebook.name!r} "
                                  f"(frames: {', '.join(self.codebook.frame_keys)}); pass --codebook with the "
                                  "codebook these labels were made with")
        return event

    def check_writable(self) -> None:
        """Labels never go into the shipped gold corpus."""
        check_writable(self.directory, "your labels", "pass --labels-dir DIR or --project DIR (make one with "
                       "`stance init DIR`)")

    def append(self, events: list[Event]) -> None:
        """Write events of one annotator durably (flush + fsync) before returning.

        If the file ends in a cut-short line, a newline goes first so the new events start on a
        line of their own; earlier lines are never touched.
        """
        if not events:
            return
        annotator = events[0].annotator
        if any(e.annotator != annotator for e in events):
            raise LabelStoreError("one append writes the events of one annotator")
        for e in events:
            if e.type not in EVENT_TYPES or e.source not in SOURCES:
                raise LabelStoreError(f"event type {e.type!r} / source {e.source!r} is not allowed")
            self.codebook.check_frames(e.frames, f"answer for passage {e.passage_id}")
        self.check_writable()
        path = self.path(annotator)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            created = not path.exists()
            with open(path, "ab+") as fh:
                prefix = b""
                if fh.seek(0, os.SEEK_END) > 0:
                    fh.seek(-1, os.SEEK_END)
                    if fh.read(1) != b"\n":
                        prefix = b"\n"
                body = "".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in events)
                fh.write(prefix + body.encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
            if created:
                _fsync_dir(self.directory)
        except OSError as exc:
            raise LabelStoreError(f"{path}: cannot write labels ({exc.strerror}); check the folder "
                                  "exists and is writable, or pass --labels-dir") from None


def _is_torn(raw: bytes) -> bool:
    """A write cut short: starts like an event object but never reaches its closing brace.
    Such a line stays torn after the next append adds a newline, so it is recognised anywhere."""
    text = raw.decode("utf-8", errors="replace").strip()
    return text.startswith("{") and not text.endswith("}")


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
