"""Saving and loading a trained model: `models/NAME/` with `model.joblib`, `model.json` and
`MODEL_CARD.md`. This is the only place that calls `joblib.load`, and it checks first.

A joblib file runs code when loaded, so loading verifies the file's SHA-256 against `model.json`,
refuses another scikit-learn minor version (unless allowed), a different codebook, or a different
static-embedding table. Load only models you trust.
"""

from __future__ import annotations

import json
import platform
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..labeling.codebook import Codebook, parse_codebook
from ..paths import resolve_model
from .features import file_sha256, find_static

FORMAT_VERSION = 1


def _versions() -> dict[str, str]:
    import joblib
    import scipy
    import sklearn

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__, "joblib": joblib.__version__}


@dataclass
class Bundle:
    """A loaded model: the fitted pipeline plus what it was trained on."""

    pipeline: object
    meta: dict
    path: Path

    @property
    def frames(self) -> list[str]:
        return list(self.meta["frames"])

    @property
    def thresholds(self) -> np.ndarray:
        return np.array([self.meta["thresholds"][f] for f in self.frames])

    @property
    def model_id(self) -> str:
        return f"{self.meta['name']}@{self.meta['model_sha256'][:12]}"

    @property
    def codebook(self) -> Codebook:
        return parse_codebook(self.meta["codebook"]["content_raw"], f"{self.path}/model.json")

    def features(self, texts: list[str]) -> np.ndarray:
        return self.pipeline.named_steps["features"].transform(texts)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """(n_texts, n_frames) calibrated probabilities."""
        if not texts:
            return np.zeros((0, len(self.frames)))
        return self.pipeline.named_steps["clf"].predict_proba(self.features(texts))

    def predict(self, texts: list[str]) -> np.ndarray:
        return (self.predict_proba(texts) >= self.thresholds).astype(np.int8)

    def tag(self, texts: list[str], evidence: bool = True):
        """Frames, probabilities and evidence terms for each text (see stance.tagging)."""
        from ..tagging import tag_texts

        return tag_texts(self, texts, evidence=evidence)


def codebook_record(codebook: Codebook, raw: dict) -> dict:
    return {"name": codebook.name, "version": codebook.version, "sha256": codebook.hash(),
            "frames": codebook.frame_keys, "content_raw": raw}


def save_bundle(pipe, data, codebook: Codebook, config, out_dir: Path, report: dict, train_seconds: float) -> Path:
    import joblib
    import tomllib

    from ..paths import is_shipped
    from .card import model_warnings, write_model_card

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_file = out_dir / "model.joblib"
    joblib.dump(pipe, model_file, compress=3)
    clf = pipe.named_steps["clf"]
    static = find_static(pipe.named_steps["features"])
    raw_codebook = tomllib.loads(Path(codebook.path).read_text(encoding="utf-8")) if codebook.path and Path(codebook.path).exists() else {}
    meta = {
        "format_version": FORMAT_VERSION,
        "name": out_dir.name,
        "frames": data.frames,
        "thresholds": {f: float(t) for f, t in zip(data.frames, clf.thresholds_)},
        "codebook": codebook_record(codebook, raw_codebook),
        "training_data": {"sha256": data.sha256(), "counts": data.counts(), "passage_ids": sorted(data.passage_ids),
                          "writers": sorted({w for w in data.writers if w}), "source": data.source,
                          "shipped_gold": bool(data.source) and is_shipped(data.source)},
        "config": config.to_dict(),
        "embeddings": ({"path": static.path, "sha256": static.table_sha256_} if static is not None else None),
        "metrics": report.get("summary", {}),
        "train_seconds": round(train_seconds, 2),
        "versions": _versions(),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model_sha256": file_sha256(model_file),
    }
    meta["warnings"] = model_warnings(meta, report)
    (out_dir / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_model_card(out_dir, meta, report)
    return out_dir


def load_bundle(path: str | Path | None = None, codebook: Codebook | None = None,
                allow_version_mismatch: bool = False) -> Bundle:
    """Load a model bundle after checking that it is the file it claims to be.

    `codebook`: the codebook in use; if given, the model must have been trained on the same one.
    """
    import joblib
    import sklearn
    from sklearn.exceptions import InconsistentVersionWarning

    path = resolve_model(path)
    meta_file, model_file = path / "model.json", path / "model.joblib"
    if not meta_file.exists() or not model_file.exists():
        raise ModelError(f"{path}: not a model bundle (needs model.json and model.joblib); "
                         "run `stance train` to build one")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{meta_file}: malformed JSON at line {exc.lineno}; run `stance train` to rebuild it") from None
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{meta_file}: bundle format {meta.get('format_version')} is not {FORMAT_VERSION}; "
                         "run `stance train` to rebuild it")
    actual = file_sha256(model_file)
    if actual != meta["model_sha256"]:
        raise ModelError(f"{model_file}: SHA-256 {actual[:12]}... does not match model.json "
                         f"({meta['model_sha256'][:12]}...); the file was changed or corrupted, so it was not "
                         "loaded. Run `stance train` to rebuild it, and load only models you trust")
    saved = meta["versions"]["scikit-learn"]
    if _minor(saved) != _minor(sklearn.__version__) and not allow_version_mismatch:
        raise ModelError(f"{path}: saved with scikit-learn {saved}, this is {sklearn.__version__}; "
                         f"run `stance train --out {path}` to retrain it, install scikit-learn=={saved}, "
                         "or pass --allow-version-mismatch")
    if codebook is not None and codebook.hash() != meta["codebook"]["sha256"]:
        raise ModelError(f"{path}: trained on codebook {_describe(meta['codebook'])}, but the codebook in use is "
                         f"{codebook.name} {codebook.version} ({_difference(meta['codebook'], codebook)}); "
                         "pass the matching --codebook or retrain with `stance train`")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if allow_version_mismatch else "error", InconsistentVersionWarning)
        try:
            pipeline = joblib.load(model_file)
        except InconsistentVersionWarning as w:
            raise ModelError(f"{path}: {w}; run `stance train` to retrain it or pass --allow-version-mismatch") from None
    static = find_static(pipeline.named_steps["features"])
    if static is not None and meta.get("embeddings"):
        have = static.table_sha256()
        if have != meta["embeddings"]["sha256"]:
            raise ModelError(f"{path}: trained with static embeddings {meta['embeddings']['sha256'][:12]}..., but "
                             f"{static.table_file()} is {have[:12]}...; restore that table or retrain")
    return Bundle(pipeline=pipeline, meta=meta, path=path)


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _describe(rec: dict) -> str:
    return f"{rec['name']} {rec['version']}"


def _difference(rec: dict, codebook: Codebook) -> str:
    theirs, ours = set(rec["frames"]), set(codebook.frame_keys)
    if theirs != ours:
        parts = []
        if theirs - ours:
            parts.append(f"model-only frames: {', '.join(sorted(theirs - ours))}")
        if ours - theirs:
            parts.append(f"codebook-only frames: {', '.join(sorted(ours - theirs))}")
        return "; ".join(parts)
    if rec["name"] != codebook.name or rec["version"] != codebook.version:
        return f"name/version differ: {rec['name']} {rec['version']} vs {codebook.name} {codebook.version}"
    return "same frames, different definitions or hotkeys"
