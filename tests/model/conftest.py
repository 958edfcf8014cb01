import json
from pathlib import Path

import numpy as np
import pytest

from stance.codebook import load_codebook
from stance.labeling.export import gold_records
from stance.model.data import training_set

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def codebook():
    return load_codebook()


@pytest.fixture(scope="session")
def gold(codebook):
    """The shipped gold corpus (label store + corpus metadata)."""
    return training_set(gold_records(ROOT / "labels" / "annotations", codebook), codebook.frame_keys, ROOT / "labels" / "corpus")


@pytest.fixture(scope="session")
def small(gold):
    """About a quarter of the gold articles: enough to train in a second."""
    keep = sorted(set(gold.article_ids))[::4]
    return gold.subset(np.isin(gold.article_ids, keep))


@pytest.fixture(scope="session")
def small_bundle(small, codebook, tmp_path_factory):
    from stance.model.bundle import load_bundle
    from stance.model.pipeline import TrainConfig
    from stance.model.train import train_model

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
