import json
from pathlib import Path

import numpy as np
import pytest

from stance.codebook import load_codebook
from stance.model.data import load_training_set

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def codebook():
    return load_codebook()


@pytest.fixture(scope="session")
def gold(codebook):
    """The shipped gold corpus (label store + corpus metadata)."""
    return load_training_set(ROOT / "labels" / "annotations", codebook, ROOT / "labels" / "corpus")


@pytest.fixture(scope="session")
def small(gold):
    """About a quarter of the gold articles: enough to train in a second."""
    keep = sorted(set(gold.article_ids))[::4]
    return gold.subset(np.isin(gold.article_ids, keep))


@pytest.fixture(scope="session")
def small_bundle(small, codebook, tmp_path_factory):
    from stance.model.bundle import load_bundle
    from stance.model.train import TrainConfig, train_model

    out = tmp_path_factory.mktemp("models") / "small"
    train_model(small, codebook, out, TrainConfig(), evaluate=False)
    return load_bundle(out)


@pytest.fixture
def rewrite_json():
    """Edit a JSON file in place: rewrite_json(path, lambda meta: ...)."""
    def rewrite(path: Path, change) -> None:
        meta = json.loads(path.read_text())
        change(meta)
        path.write_text(json.dumps(meta))
    return rewrite
