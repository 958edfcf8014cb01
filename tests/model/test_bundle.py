"""Saving and loading bundles: the checks that keep a stale or tampered model from running."""

import shutil

import numpy as np
import pytest

from stance.errors import ModelError
from stance.codebook import parse_codebook
from stance.model.bundle import load_bundle


@pytest.fixture
def bundle_dir(small_bundle, tmp_path):
    target = tmp_path / "b"
    shutil.copytree(small_bundle.path, target)
    return target


def test_round_trip_predicts_the_same(small_bundle, bundle_dir, small):
    again = load_bundle(bundle_dir)
    texts = small.texts[:20]
    assert np.array_equal(again.predict_proba(texts), small_bundle.predict_proba(texts))
    meta = again.meta
    assert meta["frames"] == small.frames and set(meta["thresholds"]) == set(small.frames)
    assert meta["training_data"]["sha256"] == small.sha256()
    for key in ("scikit-learn", "numpy", "scipy", "joblib", "python"):
        assert key in meta["versions"]
    assert (bundle_dir / "MODEL_CARD.md").read_text().startswith("# Model card")


def test_tampered_model_file_is_refused(bundle_dir):
    with open(bundle_dir / "model.joblib", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="does not match model.json"):
        load_bundle(bundle_dir)


def test_other_sklearn_minor_version_is_refused_unless_allowed(bundle_dir, rewrite_json):
    rewrite_json(bundle_dir / "model.json", lambda m: m["versions"].update({"scikit-learn": "1.2.0"}))
    with pytest.raises(ModelError, match="stance train"):
        load_bundle(bundle_dir)
    assert load_bundle(bundle_dir, allow_version_mismatch=True).frames


def test_different_codebook_is_refused_naming_the_difference(bundle_dir, codebook):
    raw = {"name": "other", "version": "1", "frames": [
        {"key": "corporate_critical", "name": "C", "hotkey": "1", "definition": "d"},
        {"key": "privacy", "name": "P", "hotkey": "2", "definition": "d"}]}
    with pytest.raises(ModelError, match="codebook-only frames: privacy"):
        load_bundle(bundle_dir, codebook=parse_codebook(raw))
    assert load_bundle(bundle_dir, codebook=codebook).frames == codebook.frame_keys


def test_different_embedding_table_is_refused(bundle_dir, rewrite_json):
    rewrite_json(bundle_dir / "model.json", lambda m: m["embeddings"].update({"sha256": "0" * 64}))
    with pytest.raises(ModelError, match="static embeddings"):
        load_bundle(bundle_dir)


def test_not_a_bundle(tmp_path):
    with pytest.raises(ModelError, match="stance train"):
        load_bundle(tmp_path)
