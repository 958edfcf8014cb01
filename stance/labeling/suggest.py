"""Suggestions and orderings for a labelling session.

A suggester proposes frames for a passage (pre-selected on the screen, marked "(suggested)") and
scores how strongly each frame is indicated (used to order passages). Anything with these two
methods plugs in: the seed lexicon here; a trained model can be added the same way, and a new
ordering (e.g. by model uncertainty) is one more entry in `ORDERS`.
"""

from __future__ import annotations

import random
import re
import tomllib
from pathlib import Path
from typing import Callable, Protocol, Sequence, TypeVar

from ..errors import CodebookError, InputError
from ..passages import normalize
from ..paths import default_lexicon
from .codebook import Codebook

T = TypeVar("T")


class Suggester(Protocol):
    def suggest(self, passage_text: str) -> list[str]:
        """Frame keys to pre-select (may be empty: "none" is suggested)."""

    def scores(self, passage_text: str) -> dict[str, float]:
        """Frame key -> strength of the evidence; higher means more likely framed."""


class LexiconSuggester:
    """Frames whose seed terms occur in the passage. Lexicon format (TOML):

        [frames.corporate_critical]
        terms = {"power grab" = 2.0, "purge" = 1.5}

    A frame is suggested when the weights of its terms found in the passage add up to at least
    `threshold`. Terms match whole words, case- and quote-insensitively.
    """

    def __init__(self, terms: dict[str, dict[str, float]], threshold: float = 1.0):
        self.threshold = threshold
        self._patterns = {frame: [(re.compile(r"(?<!\w)" + re.escape(normalize(t)) + r"(?!\w)"), float(w))
                                  for t, w in ts.items()] for frame, ts in terms.items()}

    @classmethod
    def from_file(cls, path: str | Path, codebook: Codebook) -> "LexiconSuggester":
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CodebookError(f"{path}: seed lexicon not found; pass another with --lexicon, "
                                "or use --order sequential / random") from None
        except tomllib.TOMLDecodeError as exc:
            raise CodebookError(f"{path}: not valid TOML ({exc})") from None
        frames = raw.get("frames")
        if not isinstance(frames, dict):
            raise CodebookError(f"{path}: expected [frames.<key>] tables with a 'terms' table of phrase = weight")
        terms: dict[str, dict[str, float]] = {}
        for key, table in frames.items():
            codebook.check_frames([key], f"{path}: [frames.{key}]")
            t = table.get("terms") if isinstance(table, dict) else None
            if not isinstance(t, dict) or not all(isinstance(w, (int, float)) for w in t.values()):
                raise CodebookError(f"{path}: [frames.{key}] needs terms = {{\"phrase\" = weight, ...}}")
            terms[key] = {str(k): float(w) for k, w in t.items()}
        return cls(terms)

    def scores(self, passage_text: str) -> dict[str, float]:
        text = normalize(passage_text)
        return {frame: sum(w for pat, w in pats if pat.search(text)) for frame, pats in self._patterns.items()}

    def suggest(self, passage_text: str) -> list[str]:
        return [f for f, s in self.scores(passage_text).items() if s >= self.threshold]


def load_lexicon_suggester(codebook: Codebook, path: str | Path | None = None) -> LexiconSuggester | None:
    """The seed lexicon as a suggester; None when no lexicon file exists at the default place."""
    if path is None:
        path = default_lexicon()
        if not path.exists():
            return None
    return LexiconSuggester.from_file(path, codebook)


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


ORDERS: dict[str, Callable] = {"sequential": sequential, "random": shuffled, "seeds": most_likely_framed}


def order_items(items: Sequence[T], order: str, text: Callable[[T], str],
                suggester: Suggester | None = None, seed: int | None = None) -> list[T]:
    if order not in ORDERS:
        raise InputError("--order", f"unknown order {order!r}; use one of {', '.join(ORDERS)}")
    return ORDERS[order](items, text, suggester, seed)
