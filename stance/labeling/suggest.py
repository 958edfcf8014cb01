"""Suggestions and orderings for a labelling session.

A suggester proposes frames for a passage (pre-selected on the screen, marked "(suggested)") and
scores how strongly each frame is indicated (used to order passages). Anything with these two
methods plugs in: the seed lexicon here, a trained model (`stance.model.suggest.ModelSuggester`,
wired in by the CLI: labelling never imports the model); a new ordering is one more entry in `ORDERS`.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Callable, Protocol, Sequence, TypeVar

from ..errors import CodebookError, InputError
from ..lexicon import Lexicon
from ..paths import default_lexicon
from ..codebook import Codebook

T = TypeVar("T")


class Suggester(Protocol):
    def suggest(self, passage_text: str) -> list[str]:
        """Frame keys to pre-select; empty when there is nothing to suggest."""

    def scores(self, passage_text: str) -> dict[str, float]:
        """Frame key -> strength of the evidence; higher means more likely framed."""


class LexiconSuggester:
    """Frames whose seed-lexicon terms reach their threshold (see stance.lexicon for the format)."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon

    def scores(self, passage_text: str) -> dict[str, float]:
        return self.lexicon.scores(passage_text)

    def suggest(self, passage_text: str) -> list[str]:
        return self.lexicon.suggest(passage_text)


def load_lexicon_suggester(codebook: Codebook, path: str | Path | None = None) -> LexiconSuggester | None:
    """The seed lexicon as a suggester; None when no lexicon file exists at the default place."""
    if path is None:
        path = default_lexicon()
        if not path.exists():
            return None
    return LexiconSuggester(Lexicon.load(path, codebook.frame_keys))


# --- orderings -----------------------------------------------------------------------------

def sequential(items: Sequence[T], text: Callable[[T], str], suggester: Suggester | None, seed: int | None) -> list[T]:
    return list(items)


def shuffled(items: Sequence[T], text: Callable[[T], str], suggester: Suggester | None, seed: int | None) -> list[T]:
    out = list(items)
    random.Random(seed).shuffle(out)
    return out


def most_likely_framed(items: Sequence[T], text: Callable[[T], str], suggester: Suggester | None,
                       seed: int | None) -> list[T]:
    """Passages the suggester scores highest (on any frame) first; ties keep input order."""
    if suggester is None:
        raise CodebookError("--order seeds needs a seed lexicon (seeds/lexicon.toml) and suggestions on; "
                            "pass --lexicon FILE or use --order sequential")
    best = [max(suggester.scores(text(it)).values(), default=0.0) for it in items]
    return [items[i] for i in sorted(range(len(items)), key=lambda i: -best[i])]


def most_uncertain(items: Sequence[T], text: Callable[[T], str], suggester: Suggester | None,
                   seed: int | None) -> list[T]:
    """Passages the model is least sure about first (active learning): labels there teach it most."""
    if not hasattr(suggester, "uncertainty"):
        raise CodebookError("--order uncertain needs a model: pass --model (e.g. models/default)")
    suggester.prefetch([text(it) for it in items])
    gaps = [suggester.uncertainty(text(it)) for it in items]
    return [items[i] for i in sorted(range(len(items)), key=lambda i: gaps[i])]


ORDERS: dict[str, Callable] = {"sequential": sequential, "random": shuffled, "seeds": most_likely_framed,
                               "uncertain": most_uncertain}


def order_items(items: Sequence[T], order: str, text: Callable[[T], str],
                suggester: Suggester | None = None, seed: int | None = None) -> list[T]:
    if order not in ORDERS:
        raise InputError("--order", f"unknown order {order!r}; use one of {', '.join(ORDERS)}")
    return ORDERS[order](items, text, suggester, seed)
