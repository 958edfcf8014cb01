"""Passage text that is not ours to ship.

Labels of third-party articles (the real coverage we measure on) keep only `passage_id`,
`article_id` and the SHA-256 of the passage text. The text itself is read from the corpus at run
time: its articles are segmented as `stance segment` does, and each label finds its passage by id
(or, if segmenting has changed since, by the text's hash within its article).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .errors import StanceError

# Where the real-coverage articles are, unless a command is told: this variable, else the
# `shared/real-coverage/` folder beside a checkout.
REAL_COVERAGE_ENV = "STANCE_REAL_COVERAGE"


class MissingTextError(StanceError):
    """Labels refer to text that is not on this machine."""

    exit_code = 2


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_real_coverage() -> Path | None:
    """The real-coverage articles file, if this machine has it."""
    from .paths import shipped_root

    env = os.environ.get(REAL_COVERAGE_ENV)
    candidates = [Path(env)] if env else [shipped_root().parent / "shared" / "real-coverage",
                                          Path.cwd().parent / "shared" / "real-coverage"]
    for c in candidates:
        path = c / "articles.jsonl" if c.is_dir() else c
        if path.is_file():
            return path
    return None


def require_real_coverage(path: str | Path | None = None) -> Path:
    """The corpus file to read texts from, or an error that says how to point stance at it."""
    found = Path(path) if path else default_real_coverage()
    if found is not None and found.is_dir():
        found = found / "articles.jsonl"
    if found is None or not found.is_file():
        where = f"{found}: no such file" if found else "the real-coverage corpus is not on this machine"
        raise MissingTextError(
            f"{where}; these labels store passage ids and text hashes, not text (the articles are "
            f"third-party). Pass --texts PATH/articles.jsonl or set {REAL_COVERAGE_ENV}=PATH "
            "(a checkout finds ../shared/real-coverage/ by itself)")
    return found


def with_texts(records: list, known: dict[str, str] | None = None, corpus: str | Path | None = None) -> list:
    """Records (dataclasses with passage_id, article_id, text, text_sha256) with their text filled in.

    Records that carry their text are returned as they are; the others take it from `known`
    (passage_id -> text, e.g. from articles a command was given) or else from the corpus.
    """
    from dataclasses import replace

    known = dict(known or {})
    refs = [TextRef(r.passage_id, r.article_id, r.text_sha256) for r in records
            if not r.text and r.passage_id not in known]
    if refs:
        known.update(resolve_texts(refs, corpus))
    return [r if r.text else replace(r, text=known[r.passage_id]) for r in records]


@dataclass(frozen=True)
class TextRef:
    passage_id: str
    article_id: str
    text_sha256: str


def resolve_texts(refs: Iterable[TextRef], corpus: str | Path | None = None) -> dict[str, str]:
    """passage_id -> text for every reference, read from `corpus`; an error if any is missing.

    Only the articles the references name are segmented. A passage whose id no longer exists is
    found by its text hash within the same article; a hash that matches nothing is an error.
    """
    from .articles import iter_articles
    from .boilerplate import RULES_ONLY
    from .passages import segment_article

    refs = list(refs)
    path = require_real_coverage(corpus)
    wanted: dict[str, list[TextRef]] = {}
    for r in refs:
        wanted.setdefault(r.article_id, []).append(r)
    out: dict[str, str] = {}
    for article in iter_articles([path]):
        if article.id not in wanted:
            continue
        # Plain line-rule passages, and the same with boilerplate leads cut (as `stance label` and
        # `stance segment` give them since boilerplate rules exist): a label may come from either.
        passages = segment_article(article) + list(RULES_ONLY.segment(article))
        by_id = {p.passage_id: p.text for p in passages}
        by_hash = {text_sha256(p.text): p.text for p in passages}
        for r in wanted[article.id]:
            text = by_id.get(r.passage_id)
            if text is None or (r.text_sha256 and text_sha256(text) != r.text_sha256):
                text = by_hash.get(r.text_sha256)
            if text is not None:
                out[r.passage_id] = text
    missing = [r for r in refs if r.passage_id not in out]
    if missing:
        first = missing[0]
        raise MissingTextError(
            f"{path}: {len(missing)} of {len(refs)} labelled passages are not in this corpus (first: passage "
            f"{first.passage_id} of article {first.article_id}); is it the corpus the labels were made on?")
    return out
