"""A trained model as a labelling suggester: it has the `suggest`/`scores` methods of
`stance.labeling.suggest.Suggester` (and `uncertainty` for `--order uncertain`) without importing
the labelling side; the CLI plugs it into a session."""

from __future__ import annotations

from typing import Sequence

from .thresholds import carries


class ModelSuggester:
    """Frames a trained model predicts, with its calibrated probabilities as scores. Probabilities
    are computed in one batch up front (`prefetch`), so the session never waits on the model."""

    def __init__(self, bundle):
        self.bundle = bundle
        self._proba: dict[str, list[float]] = {}

    def prefetch(self, texts: Sequence[str]) -> None:
        todo = [t for t in dict.fromkeys(texts) if t not in self._proba]
        for t, row in zip(todo, self.bundle.predict_proba(todo) if todo else []):
            self._proba[t] = [float(p) for p in row]

    def scores(self, passage_text: str) -> dict[str, float]:
        if passage_text not in self._proba:
            self.prefetch([passage_text])
        return dict(zip(self.bundle.frames, self._proba[passage_text]))

    def suggest(self, passage_text: str) -> list[str]:
        self.scores(passage_text)
        chosen = carries(self._proba[passage_text], self.bundle.thresholds)
        return [f for f, c in zip(self.bundle.frames, chosen) if c]

    def uncertainty(self, passage_text: str) -> float:
        """Distance of the closest frame probability to its threshold: small = the model is unsure."""
        probs = self.scores(passage_text).values()
        return min(abs(p - float(t)) for p, t in zip(probs, self.bundle.thresholds))
