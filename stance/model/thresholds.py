"""The one rule for "a passage carries a frame": its calibrated probability is at least the
frame's threshold. Tagging, profiles, evaluation, suggestions and the classifier all ask here."""

from __future__ import annotations


def carries(proba, thresholds):
    """Boolean array shaped like `proba` (n_passages x n_frames, or one row): proba >= threshold."""
    import numpy as np

    return np.asarray(proba, dtype=float) >= np.asarray(thresholds, dtype=float)
