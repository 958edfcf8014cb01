"""Saving and loading a trained model: `models/NAME/` with `model.skops` (the fitted pipeline),
`model.json` (what it was trained on: one typed `Bundle` record) and `MODEL_CARD.md`.

Loading must not be able to run code: researchers share bundles, and whoever can change the model
file can change the SHA-256 in `model.json` beside it. So the pipeline is stored with `skops.io`,
which describes objects instead of pickling them, and loading first lists every type the file
names and refuses any type outside `TRUSTED_TYPES` before building anything. The SHA-256 still
catches a corrupted file; the scikit-learn version, codebook and embedding-table checks catch a
stale one. Bundles of the old joblib format (a pickle) are refused unread.
"""

from __future__ import annotations

import json
import platform
import zipfile
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..codebook import Codebook, parse_codebook
from ..errors import ModelError
from ..hashing import file_sha256
from ..paths import SHIPPED_LABELS, is_shipped, resolve_model
from .pipeline import TrainConfig

FORMAT_VERSION = 2
MODEL_FILE = "model.skops"
OLD_MODEL_FILE = "model.joblib"  # format 1: a pickle, never loaded

# Every type a stance pipeline is built from that skops does not trust by default (it trusts
# scikit-learn's estimators, numpy and builtins). A bundle naming any other type is refused.
TRUSTED_TYPES = [
    "stance.model.classifier.FrameClassifier",
    "stance.model.features.StaticEmbeddings",
    "stance.model.features.SentenceEncoder",
    "stance.model.features.DenseToSparse",
    "stance.model.features.LexiconScores",
    "stance.model.features.StaticWithLexicon",
    "stance.model.features.EncoderWithLexicon",
    "stance.model.adapt.CorpusShift",
    "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.svm._classes.SVC",
    "sklearn.linear_model._logistic.LogisticRegression",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.int32",
    "builtins.slice",
]


@dataclass(frozen=True)
class CodebookRecord:
    """The codebook a model was trained on, in full, so the bundle can label without the file."""

    name: str
    version: str
    sha256: str
    frames: list[str]
    content_raw: dict[str, Any]

    @classmethod
    def of(cls, codebook: Codebook) -> "CodebookRecord":
        import tomllib

        path = Path(codebook.path) if codebook.path else None
        raw = tomllib.loads(path.read_text(encoding="utf-8")) if path is not None and path.is_file() else {}
        return cls(codebook.name, codebook.version, codebook.hash(), codebook.frame_keys, raw)


@dataclass(frozen=True)
class TrainingRecord:
    sha256: str  # TrainingSet.sha256(): passages and their gold frames
    counts: dict[str, int]
    passage_ids: list[str]
    writers: list[str]
    source: str = ""  # the label store or file (bundles from before this field were all shipped gold)
    shipped_gold: bool = False
    sources: dict[str, dict] = field(default_factory=dict)  # several label sources: name -> counts, sha256


@dataclass(frozen=True)
class EmbeddingsRecord:
    path: str
    sha256: str


@dataclass
class Bundle:
    """A trained model: the fitted pipeline plus what it was trained on (`model.json`)."""

    pipeline: Any = field(repr=False)
    path: Path
    name: str
    frames: list[str]
    codebook_record: CodebookRecord
    training: TrainingRecord
    config: TrainConfig
    embeddings: EmbeddingsRecord | None
    metrics: dict[str, Any]
    train_seconds: float
    versions: dict[str, str]
    created_at: str
    model_sha256: str
    warnings: list[str] = field(default_factory=list)  # what to know before trusting it (see card.py)
    format_version: int = FORMAT_VERSION
    # The mean feature row `stance adapt` moves a corpus onto: {"of", "n", "values", ...}; None for
    # sparse features and bundles trained before adaptation existed (see stance.model.adapt).
    feature_mean: dict | None = None
    # Set in an adapted bundle: method, the corpus' SHA-256 and size, the base model.
    adaptation: dict | None = None

    # --- model.json ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": self.format_version, "name": self.name, "frames": self.frames,
                "codebook": asdict(self.codebook_record), "training_data": asdict(self.training),
                "config": asdict(self.config),
                "embeddings": asdict(self.embeddings) if self.embeddings is not None else None,
                "metrics": self.metrics, "train_seconds": self.train_seconds, "versions": self.versions,
                "created_at": self.created_at, "model_file": MODEL_FILE, "model_sha256": self.model_sha256,
                "warnings": self.warnings, "feature_mean": self.feature_mean, "adaptation": self.adaptation}

    @classmethod
    def from_dict(cls, d: dict[str, Any], pipeline: Any, path: Path) -> "Bundle":
        return cls(pipeline=pipeline, path=path, name=d["name"], frames=list(d["frames"]),
                   codebook_record=CodebookRecord(**d["codebook"]), training=TrainingRecord(**d["training_data"]),
                   config=TrainConfig(**d["config"]),
                   embeddings=EmbeddingsRecord(**d["embeddings"]) if d.get("embeddings") else None,
                   metrics=d.get("metrics", {}), train_seconds=d["train_seconds"], versions=d["versions"],
                   created_at=d["created_at"], model_sha256=d["model_sha256"], warnings=list(d.get("warnings", [])),
                   format_version=d["format_version"], feature_mean=d.get("feature_mean"),
                   adaptation=d.get("adaptation"))

    # --- using it --------------------------------------------------------------------------

    @property
    def classifier(self):
        return self.pipeline.named_steps["clf"]

    @property
    def thresholds(self):
        """Each frame's decision threshold, as the classifier learned it (stored only there)."""
        return self.classifier.thresholds_

    @property
    def model_id(self) -> str:
        return f"{self.name}@{self.model_sha256[:12]}"

    @property
    def codebook(self) -> Codebook:
        return parse_codebook(self.codebook_record.content_raw, f"{self.path}/model.json")

    def features(self, texts: list[str]):
        return self.pipeline.named_steps["features"].transform(texts)

    def classify_features(self, X):
        """Probabilities from feature rows (the steps after `features`: an adapted bundle's corpus
        shift, then the classifier)."""
        return self.pipeline[1:].predict_proba(X)

    def predict_proba(self, texts: list[str]):
        """(n_texts, n_frames) calibrated probabilities."""
        import numpy as np

        if not texts:
            return np.zeros((0, len(self.frames)))
        return self.pipeline.predict_proba(texts)

    def tag(self, texts: list[str], evidence: bool = True):
        """Frames, probabilities and evidence terms for each text (see stance.model.tagging)."""
        from .tagging import tag_texts

        return tag_texts(self, texts, evidence=evidence)


def _versions() -> dict[str, str]:
    import joblib
    import numpy as np
    import scipy
    import skops
    import sklearn

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__, "joblib": joblib.__version__, "skops": skops.__version__}


def save_bundle(pipe, data, codebook: Codebook, config: TrainConfig, out_dir: Path, metrics: dict,
                train_seconds: float, warnings: list[str] | None = None, feature_mean: dict | None = None) -> Bundle:
    """Write `model.skops` and `model.json`; returns the Bundle as `load_bundle` would give it."""
    import skops.io as sio

    from .features import find_static

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_file = out_dir / MODEL_FILE
    sio.dump(pipe, model_file, compression=zipfile.ZIP_DEFLATED)
    (out_dir / OLD_MODEL_FILE).unlink(missing_ok=True)  # a retrained old bundle keeps no pickle
    static = find_static(pipe.named_steps["features"])
    shipped_gold = bool(data.source) and is_shipped(data.source)
    bundle = Bundle(
        pipeline=pipe, path=out_dir, name=out_dir.name, frames=list(data.frames),
        codebook_record=CodebookRecord.of(codebook),
        training=TrainingRecord(data.sha256(), data.counts(), sorted(data.passage_ids),
                                sorted({w for w in data.writers if w}),
                                SHIPPED_LABELS if shipped_gold else data.source, shipped_gold,
                                data.sources() if len(set(data.domains)) > 1 else {}),
        config=config,
        embeddings=EmbeddingsRecord(static.path, static.table_sha256_) if static is not None else None,
        metrics=metrics, train_seconds=round(train_seconds, 2), versions=_versions(),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), model_sha256=file_sha256(model_file),
        warnings=list(warnings or []), feature_mean=feature_mean)
    _write_meta(bundle)
    return bundle


def _write_meta(bundle: Bundle) -> None:
    (Path(bundle.path) / "model.json").write_text(json.dumps(bundle.to_dict(), indent=2, ensure_ascii=False) + "\n",
                                                  encoding="utf-8")


def save_adapted(base: Bundle, pipe, out_dir: Path, adaptation: dict) -> Bundle:
    """`base` with an adapted pipeline, as a new bundle in `out_dir`: everything `base` records
    (training data, metrics, warnings) plus `adaptation`. Its evaluation files are copied beside it
    (they describe the base model; the caller writes the card that says so)."""
    import shutil

    import skops.io as sio

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_file = out_dir / MODEL_FILE
    sio.dump(pipe, model_file, compression=zipfile.ZIP_DEFLATED)
    bundle = replace(base, pipeline=pipe, path=out_dir, name=out_dir.name, model_sha256=file_sha256(model_file),
                     created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), adaptation=adaptation)
    _write_meta(bundle)
    for name in ("report.md", "report.json"):
        if (Path(base.path) / name).is_file():
            shutil.copyfile(Path(base.path) / name, out_dir / name)
    if (Path(base.path) / "plots").is_dir():
        shutil.copytree(Path(base.path) / "plots", out_dir / "plots", dirs_exist_ok=True)
    return bundle


def load_bundle(path: str | Path | None = None, codebook: Codebook | None = None,
                allow_version_mismatch: bool = False) -> Bundle:
    """Load a model bundle after checking that it is the file it claims to be and holds nothing
    but trusted types. `codebook`: the codebook in use; if given, the model must have been trained
    on the same one."""
    import sklearn

    path = resolve_model(path)
    meta_file, model_file = path / "model.json", path / MODEL_FILE
    retrain = f"retrain it with `stance train --labels LABELS --out {path}`"
    if (path / OLD_MODEL_FILE).exists() and not model_file.exists():
        raise ModelError(f"{path}: a model bundle in the old joblib format, which can run code when loaded, so "
                         f"stance no longer loads it; {retrain} (model.json records the seed and settings)")
    if not meta_file.exists() or not model_file.exists():
        raise ModelError(f"{path}: not a model bundle (needs model.json and {MODEL_FILE}); "
                         "run `stance train` to build one")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{meta_file}: malformed JSON at line {exc.lineno}; {retrain}") from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        version = meta.get("format_version") if isinstance(meta, dict) else None
        raise ModelError(f"{meta_file}: bundle format {version} is not {FORMAT_VERSION}; {retrain}")
    actual = file_sha256(model_file)
    if actual != meta.get("model_sha256"):
        raise ModelError(f"{model_file}: SHA-256 {actual[:12]}... does not match model.json "
                         f"({str(meta.get('model_sha256'))[:12]}...); the file was changed or corrupted, so it was "
                         f"not loaded. {retrain[0].upper() + retrain[1:]}")
    missing = [k for k in ("name", "frames", "codebook", "training_data", "config", "versions", "train_seconds",
                           "created_at") if k not in meta]
    if missing:
        raise ModelError(f"{meta_file}: missing field {missing[0]!r}; {retrain}")
    saved = meta["versions"].get("scikit-learn", "?")
    if _minor(saved) != _minor(sklearn.__version__) and not allow_version_mismatch:
        raise ModelError(f"{path}: saved with scikit-learn {saved}, this is {sklearn.__version__}; "
                         f"run `stance train --out {path}` to retrain it, install scikit-learn=={saved}, "
                         "or pass --allow-version-mismatch")
    if codebook is not None and codebook.hash() != meta["codebook"]["sha256"]:
        rec = meta["codebook"]
        raise ModelError(f"{path}: trained on codebook {rec['name']} {rec['version']}, but the codebook in use is "
                         f"{codebook.name} {codebook.version} ({_difference(rec, codebook)}); "
                         "pass the matching --codebook or retrain with `stance train`")
    bundle = Bundle.from_dict(meta, _load_pipeline(model_file, retrain), path)
    _check_embeddings(bundle)
    if bool(bundle.adaptation) != ("adapt" in bundle.pipeline.named_steps):
        raise ModelError(f"{meta_file}: " + ("records an adaptation that model.skops lacks" if bundle.adaptation else
                                             "model.skops is adapted to a corpus that model.json does not record")
                         + f"; adapt the base model again with `stance adapt CORPUS -o {path} --force`")
    return bundle


def _load_pipeline(model_file: Path, retrain: str):
    """The pipeline, built only after every type in the file is found on the trusted list."""
    import skops.io as sio

    try:
        found = sio.get_untrusted_types(file=model_file)
    except Exception as exc:  # noqa: BLE001 - not a skops file at all
        raise ModelError(f"{model_file}: not a readable skops file ({type(exc).__name__}: {exc}); {retrain}") from None
    unknown = sorted(set(found) - set(TRUSTED_TYPES))
    if unknown:
        raise ModelError(f"{model_file}: untrusted types found in the file: {', '.join(unknown)}. stance loads only "
                         "the types a stance model is made of, because loading others can run code; it was not "
                         f"loaded. Inspect it with skops.io.get_untrusted_types(file=...) if you must, or {retrain}")
    try:
        return sio.load(model_file, trusted=sorted(found))
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"{model_file}: cannot be loaded ({type(exc).__name__}: {exc}); {retrain}") from None


def _check_embeddings(bundle: Bundle) -> None:
    from .features import find_static

    static = find_static(bundle.pipeline.named_steps["features"])
    if static is not None and bundle.embeddings is not None:
        have = static.table_sha256()
        if have != bundle.embeddings.sha256:
            raise ModelError(f"{bundle.path}: trained with static embeddings {bundle.embeddings.sha256[:12]}..., but "
                             f"{static.table_file()} is {have[:12]}...; restore that table or retrain")


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


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
