"""Dropping what is not article text: page furniture rules, and blocks repeated across articles.

Scraped pages carry menus, CSS/SVG residue, share bars, newsletter boxes and "latest stories"
lists. Two complementary detectors:

- **Rules** (`rule_reason`): the line rules of `passages.block_reason` (headings, bylines,
  datelines, captions, related links) plus menus, CSS/SVG residue, share and newsletter text.
- **Repetition** (`RepeatCounter`): a block whose normalised text appears in `min_articles` or
  more distinct articles of the same outlet (or of the whole input, `scope="all"`) is template,
  not writing. Found by a *first counting pass* over the input: each article adds the 32-bit
  CRC of each of its distinct (scope, block) keys to a numpy buffer that is compacted into
  sorted (key, count) arrays, so memory is 8 bytes per distinct block key whatever the number
  of articles (about 0.5 GB for 1M articles of 60 blocks; the 1,086 articles of the real
  corpus need under 1 MB). Only the keys seen `min_articles` times are kept for the second
  pass. A 32-bit key can collide, but a unique paragraph is dropped only if it collides with
  blocks of `min_articles - 1` other articles of the same scope, which at 60M keys happens to
  about one paragraph in 10,000.

Every dropped block has a reason, so a run can say what it dropped and why (`DropStats`).
`keep_boilerplate=True` turns all of this off except empty blocks.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from .articles import Article
from .passages import (MAX_WORDS, MIN_WORDS, Block, Passage, _split_long, block_reason, merge_blocks,
                       more_words_than, normalize, passages_from_spans, sentence_spans, split_blocks)

MIN_ARTICLES = 3  # a block in this many distinct articles (of one outlet) is boilerplate
SCOPES = ("outlet", "all")

# --- rules ----------------------------------------------------------------------------------

# CSS or SVG residue: `.st0{fill:#FFFFFF;}`, `@media ... {`, inline `<svg`/`<path d=` markup.
_CSS = re.compile(r"^\s*(?:[.#@]?[\w-]{1,40}[^{}\n]{0,80}?\{[^{}]{0,300}?[:;][^{}]{0,300}\}|<(?:svg|path|g|defs)\b)")
_MENU_PHRASE = re.compile(
    r"\b(open navigation menu|close alert|skip to (main )?content|toggle navigation|view saved stories|"
    r"main menu|back to top|to revisi?t this article)\b", re.IGNORECASE)
_SHARE_PHRASE = re.compile(
    r"\b(share (this|on|via)\b|opens? in a new window|save this story|copy link|share article)", re.IGNORECASE)
_LEAD = re.compile(f"{_SHARE_PHRASE.pattern}|{_MENU_PHRASE.pattern}", re.IGNORECASE)
_SOCIAL = re.compile(r"\b(facebook|twitter|linkedin|instagram|youtube|reddit|whatsapp|pinterest|rss|email|"
                     r"flipboard|tiktok|mastodon|threads)\b", re.IGNORECASE)
_NEWSLETTER_PHRASE = re.compile(
    r"\b(subscribe to (our|the) newsletter|sign up for (our|the) (\w+ )?newsletter|enter your email|"
    r"in your inbox|thank you for submitting your email|get the latest \w+( \w+)? (from|in)|"
    r"newsletter sign ?up|by signing up,? you agree|use of this site constitutes acceptance|"
    r"may earn a portion of sales|affiliate partnerships with retailers|all rights reserved|"
    r"trouble saving your preferences|ad choices|cookie (policy|statement|settings))", re.IGNORECASE)
# Case-sensitive twins of the phrase patterns (all lower-case), for ASCII text lower-cased once:
# on ASCII, lower() maps one character to one and keeps word characters word characters, so a
# twin finds what its IGNORECASE pattern finds in the original text, at the same offsets, in
# about half the time. Other text uses the IGNORECASE patterns.
_TWINS = {p: re.compile(p.pattern) for p in (_MENU_PHRASE, _SHARE_PHRASE, _LEAD, _SOCIAL, _NEWSLETTER_PHRASE)}


def _ci(pattern: re.Pattern, text: str, lowered: str | None) -> tuple[re.Pattern, str]:
    """The pattern and text to run: its twin on `lowered` (text.lower() of ASCII text), else itself."""
    return (_TWINS[pattern], lowered) if lowered is not None else (pattern, text)


_SENTENCE_PUNCT = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(\s|$)")
FURNITURE_MAX_WORDS = 80  # a phrase rule drops a block only up to this length


_UNKNOWN = object()


def rule_reason(text: str, line_reason: str | None = None, lead_end=_UNKNOWN) -> str:
    """Why a block is page furniture ("heading", "byline", "dateline", "furniture", "css",
    "menu", "share", "newsletter"), or "" when the rules see article text. `line_reason`:
    `passages.block_reason(text)`, `lead_end`: `lead_furniture_end(text)`, when the caller has
    them already."""
    if _CSS.match(text):
        return "css"
    reason = block_reason(text) if line_reason is None else line_reason
    if reason:
        return reason
    words = None  # split once, and only for blocks short enough to need it
    if len(text) <= 15 * FURNITURE_MAX_WORDS and len(words := text.split()) <= FURNITURE_MAX_WORDS \
            and (lead_furniture_end(text) if lead_end is _UNKNOWN else lead_end) is None:  # short blocks only
        lowered = text.lower() if text.isascii() else None
        pattern, probe = _ci(_MENU_PHRASE, text, lowered)
        if pattern.search(probe):
            return "menu"
        pattern, probe = _ci(_NEWSLETTER_PHRASE, text, lowered)
        if pattern.search(probe):
            return "newsletter"
        pattern, probe = _ci(_SHARE_PHRASE, text, lowered)
        social, _ = _ci(_SOCIAL, text, lowered)
        if pattern.search(probe) or (len(words) <= 30 and len(social.findall(probe)) >= 3):
            return "share"
    if not _SENTENCE_PUNCT.search(text):
        words = text.split() if words is None else words
        if len(words) >= 5 and _capitalised_share(words) >= 0.7:
            return "menu"  # a run of title-cased links: "Topics AI Biotech Computing Space ..."
    return ""


def _reads_as_prose(text: str) -> bool:
    """Mostly lower-case words: a piece of writing, not a run of linked headlines. A prose
    piece of a long paragraph repeated across articles is a duplicated article, kept."""
    return _capitalised_share(text.split()) < 0.35


def lead_furniture_end(text: str) -> int | None:
    """Where prose starts after share/menu furniture run into a paragraph's opening ("Photo
    credit Save this story Save I sat down with ..."): after the last such phrase in the first
    third of the block (and its first 400 characters), when at least 25 words of text follow;
    else None."""
    last = None
    end = min(len(text) // 3, 400)
    pattern, probe = _ci(_LEAD, text, text[:end].lower() if text.isascii() else None)
    for last in pattern.finditer(probe, 0, end):
        pass
    if last is None:
        return None
    rest = text[last.end():]
    cut = last.end() + len(rest) - len(rest.lstrip(" \t\n\u00a0:|-"))
    # skip a repeated button label ("Save this story Save Save this story Save")
    while (m := re.match(r"(save|share|menu)\b\s*", text[cut:], re.IGNORECASE)) is not None:
        cut += m.end()
    return cut if len(text[cut:].split()) >= 25 else None


def _capitalised_share(words: list[str]) -> float:
    return sum(1 for w in words if w[:1].isupper() or w[:1].isdigit()) / len(words) if words else 0.0


def body_after_residue(text: str) -> int | None:
    """Where article text starts in a block that opens with CSS/SVG residue and a menu: the
    first sentence that reads as prose (under 45% title-cased words), if any prose follows."""
    for s, e in sentence_spans(text)[1:]:
        if _capitalised_share(text[s:e].split()) < 0.45:
            return s if len(text[s:].split()) >= MIN_WORDS else None
    return None


# --- repetition across articles ---------------------------------------------------------------

def _scope_of(article: Article, scope: str) -> str:
    return (article.outlet or "") if scope == "outlet" else ""


def _key(scope_name: str, block_text: str) -> int:
    return zlib.crc32(f"{scope_name}\x1f{normalize(block_text)}".encode("utf-8"))


class RepeatCounter:
    """The first counting pass: how many distinct articles hold each (scope, block) key.

    `add(article)` per article, then `repeated()` for the set of keys in `min_articles` or
    more articles. Memory: a buffer of `buffer_size` uint32 keys, compacted into sorted unique
    keys with uint32 counts (8 bytes per distinct key).
    """

    def __init__(self, min_articles: int = MIN_ARTICLES, scope: str = "outlet", buffer_size: int = 1 << 22):
        import numpy as np

        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")
        self.min_articles, self.scope = max(2, min_articles), scope
        self._np = np
        self._buffer = np.empty(buffer_size, dtype=np.uint32)
        self._fill = 0
        self._keys = np.empty(0, dtype=np.uint32)
        self._counts = np.empty(0, dtype=np.uint32)
        self.articles = 0

    def add(self, article: Article) -> None:
        name = _scope_of(article, self.scope)
        text = article.text
        keys = set()
        for b in split_blocks(text, mark=False):
            keys.add(_key(name, text[b.start:b.end]))
            if more_words_than(text[b.start:b.end], MAX_WORDS):  # its sentence runs, as passages
                keys.update(_key(name, text[s:e]) for s, e in _split_long(text, b.start, b.end, MAX_WORDS))
        self.articles += 1
        if self._fill + len(keys) > len(self._buffer):
            self._compact()
            if len(keys) > len(self._buffer):
                self._buffer = self._np.empty(len(keys), dtype=self._np.uint32)
        self._buffer[self._fill:self._fill + len(keys)] = list(keys)
        self._fill += len(keys)

    def _compact(self) -> None:
        np = self._np
        if not self._fill:
            return
        new_keys, new_counts = np.unique(self._buffer[:self._fill], return_counts=True)
        keys = np.concatenate([self._keys, new_keys])
        counts = np.concatenate([self._counts, new_counts.astype(np.uint32)])
        order = np.argsort(keys, kind="stable")
        keys, counts = keys[order], counts[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        self._keys, self._counts = keys[starts], np.add.reduceat(counts, starts).astype(np.uint32)
        self._fill = 0

    def repeated(self) -> "RepeatedBlocks":
        return repeated_from_counts(*self.counts(), self.min_articles, self.scope)

    def counts(self):
        """(keys, counts): sorted unique block keys and the number of articles holding each, to
        merge with other counters' (`merge_block_counts`), e.g. one per partition of a cluster run."""
        self._compact()
        return self._keys, self._counts


def merge_block_counts(parts):
    """The (keys, counts) of several counters over disjoint articles, as one."""
    import numpy as np

    parts = list(parts)
    if not parts:
        return np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.uint32)
    keys = np.concatenate([k for k, _ in parts])
    counts = np.concatenate([c for _, c in parts])
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    if not len(keys):
        return keys, counts
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.add.reduceat(counts, starts).astype(np.uint32)


def repeated_from_counts(keys, counts, min_articles: int = MIN_ARTICLES, scope: str = "outlet") -> "RepeatedBlocks":
    min_articles = max(2, min_articles)
    return RepeatedBlocks(frozenset(int(k) for k in keys[counts >= min_articles]), scope, min_articles)


@dataclass(frozen=True)
class RepeatedBlocks:
    """The keys of blocks found in `min_articles` or more articles (picklable, for workers)."""

    keys: frozenset[int]
    scope: str = "outlet"
    min_articles: int = MIN_ARTICLES

    def __contains__(self, item: tuple[Article, str]) -> bool:
        article, text = item
        return _key(_scope_of(article, self.scope), text) in self.keys


def count_repeats(articles: Iterable[Article], min_articles: int = MIN_ARTICLES, scope: str = "outlet") -> RepeatedBlocks:
    counter = RepeatCounter(min_articles, scope)
    for article in articles:
        counter.add(article)
    return counter.repeated()


# --- segmenting with both ---------------------------------------------------------------------

@dataclass
class DropStats:
    """Blocks (and their words) dropped, by reason; `kept_blocks` for the share."""

    blocks: Counter = field(default_factory=Counter)
    words: Counter = field(default_factory=Counter)
    kept_blocks: int = 0

    def add(self, reason: str, n_words: int) -> None:
        self.blocks[reason] += 1
        self.words[reason] += n_words

    def merge(self, other: "DropStats") -> None:
        self.blocks.update(other.blocks)
        self.words.update(other.words)
        self.kept_blocks += other.kept_blocks

    def summary(self) -> str:
        total = sum(self.blocks.values())
        if not total:
            return "dropped no blocks"
        parts = ", ".join(f"{n:,} {reason}" for reason, n in self.blocks.most_common())
        return f"dropped {total:,} of {total + self.kept_blocks:,} blocks ({parts})"


@dataclass
class Boilerplate:
    """What to drop while segmenting: the rules, plus repeated blocks when `repeated` is given.
    `keep=True` keeps everything but empty blocks (`--keep-boilerplate`)."""

    repeated: RepeatedBlocks | None = None
    keep: bool = False

    def blocks(self, article: Article) -> list[Block]:
        """The article's blocks, each marked with why it is dropped ("" = kept)."""
        text = article.text
        out = []
        for b in split_blocks(text):
            chunk = text[b.start:b.end]
            lead_end = None
            if b.reason == "empty" or self.keep:
                reason = b.reason
            else:
                lead_end = lead_furniture_end(chunk)
                reason = rule_reason(chunk, b.reason, lead_end)
                if not reason and self.repeated is not None and (article, chunk) in self.repeated:
                    reason = "repeated"
            if not reason and not self.keep and (cut := lead_end) is not None:
                out.append(Block(b.start, b.start + cut, True, "share"))
                out.append(Block(b.start + cut, b.end, False, ""))
                continue
            if reason == "css" and (cut := body_after_residue(chunk)) is not None:
                out.append(Block(b.start, b.start + cut, True, reason))
                out.append(Block(b.start + cut, b.end, False, ""))
                continue
            out.append(Block(b.start, b.end, bool(reason), reason))
        return out

    def segment(self, article: Article, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS,
                stats: DropStats | None = None, dropped: list | None = None) -> list[Passage]:
        """Passages of the article without its boilerplate; counts drops into `stats` and
        appends (article_id, start, end, reason) of each dropped block to `dropped`."""
        blocks = self.blocks(article)
        if stats is not None or dropped is not None:
            for b in blocks:
                if not b.boilerplate:
                    if stats is not None:
                        stats.kept_blocks += 1
                    continue
                if stats is not None:
                    stats.add(b.reason, len(article.text[b.start:b.end].split()))
                if dropped is not None:
                    dropped.append((article.id, b.start, b.end, b.reason))
        spans = merge_blocks(article.text, blocks, min_words, max_words)
        if self.repeated is not None and not self.keep:  # pieces of long repeated lists
            kept, whole = [], {(b.start, b.end) for b in blocks}  # whole blocks were checked already
            for s, e in spans:
                piece = article.text[s:e]
                if (s, e) not in whole and not _reads_as_prose(piece) and (article, piece) in self.repeated:
                    if stats is not None:
                        stats.add("repeated", len(article.text[s:e].split()))
                    if dropped is not None:
                        dropped.append((article.id, s, e, "repeated"))
                else:
                    kept.append((s, e))
            spans = kept
        return passages_from_spans(article, spans)


RULES_ONLY = Boilerplate()  # the default when no counting pass was made (one article, stdin)


def detect_boilerplate(inputs: Iterable[str], options=None, keep: bool = False, min_articles: int = MIN_ARTICLES,
                       scope: str = "outlet") -> Boilerplate:
    """The detector for a run over `inputs`: the rules plus a first counting pass for repeated
    blocks. Standard input cannot be read twice, so with `-` among the inputs only the rules
    apply. Problems in the inputs are left to the second (real) pass to report."""
    if keep:
        return Boilerplate(keep=True)
    inputs = [str(i) for i in inputs]
    if "-" in inputs:
        return RULES_ONLY
    from .articles import iter_articles

    counter = RepeatCounter(min_articles, scope)
    for article in iter_articles(inputs, options, on_error=lambda err: None):
        counter.add(article)
    return Boilerplate(counter.repeated())


def iter_clean_passages(articles: Iterable[Article], boilerplate: Boilerplate = RULES_ONLY,
                        min_words: int = MIN_WORDS, max_words: int = MAX_WORDS, stats: DropStats | None = None,
                        dropped: list | None = None) -> Iterable[Passage]:
    """Every article's passages without its boilerplate, in input order."""
    for article in articles:
        yield from boilerplate.segment(article, min_words, max_words, stats, dropped)
