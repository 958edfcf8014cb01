"""Segmenting an article into passages: the unit that is labelled, tagged and profiled.

A passage is a paragraph (text between blank lines; in text with single newlines only, each
line). Headings, bylines, datelines, captions and share/subscribe lines are not passages. Very
short fragments are merged into a neighbour and very long paragraphs are split at sentence
boundaries. Offsets always slice the article text back to the passage text, and a passage's id
depends only on its article and its text, so labels survive re-segmenting.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Iterator

from .articles import Article

MIN_WORDS = 8  # shorter fragments are merged into a neighbour
MAX_WORDS = 150  # longer paragraphs are split at sentence boundaries


@dataclass
class Passage:
    passage_id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int
    n_words: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Block:
    """A span of the article text, before merging: a paragraph or a piece of boilerplate.
    `reason` says why a boilerplate block is dropped (see `block_reason`); "" for text."""

    start: int
    end: int
    boilerplate: bool
    reason: str = ""


def normalize(text: str) -> str:
    """Text as compared for identity: whitespace folded, curly quotes straightened, case folded."""
    if not text.isascii():  # O(1) in CPython; ASCII text has none of the quotes
        for curly, straight in _QUOTE_PAIRS:  # str.replace: many times faster than str.translate here
            if curly in text:
                text = text.replace(curly, straight)
    return " ".join(text.split()).casefold()


_QUOTE_PAIRS = (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u2013", "-"), ("\u2014", "-"))


def passage_id(article_id: str, text: str) -> str:
    digest = hashlib.sha1(f"{article_id}\x1f{normalize(text)}".encode("utf-8")).hexdigest()
    return digest[:16]


def count_words(text: str) -> int:
    return len(text.split())


def more_words_than(text: str, n: int) -> bool:
    """count_words(text) > n, without splitting a text too short to have that many words (each
    word but the last needs a character and a separator)."""
    return (len(text) + 1) // 2 > n and count_words(text) > n


# --- boilerplate --------------------------------------------------------------------------

_BOILERPLATE = re.compile(
    r"""^(
        (related|recommended|more\s+from|read\s+more|see\s+also|also\s+read|most\s+read)\b.*
      | (share|tweet|email|print|copy\s+link|subscribe|sign\s+up|follow\s+us|advertisement|sponsored)\b.{0,60}$
      | (photo|image|illustration|credit|source|caption|video)\s*:.*
      | .*\((photo|image|illustration)\s+(by|credit|courtesy)[^)]*\)\s*$
      | .*\b(getty\s+images|shutterstock|associated\s+press\s+photo|reuters/)\s*$
      | (updated|published|posted|last\s+modified)\b.{0,60}$
      | (©|\(c\)|copyright\b).*
      | (all\s+rights\s+reserved).*
      | (click\s+here|listen\s+to\s+this\s+article|this\s+article\s+(is|was)\s+(also\s+)?(available|published)).{0,80}$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# The same without the two alternatives that scan to the end of the text (a caption credit in
# brackets, a photo agency): those can only match a text ending in ")" or an agency's name, so
# other texts are checked with this one, in time independent of their length.
_BOILERPLATE_HEAD = re.compile(
    "\n".join(line for line in _BOILERPLATE.pattern.split("\n") if not line.lstrip().startswith("| .*")),
    re.IGNORECASE | re.VERBOSE,
)
_TAIL = re.compile(r"(images|shutterstock|photo|reuters/)$", re.IGNORECASE)


def _boilerplate_match(text: str) -> bool:
    if text.endswith(")") or _TAIL.search(text[-30:]):
        return bool(_BOILERPLATE.match(text))
    return bool(_BOILERPLATE_HEAD.match(text))


_DATELINE = re.compile(
    r"^(\w+day,?\s+)?(\d{1,2}\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(,\s*\d{4})?"
    r"(\s*(at\s+)?\d{1,2}[:.]\d{2}\s*(am|pm|a\.m\.|p\.m\.)?(\s*[A-Z]{2,4})?)?\s*$"
    r"|^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?\s*$|^\d{1,2}\s+min(ute)?s?\s+read\s*$",
    re.IGNORECASE,
)


def is_boilerplate(block: str) -> bool:
    """Headings, bylines, datelines, captions, 'Related articles', share and subscribe text."""
    return bool(block_reason(block))


def block_reason(block: str) -> str:
    """Why a block is not article text ("heading", "byline", "dateline", "furniture": captions,
    related links, share, subscribe and copyright lines), or "" when it is text."""
    text = " ".join(block.split())
    if not text:
        return "empty"
    if text.startswith("#"):
        return "heading"  # Markdown heading
    if _DATELINE.match(text):
        return "dateline"
    if _is_byline(text):
        return "byline"
    if _boilerplate_match(text):
        return "furniture"
    if "\n" not in block.strip() and _is_heading(text):
        return "heading"
    return ""


_SMALL_WORDS = {"a", "an", "the", "and", "or", "but", "nor", "of", "in", "on", "at", "to", "for", "by", "with",
                "from", "as", "vs", "vs.", "is", "it", "its", "into", "over", "per", "via"}


def _is_heading(text: str) -> bool:
    """One short line that does not end like a sentence, or a title-cased one ending in ? or :
    ("The End of an Era, Or Just the Beginning?"; not "Is this the end of open research?")."""
    words = text.split()
    if len(words) > 14:
        return False
    if not re.search(r"[.!?:;,\"\u201d')\]]$", text):
        return True
    if text[-1] not in "?:" or len(words) < 2:
        return False
    content = [w for w in words[1:] if w.lower().strip(",;") not in _SMALL_WORDS]
    capped = sum(1 for w in content if w[:1].isupper() or w[:1].isdigit())
    return bool(content) and capped >= 0.75 * len(content) and words[0][:1].isupper()


_NAME_PARTICLES = {"and", "&", "de", "van", "von", "der", "den", "da", "di", "la", "le", "bin", "al"}


def _is_byline(text: str) -> bool:
    """'By Jane Doe', 'By Jane Doe and Li Wei, Staff Writers': names before any comma or bar."""
    if not re.match(r"^by\s", text, re.IGNORECASE) or len(text.split()) > 15 or text.endswith((".", "!", "?")):
        return False
    names = re.split(r"[,|\u2022\u2013\u2014]| - ", text[3:], maxsplit=1)[0].split()
    return bool(names) and all(w[0].isupper() or w.lower() in _NAME_PARTICLES for w in names)


# --- sentences ----------------------------------------------------------------------------

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "gen", "gov", "sen", "rep", "rev", "hon",
    "inc", "corp", "co", "ltd", "llc", "plc", "dept", "univ", "assn", "bros", "vs", "etc", "e.g", "i.e", "cf",
    "approx", "no", "nos", "vol", "fig", "al", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m", "ph.d", "b.a", "m.a", "d.c", "n.y",
}
# One run of sentence-ending punctuation (never starting inside a run, so a page of dots stays
# linear), closing quotes/brackets, then whitespace and a capital or digit. Possessive
# quantifiers give the same matches as plain ones here and never backtrack.
_SENTENCE_END = re.compile(r"(?<![.!?])[.!?]++[\"'\u201d\u2019)\]]*+(?=\s++[\"'\u201c\u2018(\[]?[A-Z0-9])")
_LAST_TOKEN = re.compile(r"\S+\Z")
_SPACE_RUN = re.compile(r"\s*")
_INITIALS = re.compile(r"[a-z]|([a-z]\.)+[a-z]")


def _token_before(text: str, start: int, end: int) -> str:
    r"""The whitespace-free token ending at `end` (or just before a newline there), not reaching
    back past `start`: what `re.search(r"(\S+)$", text[start:end])` finds, in time proportional
    to the token rather than to the sentence so far."""
    if end > start and text[end - 1] == "\n":
        end -= 1  # `$` also matches before a final newline
    width = 64
    while True:
        lo = max(start, end - width)
        m = _LAST_TOKEN.search(text, lo, end)
        if m is None:
            return ""
        if m.start() > lo or lo == start:
            return m.group()
        width *= 4  # the token may reach further back


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence. Knows abbreviations (U.S., Dr.), initials and decimals.

    Linear in the length of the text: a paragraph of 200,000 words takes well under a second.
    """
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        if text[m.start()] == ".":
            word = _token_before(text, start, m.start()).lstrip("\"'(\u201c").lower()
            if word in _ABBREVIATIONS or _INITIALS.fullmatch(word):
                continue
        spans.append((start, end))
        start = _SPACE_RUN.match(text, end).end()
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


# --- segmenting ---------------------------------------------------------------------------

def split_blocks(text: str, mark: bool = True) -> list[Block]:
    """Paragraph spans (stripped of surrounding whitespace), each marked boilerplate or not
    (`mark=False`: not marked, for a pass that only needs the spans)."""
    separator = r"\n[ \t]*\n" if re.search(r"\n[ \t]*\n", text) else r"\n"
    blocks, pos = [], 0
    for m in list(re.finditer(separator, text)) + [None]:
        end = m.start() if m else len(text)
        chunk = text[pos:end]
        lead = len(chunk) - len(chunk.lstrip())
        stripped = chunk.strip()
        if stripped:
            s = pos + lead
            reason = block_reason(stripped) if mark else ""
            blocks.append(Block(s, s + len(stripped), bool(reason), reason))
        pos = m.end() if m else len(text)
    return blocks


def _split_long(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """Split text[start:end] into runs of whole sentences of at most about max_words."""
    chunk = text[start:end]
    pieces: list[list[int]] = []  # [start, end, words] of each run
    for s, e in sentence_spans(chunk):
        n = count_words(chunk[s:e])
        if pieces and pieces[-1][2] + n <= max_words:
            pieces[-1][1:] = [e, pieces[-1][2] + n]
        else:
            pieces.append([s, e, n])
    return [(start + s, start + e) for s, e, _ in pieces] or [(start, end)]


def segment_text(text: str, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS) -> list[tuple[int, int]]:
    """Passage spans of a text: boilerplate dropped, short fragments merged, long ones split.

    A short fragment joins the paragraph before it, or else the one after it, but never across
    boilerplate, so a passage never contains a dropped line.
    """
    return merge_blocks(text, split_blocks(text), min_words, max_words)


def merge_blocks(text: str, blocks: list[Block], min_words: int = MIN_WORDS,
                 max_words: int = MAX_WORDS) -> list[tuple[int, int]]:
    """Passage spans from marked blocks (see `segment_text`). Word counts are counted once per
    block and added up (blocks are separated by whitespace only), so this stays linear."""
    groups: list[list[tuple[int, int, int]]] = [[]]  # runs of adjacent non-boilerplate blocks
    for b in blocks:
        if b.boilerplate:
            groups.append([])
        else:
            groups[-1].append((b.start, b.end, count_words(text[b.start:b.end])))
    out: list[tuple[int, int]] = []
    for group in groups:
        merged: list[list[int]] = []  # [start, end, words]
        carry: tuple[int, int, int] | None = None  # a short fragment waiting for the next paragraph
        for s, e, w in group:
            if carry is not None:
                s, w, carry = carry[0], w + carry[2], None
            if w >= min_words:
                merged.append([s, e, w])
            elif merged and merged[-1][2] < max_words:
                merged[-1][1:] = [e, merged[-1][2] + w]
            else:
                carry = (s, e, w)
        if carry is not None:
            merged.append(list(carry))
        for s, e, w in merged:
            out.extend(_split_long(text, s, e, max_words) if w > max_words else [(s, e)])
    return out


def segment_article(article: Article, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS) -> list[Passage]:
    return passages_from_spans(article, segment_text(article.text, min_words, max_words))


def passages_from_spans(article: Article, spans: Iterable[tuple[int, int]]) -> list[Passage]:
    """Passage records for spans of the article text, with their stable ids."""
    passages, seen = [], {}
    for index, (s, e) in enumerate(spans):
        text = article.text[s:e]
        pid = passage_id(article.id, text)
        seen[pid] = seen.get(pid, 0) + 1
        if seen[pid] > 1:  # the same paragraph twice in one article
            pid = f"{pid}-{seen[pid]}"
        passages.append(Passage(pid, article.id, index, text, s, e, count_words(text)))
    return passages


def iter_passages(articles: Iterable[Article], **kwargs) -> Iterator[Passage]:
    for article in articles:
        yield from segment_article(article, **kwargs)
