"""A trained model as a labelling suggester: it has the `suggest`/`scores` methods of
`stance.labeling.suggest.Suggester` (and `uncertainty`, `margins` and `embed` for `--order
uncertain` and `--order diverse`) without importing the labelling side; the CLI plugs it into a
session."""

from __future__ import annotations

from typing import Sequence

from .thresholds import carries


class ModelSuggester:
    """Frames a trained model predicts, with its calibrated probabilities as scores. Feature rows
    and probabilities are computed in one batch up front (`prefetch`), so the session never waits
    on the model."""

    def __init__(self, bundle):
        self.bundle = bundle
        self._proba: dict[str, list[float]] = {}
        self._rows: dict[str, object] = {}

    def prefetch(self, texts: Sequence[str]) -> None:
        todo = [t for t in dict.fromkeys(texts) if t not in self._proba]
        if not todo:
            return
        rows = self.bundle.features(todo)
        proba = self.bundle.classifier.predict_proba(rows)
        for k, (t, p) in enumerate(zip(todo, proba)):
            self._proba[t] = [float(x) for x in p]
            self._rows[t] = rows[k:k + 1] if hasattr(rows, "toarray") else rows[k]  # sparse rows stay sparse

    def scores(self, passage_text: str) -> dict[str, float]:
        if passage_text not in self._proba:
            self.prefetch([passage_text])
        return dict(zip(self.bundle.frames, self._proba[passage_text]))

    def suggest(self, passage_text: str) -> list[str]:
        self.scores(passage_text)
        chosen = carries(self._proba[passage_text], self.bundle.thresholds)
        return [f for f, c in zip(self.bundle.frames, chosen) if c]

    def margins(self, passage_text: str) -> dict[str, float]:
        """Each frame's probability minus its threshold: > 0 carried, near 0 unsure."""
        return {f: p - float(t) for (f, p), t in zip(self.scores(passage_text).items(), self.bundle.thresholds)}

    def uncertainty(self, passage_text: str) -> float:
        """Distance of the closest frame probability to its threshold: small = the model is unsure."""
        return min(abs(m) for m in self.margins(passage_text).values())

    def embed(self, texts: Sequence[str]):
        """(n_texts, d): the model's feature rows, dense, where diversity is measured. Sparse
        n-gram rows are projected to 256 dimensions first (a seeded random projection keeps
        cosine distances roughly as they were, in a small fraction of the memory)."""
        import numpy as np
        from scipy import sparse

        self.prefetch(texts)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        rows = [self._rows[t] for t in texts]
        if not sparse.issparse(rows[0]):
            return np.vstack([np.asarray(r, dtype=np.float32).ravel() for r in rows])
        from sklearn.random_projection import SparseRandomProjection

        stacked = sparse.vstack(rows).tocsr()
        if stacked.shape[1] <= 256:
            return stacked.toarray().astype(np.float32)
        return SparseRandomProjection(n_components=256, dense_output=True, random_state=0).fit_transform(stacked).astype(np.float32)
