"""Where a user's data goes: a project folder, never stance's shipped labels/, models/ or seeds/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stance.errors import ShippedDataError
from stance.paths import (PROJECT_MARKER, find_project, init_project, is_shipped, labels_dir, resolve_model,
                          shipped_annotations, shipped_root, user_data_dir)

ROOT = Path(__file__).resolve().parents[1]


def test_project_comes_from_option_then_env_then_marker_then_user_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("STANCE_PROJECT", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    deep = tmp_path / "study" / "notes" / "week1"
    deep.mkdir(parents=True)
    assert find_project(cwd=deep).root == user_data_dir() == tmp_path / "xdg" / "stance"
    init_project(tmp_path / "study")
    assert find_project(cwd=deep).root == tmp_path / "study"  # found above the current folder
    monkeypatch.setenv("STANCE_PROJECT", str(tmp_path / "env"))
    assert find_project(cwd=deep).root == tmp_path / "env"
    assert find_project(tmp_path / "given", cwd=deep).root == tmp_path / "given"


def test_init_makes_the_layout_and_is_idempotent(tmp_path):
    project, new = init_project(tmp_path / "p")
    assert new and (tmp_path / "p" / PROJECT_MARKER).is_file()
    assert project.annotations.is_dir() and project.models.is_dir() and project.out.is_dir()
    (project.annotations / "alice.jsonl").write_text("keep\n")
    _, new = init_project(tmp_path / "p")
    assert not new and (project.annotations / "alice.jsonl").read_text() == "keep\n"


def test_shipped_folders_are_never_a_project_or_a_write_target(tmp_path):
    with pytest.raises(ShippedDataError):
        find_project(shipped_root())
    with pytest.raises(ShippedDataError):
        init_project(shipped_root() / "labels" / "mine")
    assert is_shipped(shipped_annotations()) and is_shipped(shipped_root() / "models" / "default" / "x")
    assert not is_shipped(tmp_path) and not is_shipped(shipped_root() / "labelsx")
    assert labels_dir("shipped") == shipped_annotations()


def test_model_names_resolve_inside_the_project(tmp_path):
    project, _ = init_project(tmp_path / "p")
    (project.models / "first").mkdir()
    assert resolve_model("first", project) == project.models / "first"
    assert resolve_model(None, project).name == "default"
    assert resolve_model(tmp_path / "elsewhere", project) == tmp_path / "elsewhere"


def test_shipped_model_names_resolve_unless_the_project_has_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project, _ = init_project(tmp_path / "proj")
    shipped = resolve_model("default", project)
    assert is_shipped(shipped) and (shipped / "model.json").exists()
    (project.models / "default").mkdir(parents=True)
    assert resolve_model("default", project) == project.models / "default"  # yours first
    assert resolve_model("no-such-model", project) == Path("no-such-model")


def _checkout_copy(tmp_path: Path) -> Path:
    """The tracked files of this checkout in a fresh git repository (so `git status` shows any write)."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True)
    if files.returncode != 0:
        pytest.skip("not a git checkout")
    copy = tmp_path / "checkout"
    for name in files.stdout.splitlines():
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    subprocess.run(["git", "add", "-A"], cwd=copy, check=True)
    subprocess.run([*git, "commit", "-qm", "copy"], cwd=copy, check=True)
    return copy


def test_label_and_train_from_the_checkout_root_leave_shipped_data_alone(tmp_path):
    copy = _checkout_copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "STANCE_PROJECT"}
    env.update(PYTHONPATH=str(copy), XDG_DATA_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path / "home"))

    def stance(*args, stdin=""):
        return subprocess.run([sys.executable, "-m", "stance", *args], cwd=copy, env=env, input=stdin,
                              capture_output=True, text=True)

    # The README's own example, run where a new user would run it.
    answers = "1\n0\n2\n0\n3\n1,2\n0\n1\n0\n2\n0\n3\n1\n0\n2\n0\n1,3\n0\n2\n0\nq\n"
    r = stance("label", "seeds/articles", "--annotator", "alice", "--plain", stdin=answers)
    assert r.returncode == 0, r.stderr
    user_labels = tmp_path / "xdg" / "stance" / "labels" / "annotations" / "alice.jsonl"
    assert user_labels.is_file() and str(user_labels) in r.stderr  # it says where the labels went
    r = stance("train", "--no-evaluate", "--classifier", "logreg")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "xdg" / "stance" / "models" / "mine" / "model.skops").is_file()
    assert "models/mine" in r.stderr
    assert "warning: trained on only 20 labelled passages" in r.stderr  # a tiny model says so
    # Asking for the shipped folders explicitly is refused, with the way out.
    r = stance("label", "seeds/articles", "-a", "bob", "--plain", "--labels-dir", "labels/annotations", stdin="1\nq\n")
    assert r.returncode != 0 and "shipped data" in r.stderr and "--project" in r.stderr
    r = stance("train", "--labels", "shipped", "--out", "models/default", "--no-evaluate")
    assert r.returncode != 0 and "shipped data" in r.stderr
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=copy,
                            capture_output=True, text=True).stdout
    assert status == "", status
