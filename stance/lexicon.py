"""The seed lexicon: weighted phrases per frame, for cold-start suggestions while labelling and as
a dictionary baseline that the model must beat.

File format (TOML): one table per frame, phrases matched case-insensitively on word boundaries.

    [frames.corporate_critical]
    threshold = 1.0
    terms = { "power grab" = 1.0, "gutted" = 0.8 }
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CodebookError
from .paths import default_lexicon


@dataclass
class Lexicon:
    terms: dict[str, dict[str, float]]  # frame -> phrase -> weight
    thresholds: dict[str, float]

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Lexicon":
        path = Path(path) if path else default_lexicon()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CodebookError(f"{path}: seed lexicon not found; pass --lexicon with a lexicon TOML file") from None
        except tomllib.TOMLDecodeError as exc:
            raise CodebookError(f"{path}: not valid TOML ({exc})") from None
        frames = raw.get("frames", {})
        terms = {f: {str(k).lower(): float(v) for k, v in t.get("terms", {}).items()} for f, t in frames.items()}
        thresholds = {f: float(t.get("threshold", 1.0)) for f, t in frames.items()}
        return cls(terms, thresholds)

    def __post_init__(self) -> None:
        self._patterns = {
            f: [(re.compile(r"(?<!\w)" + re.escape(p).replace(r"\ ", r"\s+") + r"(?!\w)", re.IGNORECASE), w)
                for p, w in t.items()]
            for f, t in self.terms.items()
        }

    def score(self, text: str) -> dict[str, float]:
        return {f: sum(w * len(p.findall(text)) for p, w in pats) for f, pats in self._patterns.items()}

    def matches(self, text: str, frame: str) -> list[str]:
        return [m.group(0) for p, _ in self._patterns.get(frame, []) for m in p.finditer(text)]

    def suggest(self, text: str) -> list[str]:
        return [f for f, s in self.score(text).items() if s >= self.thresholds[f]]

    def predict(self, texts: list[str], frames: list[str]) -> np.ndarray:
        rows = []
        for t in texts:
            s = self.score(t)
            rows.append([int(s.get(f, 0.0) >= self.thresholds.get(f, 1.0)) for f in frames])
        return np.array(rows, dtype=np.int8).reshape(len(texts), len(frames))
