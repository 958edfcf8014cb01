"""Fixtures for the labelling tests: the shipped codebook, a store in tmp_path, and small article
files written here (tests never touch the user's own label store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from label_helpers import ARTICLE_A, ARTICLE_B

from stance.codebook import load_codebook
from stance.labeling.store import LabelStore


@pytest.fixture
def codebook():
    return load_codebook()


@pytest.fixture
def store(tmp_path, codebook):
    return LabelStore(tmp_path / "annotations", codebook)


@pytest.fixture
def articles(tmp_path) -> Path:
    """Two articles, three passages each; one paragraph appears in both (same text)."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE_A, encoding="utf-8")
    (folder / "b.txt").write_text(ARTICLE_B, encoding="utf-8")
    return folder
