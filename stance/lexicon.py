"""The seed lexicon: weighted phrases per frame, for cold-start suggestions while labelling and as
a dictionary baseline that the model must beat.

File format (TOML), one table per frame:

    [frames.corporate_critical]
    threshold = 1.0
    [frames.corporate_critical.terms]
    "power grab" = 1.0
    "gutted" = 0.7

A frame is indicated when the weights of its terms found in a passage (each term counted once)
reach its threshold (default 1.0). Terms match whole words, case- and quote-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CodebookError
from .codebook import read_toml
from .passages import normalize
from .paths import default_lexicon


_WORDS = re.compile(r"\w+")


@dataclass
class Lexicon:
    terms: dict[str, dict[str, float]]  # frame -> phrase -> weight
    thresholds: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.thresholds = {f: self.thresholds.get(f, 1.0) for f in self.terms}
        # Each term with the words it is made of: a term can only match a text that has all of
        # them as whole words, so most of the 700-odd patterns are skipped without running them
        # (the same answers as running every pattern, at model speed rather than 200 passages/s).
        self._patterns = {f: [(re.compile(r"(?<!\w)" + re.escape(normalize(t)) + r"(?!\w)"), float(w),
                               frozenset(_WORDS.findall(normalize(t))))
                              for t, w in ts.items()] for f, ts in self.terms.items()}
        # Every term once, in file order, indexed by one of its words: a passage only looks at the
        # terms of the words it has (terms without a word are always looked at).
        self._terms = [(f, pat, w, needs) for f, pats in self._patterns.items() for pat, w, needs in pats]
        # A one-word term matches exactly when it is one of the text's words (a whole-word match
        # of a run of word characters is a maximal run), so its pattern need not run.
        self._one_word = {i for i, t in enumerate(t for ts in self.terms.values() for t in ts)
                          if _WORDS.fullmatch(normalize(t))}
        self._by_word: dict[str, list[int]] = {}
        self._always = [i for i, (_f, _p, _w, needs) in enumerate(self._terms) if not needs]
        for i, (_f, _p, _w, needs) in enumerate(self._terms):
            if needs:
                self._by_word.setdefault(min(needs), []).append(i)

    @classmethod
    def load(cls, path: str | Path | None = None, frames: list[str] | None = None) -> "Lexicon":
        """Read and check a lexicon file; `frames` (the codebook's) rejects unknown frame tables."""
        path = Path(path) if path else default_lexicon()
        raw = read_toml(path, "seed lexicon not found; pass another with --lexicon")
        tables = raw.get("frames")
        if not isinstance(tables, dict):
            raise CodebookError(f"{path}: expected [frames.<key>] tables with a 'terms' table of phrase = weight")
        terms, thresholds = {}, {}
        for key, table in tables.items():
            if frames is not None and key not in frames:
                raise CodebookError(f"{path}: [frames.{key}] is not a frame of the codebook ({', '.join(frames)})")
            t = table.get("terms") if isinstance(table, dict) else None
            if not isinstance(t, dict) or not all(isinstance(w, (int, float)) for w in t.values()):
                raise CodebookError(f"{path}: [frames.{key}] needs terms = {{\"phrase\" = weight, ...}}")
            threshold = table.get("threshold", 1.0)
            if not isinstance(threshold, (int, float)) or threshold <= 0:
                raise CodebookError(f"{path}: [frames.{key}] threshold must be a positive number")
            terms[key] = {str(k): float(w) for k, w in t.items()}
            thresholds[key] = float(threshold)
        return cls(terms, thresholds)

    def scores(self, text: str) -> dict[str, float]:
        norm = normalize(text)
        words = set(_WORDS.findall(norm))
        candidates = set(self._always)
        for word in words & self._by_word.keys():
            candidates.update(self._by_word[word])
        out = {f: 0 for f in self._patterns}
        one_word = self._one_word
        for i in sorted(candidates):  # file order: the same sums, bit for bit, whatever the word order
            f, pat, w, needs = self._terms[i]
            if needs <= words and (i in one_word or pat.search(norm)):
                out[f] += w
        return out

    def suggest(self, text: str) -> list[str]:
        return [f for f, s in self.scores(text).items() if s >= self.thresholds[f] - 1e-9]

    def predict(self, texts: list[str], frames: list[str]):
        """0/1 matrix (texts x frames): the dictionary baseline."""
        import numpy as np

        rows = [[int(f in chosen) for f in frames] for chosen in map(self.suggest, texts)]
        return np.array(rows, dtype=np.int8).reshape(len(texts), len(frames))
