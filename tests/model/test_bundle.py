"""Saving and loading bundles: the checks that keep a stale or tampered model from running."""

import json
import os
import pickle
import shutil
import subprocess

import numpy as np
import pytest
import skops.io as sio

from stance.errors import ModelError
from stance.hashing import file_sha256
from stance.codebook import parse_codebook
from stance.model.bundle import load_bundle


@pytest.fixture
def bundle_dir(small_bundle, tmp_path):
    target = tmp_path / "b"
    shutil.copytree(small_bundle.path, target)
    return target


class Payload:
    """What an attacker would put in a shared bundle: a type whose loading runs a shell command."""

    def __init__(self, marker: str):
        self.marker = marker

    def __setstate__(self, state):
        subprocess.run(f"touch {state['marker']}", shell=True, check=True)
        self.__dict__.update(state)

    def __reduce__(self):  # the same, for pickle
        return (os.system, (f"touch {self.marker}",))


def _rehash(bundle_dir, rewrite_json, name="model.skops"):
    digest = file_sha256(bundle_dir / name)
    rewrite_json(bundle_dir / "model.json", lambda m: m.update({"model_sha256": digest}))


def test_round_trip_predicts_the_same(small_bundle, bundle_dir, small):
    again = load_bundle(bundle_dir)
    texts = small.texts[:20]
    assert np.array_equal(again.predict_proba(texts), small_bundle.predict_proba(texts))
    assert again.frames == small.frames and len(again.thresholds) == len(small.frames)
    assert again.training.sha256 == small.sha256()
    assert again.config == small_bundle.config and again.model_id == small_bundle.model_id
    for key in ("scikit-learn", "numpy", "scipy", "skops", "python"):
        assert key in again.versions
    meta = json.loads((bundle_dir / "model.json").read_text())
    assert "thresholds" not in meta  # stored once, in the classifier
    assert (bundle_dir / "MODEL_CARD.md").read_text().startswith("# Model card")
    assert not (bundle_dir / "model.joblib").exists()


def test_corrupted_model_file_is_refused(bundle_dir):
    with open(bundle_dir / "model.skops", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="does not match model.json"):
        load_bundle(bundle_dir)


def test_code_running_model_file_is_refused_without_running(small_bundle, bundle_dir, rewrite_json, tmp_path):
    """A shared bundle whose model file builds a type that runs a shell command, with model.json's
    hash updated to match: stance names the type and refuses it; nothing runs."""
    marker = tmp_path / "pwned"
    pipe = small_bundle.pipeline
    pipe.named_steps["clf"].payload_ = Payload(str(marker))
    try:
        sio.dump(pipe, bundle_dir / "model.skops")
    finally:
        del pipe.named_steps["clf"].payload_
    _rehash(bundle_dir, rewrite_json)
    with pytest.raises(ModelError, match=r"untrusted types found in the file: .*Payload.*stance train"):
        load_bundle(bundle_dir)
    assert not marker.exists()
    # The file really would run the command if its types were trusted blindly:
    sio.load(bundle_dir / "model.skops", trusted=sio.get_untrusted_types(file=bundle_dir / "model.skops"))
    assert marker.exists()


def test_old_joblib_bundle_is_refused_unread(bundle_dir, rewrite_json, tmp_path):
    """A format-1 bundle (a pickle), even with a matching hash, is never unpickled."""
    marker = tmp_path / "pwned"
    (bundle_dir / "model.skops").unlink()
    with open(bundle_dir / "model.joblib", "wb") as fh:
        pickle.dump(Payload(str(marker)), fh)
    _rehash(bundle_dir, rewrite_json, "model.joblib")
    rewrite_json(bundle_dir / "model.json", lambda m: m.update({"format_version": 1}))
    with pytest.raises(ModelError, match=r"old joblib format.*stance train --labels LABELS --out"):
        load_bundle(bundle_dir)
    assert not marker.exists()


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
