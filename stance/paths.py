"""Default locations, in one place.

Shipped data (the default codebook, the default model, the static embeddings) lives in the
top-level `labels/` and `models/` folders of a checkout; `pip install .` copies them into the
package as `stance/labels` and `stance/models`. Working data (annotations, models you train)
defaults to folders under the current directory.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_root() -> Path:
    """The folder holding the shipped `labels/`, `models/` and `seeds/`: the package when installed,
    the repository root in a checkout."""
    if (_PACKAGE_DIR / "models").is_dir():
        return _PACKAGE_DIR
    return _PACKAGE_DIR.parent


def default_codebook() -> Path:
    return shipped_root() / "labels" / "codebook.toml"


def default_model() -> Path:
    return shipped_root() / "models" / "default"


def default_static_embeddings() -> Path:
    return shipped_root() / "models" / "static-minilm-256"


def default_lexicon() -> Path:
    return shipped_root() / "seeds" / "lexicon.toml"


# Working data, relative to where the user runs stance.
DEFAULT_ANNOTATIONS_DIR = Path("labels") / "annotations"
