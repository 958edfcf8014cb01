"""A labelling session: what to ask next, what each key does, and how the screen looks.

`Session` is the state machine (queue, toggled frames, answer/skip/undo); it talks to the store
only through `LabelStore.append` and `current_labels`. `run_terminal` drives it with single
keypresses on a TTY (in `terminal.py`, the only module that needs termios, imported only when a
session runs on a terminal); `run_plain` drives it with one answer per line (scripts, no TTY). The
CLI decides which, and prints the summary.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import IO, Iterable

from ..articles import Article
from ..boilerplate import RULES_ONLY
from ..passage_text import text_sha256
from ..passages import Passage, normalize

from ..codebook import Codebook
from .store import Disagreement, Event, Label, LabelStore, current_labels
from .suggest import Suggester

QUIT, HELP = "quit", "help"


@dataclass
class Member:
    passage_id: str
    article_id: str


@dataclass
class Item:
    """One thing to answer: the passages sharing one normalised text, shown once."""

    text: str
    members: list[Member]
    article_id: str = ""
    title: str | None = None
    outlet: str | None = None
    position: int = 0  # 1-based place in its article; 0 if unknown
    article_size: int = 0
    previous: str | None = None  # the passage before it in the article, for context
    votes: dict[str, list[str]] = field(default_factory=dict)  # adjudication: annotator -> frames
    # Third-party text: answers keep the text's SHA-256, never the text (see stance.passage_text).
    by_reference: bool = False
    # Review (`stance review`): the passage's current gold label (pre-selected), how it was decided,
    # and the model's out-of-fold probability per frame.
    gold: list[str] | None = None
    gold_note: str = ""
    model_view: dict[str, float] = field(default_factory=dict)


def items_from_articles(articles: Iterable[Article], boilerplate=None) -> list[Item]:
    """Segment articles into items, in input order; repeated texts join the first item.

    Records from `stance segment` (they carry article_id and n_words) are taken as passages
    as they are, so labels match the passage ids the user already has. `boilerplate` (a
    `boilerplate.Boilerplate`, default the rules) says what segmenting drops.
    """
    by_text: dict[str, Item] = {}
    for article in articles:
        passages = _passages_of(article, boilerplate or RULES_ONLY)
        for i, p in enumerate(passages):
            key = normalize(p.text)
            if key in by_text:
                by_text[key].members.append(Member(p.passage_id, p.article_id))
                continue
            whole_article = len(passages) > 1 or "n_words" not in article.meta
            by_text[key] = Item(p.text, [Member(p.passage_id, p.article_id)], p.article_id, article.title,
                                article.outlet, p.index + 1, len(passages) if whole_article else 0,
                                passages[i - 1].text if i else None)
    return list(by_text.values())


def adjudication_items(disagreements: Iterable[Disagreement], context: Iterable[Item] = ()) -> list[Item]:
    """One item per disagreement to decide; the same text with the same votes is decided once.
    `context`: items of the labelled articles, for each passage's title and the passage before it.
    A disagreement over labels stored by reference (a text hash, no text) must come with its text
    filled in (`stance.passage_text.with_texts`); the ruling is stored by reference too."""
    where = {m.passage_id: it for it in context for m in it.members}
    items: dict[tuple, Item] = {}
    for d in disagreements:
        key = (normalize(d.text), json.dumps(d.votes, sort_keys=True))
        if key in items:
            items[key].members.append(Member(d.passage_id, d.article_id))
            continue
        items[key] = Item(d.text, [Member(d.passage_id, d.article_id)], d.article_id, votes=d.votes,
                          by_reference=bool(d.text_sha256))
        if d.passage_id in where:
            c = where[d.passage_id]
            items[key] = replace(items[key], title=c.title, outlet=c.outlet, position=c.position,
                                 article_size=c.article_size, previous=c.previous)
    return list(items.values())


def _passages_of(article: Article, boilerplate) -> list[Passage]:
    meta = article.meta
    if "article_id" in meta and "n_words" in meta:
        pid = str(meta.get("passage_id") or article.id)
        index = int(meta.get("index") or 0)
        text = article.text
        return [Passage(pid, str(meta["article_id"]), index, text, 0, len(text), len(text.split()))]
    return boilerplate.segment(article)


class Session:
    """The queue of items for one annotator and what each answer writes."""

    def __init__(self, items: list[Item], store: LabelStore, annotator: str, events: list[Event],
                 source: str = "label", suggester: Suggester | None = None):
        self.store, self.codebook = store, store.codebook
        self.annotator, self.source, self.suggester = annotator, source, suggester
        self.events = [e for e in events if e.annotator == annotator]
        self.items = items
        self._item_of = {m.passage_id: it for it in items for m in it.members}
        labels = self.labels()
        self.pending = [it for it in items if not self.is_done(it, labels)]
        self.answered = self.skipped = self.undone = 0
        self.current: Item | None = None
        self.toggled: set[str] = set()
        self.suggested: list[str] | None = None
        self.message = ""
        self._shown_at = time.monotonic()
        self._advance()

    # --- derived state ---------------------------------------------------------------------

    def labels(self) -> dict[str, Label]:
        """passage_id -> this annotator's standing answer in this session's lane."""
        lane = current_labels(self.events, adjudication=self.source == "adjudicate")
        review = self.source == "review"  # a review asks again what the reviewer may have labelled
        return {pid: lab for (ann, pid), lab in lane.items()
                if ann == self.annotator and (not review or lab.source == "review")}

    def is_done(self, item: Item, labels: dict[str, Label] | None = None) -> bool:
        labels = self.labels() if labels is None else labels
        return all(m.passage_id in labels for m in item.members)

    def progress(self) -> tuple[int, int]:
        labels = self.labels()
        return sum(self.is_done(it, labels) for it in self.items), len(self.items)

    def frame_counts(self) -> Counter:
        """Answers so far on these items, per frame key and "none" (one count per item)."""
        labels = self.labels()
        counts: Counter = Counter()
        for it in self.items:
            lab = labels.get(it.members[0].passage_id)
            if lab is not None:
                counts.update(lab.frames or ["none"])
        return counts

    # --- actions ---------------------------------------------------------------------------

    def press(self, key: str) -> str | None:
        """One keypress. Returns QUIT or HELP when the caller has to act, else None."""
        cb = self.codebook
        if key == "q":
            return QUIT
        if key == "?":
            return HELP
        if self.current is None:
            return None
        self.message = ""
        hot = cb.by_hotkey()
        if key in hot:
            frame = hot[key].key
            if not cb.multi_label:
                self.answer([frame])
            else:
                self.toggled ^= {frame}
        elif key in ("\r", "\n"):
            self.answer(sorted(self.toggled, key=cb.frame_keys.index))
        elif key in (cb.none_hotkey, "n"):
            self.answer([])
        elif key == "s":
            self.skip()
        elif key == "u":
            self.undo()
        elif key.isprintable():
            self.message = f"'{key}' is not a key here; ? shows the keys and the codebook"
        return None

    def enter_line(self, line: str) -> str | None:
        """One line of --plain input: '1,3' (hotkeys or frame keys), '0'/'n' none, s, u, q, ?,
        or an empty line to accept what is pre-selected."""
        cb = self.codebook
        line = line.strip()
        if line in ("q", "?"):
            return self.press(line)
        if self.current is None:
            return None
        self.message = ""
        if line in ("s", "u", cb.none_hotkey, "n", "none"):
            return self.press("n" if line == "none" else line)
        if not line:
            return self.press("\n")
        hot = {k: f.key for k, f in cb.by_hotkey().items()}
        frames: list[str] = []
        for token in re.split(r"[,;\s]+", line):
            if token in cb.frame_keys:
                frames.append(token)
            elif token and all(ch in hot for ch in token):
                frames.extend(hot[ch] for ch in token)
            elif token:
                self.message = (f"'{token}' is not a frame: answer with hotkeys ({', '.join(hot)}) like 1,3, "
                                f"{cb.none_hotkey} for none, s skip, u undo, q quit")
                return None
        if not cb.multi_label and len(set(frames)) > 1:
            self.message = "this codebook allows one frame per passage"
            return None
        self.answer(sorted(set(frames), key=cb.frame_keys.index))
        return None

    def answer(self, frames: list[str]) -> None:
        """Record the answer for every passage sharing the current text, then move on."""
        item = self.current
        assert item is not None
        accepted = None if self.suggested is None else sorted(frames) == sorted(self.suggested)
        self._write("answer", item, frames, accepted)
        self.answered += 1
        self._advance()

    def skip(self) -> None:
        """Not now: the item comes back in the next session, not in this one."""
        assert self.current is not None
        self._write("skip", self.current, [], None)
        self.skipped += 1
        self._advance()

    def undo(self) -> bool:
        """Withdraw this annotator's most recent answer and show that passage again."""
        lanes = list(current_labels(self.events).values()) + list(current_labels(self.events, True).values())
        mine = sorted((lab for lab in lanes if lab.annotator == self.annotator), key=lambda lab: lab.seq)
        if not mine:
            self.message = "nothing to undo"
            return False
        top = mine[-1]
        item = self._item_of.get(top.passage_id)
        if item is None or any((top.source == lane) != (self.source == lane) for lane in ("adjudicate", "review")):
            self.message = "your last answer is not one of these passages; nothing undone"
            return False
        key = normalize(top.text)
        group = []
        for lab in reversed(mine):  # the answer was written for all passages sharing its text
            if normalize(lab.text) != key:
                break
            group.append(lab)
        undo = [Event("undo", lab.passage_id, self.annotator, lab.article_id, codebook=self.codebook.name,
                      codebook_version=self.codebook.version, source=self.source) for lab in group]
        self.store.append(undo)
        self.events.extend(undo)
        self.undone += 1
        self.answered = max(0, self.answered - 1)
        if self.current is not None:
            self.pending.insert(0, self.current)
        if item in self.pending:
            self.pending.remove(item)
        self._show(item, preselect=top.frames)
        self.message = "undone: answer again"
        return True

    # --- internals -------------------------------------------------------------------------

    def _write(self, kind: str, item: Item, frames: list[str], accepted: bool | None) -> None:
        seconds = round(time.monotonic() - self._shown_at, 1)
        stored, sha = item.text if kind == "answer" else "", ""
        if item.by_reference and stored:
            stored, sha = "", text_sha256(item.text)
        events = [Event(kind, m.passage_id, self.annotator, m.article_id, stored,
                        list(frames), self.codebook.name, self.codebook.version, suggestion_accepted=accepted,
                        seconds=seconds, source=self.source, text_sha256=sha) for m in item.members]
        self.store.append(events)  # durable before the next passage is shown
        self.events.extend(events)

    def _advance(self) -> None:
        if not self.pending:
            self.current, self.toggled, self.suggested = None, set(), None
            return
        self._show(self.pending.pop(0))

    def _show(self, item: Item, preselect: list[str] | None = None) -> None:
        self.current = item
        suggested = self.suggester.suggest(item.text) if self.suggester and not item.votes else []
        self.suggested = suggested or None  # nothing pre-selected is no suggestion
        if preselect is None:
            earlier = [self.labels().get(m.passage_id) for m in item.members]
            earlier_frames = next((lab.frames for lab in earlier if lab is not None), None)
            agreed = set.intersection(*(set(f) for f in item.votes.values())) if item.votes else set()
            fallback = list(item.gold) if item.gold is not None else sorted(agreed)
            preselect = earlier_frames if earlier_frames is not None else (self.suggested or fallback)
        self.toggled = set(preselect)
        self._shown_at = time.monotonic()


# --- text for --plain mode and the codebook help ---------------------------------------------

def codebook_help(codebook: Codebook, width: int) -> list[str]:
    """The codebook's definitions with include (+) / exclude (-) guidance and examples, as lines."""
    width = max(40, min(width, 100))
    out = [f"Codebook {codebook.name} {codebook.version}", ""]

    def para(text: str, indent: str = "") -> None:
        out.extend(textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + "  ") or [""])

    if codebook.carried:
        para(codebook.carried)
        out.append("")
    for f in codebook.frames:
        out.append(f"[{f.hotkey}] {f.name} ({f.key})")
        para(f.definition, "  ")
        for item in f.include:
            para("+ " + item, "  ")
        for item in f.exclude:
            para("- " + item, "  ")
        if f.examples:
            out.append("  Examples:")
            for item in f.examples:
                para(f"\u201c{item}\u201d", "    ")
        out.append("")
    out.append(f"[{codebook.none_hotkey}] {codebook.none_name}")
    para(codebook.none_definition, "  ")
    out += ["", "Keys: frame hotkeys toggle · Enter accept · 0/n none · s skip · u undo · q quit"]
    return out


def review_lines(item: Item) -> list[str]:
    """For `stance review`: the current gold label and the model's out-of-fold view, marking each
    frame where the model contradicts gold by more than half."""
    if item.gold is None:
        return []
    out = ["gold: " + (", ".join(item.gold) or "none") + (f" ({item.gold_note})" if item.gold_note else "")]
    if item.model_view:
        out.append("model, out of fold (probability per frame):")
        width = max(len(f) for f in item.model_view)
        for f, p in item.model_view.items():
            against = (1 - p) if f in item.gold else p
            mark = ("  <- gold has it" if f in item.gold else "  <- not in gold") if against > 0.5 else ""
            out.append(f"  {f:<{width}}  {p:.2f}{mark}")
    return out


def plain_prompt(session: Session) -> str:
    """The compact per-passage prompt of --plain mode."""
    cb, item = session.codebook, session.current
    assert item is not None
    done, total = session.progress()
    where = item.title or item.article_id
    pos = f" {item.position}/{item.article_size}" if item.position and item.article_size else ""
    lines = [f"[{done + 1}/{total}] {where}{pos}"]
    lines += textwrap.wrap(item.text, 100, initial_indent="  ", subsequent_indent="  ")
    if item.votes:
        lines.append("  annotators: " + " · ".join(f"{a}: {','.join(fr) or 'none'}" for a, fr in item.votes.items()))
    lines += ["  " + line for line in review_lines(item)]
    keys = "  ".join(f"{f.hotkey} {f.key}" for f in cb.frames) + f"  {cb.none_hotkey} none · s skip · u undo · q quit"
    if session.suggested is not None or session.toggled:
        chosen = sorted(session.toggled, key=cb.frame_keys.index)
        suggested = session.suggested is not None and set(session.suggested) == session.toggled
        why = "suggested" if suggested else "pre-selected"
        keys += f"  [Enter = {','.join(cb.frame(k).hotkey for k in chosen) or cb.none_hotkey} ({why})]"
    lines.append("  " + keys)
    if session.message:
        lines.append("  " + session.message)
    return "\n".join(lines) + "\n> "


# --- driving it ------------------------------------------------------------------------------

def run_plain(session: Session, lines: IO[str], out: IO[str]) -> None:
    """One answer per input line; prompts on `out`. Ends at q, at end of input or when done."""
    while session.current is not None:
        out.write(plain_prompt(session))
        out.flush()
        line = lines.readline()
        if not line:
            break
        if session.enter_line(line) == QUIT:
            break
        if line.strip() == "?":
            out.write("\n".join(codebook_help(session.codebook, 100)) + "\n")


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()
