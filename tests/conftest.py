"""Every test runs with its own project folder, so no test writes to the real per-user data folder."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_project(tmp_path_factory):
    old = os.environ.get("STANCE_PROJECT")
    os.environ["STANCE_PROJECT"] = str(tmp_path_factory.mktemp("project"))
    yield
    if old is None:
        os.environ.pop("STANCE_PROJECT", None)
    else:
        os.environ["STANCE_PROJECT"] = old
