"""Default locations, in one place.

Two kinds of data, kept apart:

- *Shipped data* (the default codebook, the gold corpus, the default model, the static embeddings,
  the sample articles and seed lexicon) lives in the top-level `labels/`, `models/` and `seeds/`
  folders of a checkout; `pip install .` copies them into the package. No command writes there.
- *Your data* (annotations, models you train, reports) lives in a *project folder*: the one given
  with `--project DIR`, else `$STANCE_PROJECT`, else the nearest folder at or above the current
  directory holding a `stance.toml` (made by `stance init DIR`), else a per-user data folder
  (`~/.local/share/stance` on Linux). Inside it: `labels/annotations/`, `models/`, `out/`.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import ShippedDataError, StanceError

_PACKAGE_DIR = Path(__file__).resolve().parent

PROJECT_MARKER = "stance.toml"
PROJECT_ENV = "STANCE_PROJECT"
# Only for maintainers rebuilding the shipped model or embeddings in a checkout.
ALLOW_SHIPPED_WRITES_ENV = "STANCE_WRITE_SHIPPED"
SHIPPED_FOLDERS = ("labels", "models", "seeds")


def shipped_root() -> Path:
    """The folder holding the shipped `labels/`, `models/` and `seeds/`: the package when installed,
    the repository root in a checkout."""
    if (_PACKAGE_DIR / "models").is_dir():
        return _PACKAGE_DIR
    return _PACKAGE_DIR.parent


def default_codebook() -> Path:
    return shipped_root() / "labels" / "codebook.toml"


def default_model() -> Path:
    return shipped_root() / "models" / "default"


def default_static_embeddings() -> Path:
    return shipped_root() / "models" / "static-minilm-256"


def default_lexicon() -> Path:
    return shipped_root() / "seeds" / "lexicon.toml"


def resolve_model(name_or_path: str | Path | None, project: "Project | None" = None) -> Path:
    """A model folder from --model: the shipped default when omitted, a folder as given, the
    name of a model trained into the project (`stance train --name NAME`), or of a shipped one
    (`strong`)."""
    if not name_or_path:
        return default_model()
    path = Path(name_or_path).expanduser()
    if path.exists() or len(path.parts) != 1:
        return path
    shipped = shipped_root() / "models" / path
    try:
        in_project = (project or find_project()).models / path
    except StanceError:
        return shipped if shipped.is_dir() else path
    if in_project.exists():
        return in_project
    return shipped if shipped.is_dir() else path


def shipped_annotations() -> Path:
    """The shipped gold corpus's label store (read-only)."""
    return shipped_root() / "labels" / "annotations"


SHIPPED_LABELS = "shipped"  # --labels shipped / --labels-dir shipped: the gold corpus that ships with stance
# --labels shipped-real: the shipped labels of real coverage (by reference: the text is read from
# the real-coverage articles at run time, see stance.passage_text)
SHIPPED_REAL_LABELS = "shipped-real"


def shipped_real_annotations() -> Path:
    return shipped_root() / "labels" / "real" / "annotations"


def labels_dir(given: str | Path | None, project: "Project | None" = None) -> Path:
    """A label store folder from --labels/--labels-dir: as given, `shipped` for the shipped gold
    corpus (read-only), else the project's labels/annotations."""
    if given is not None and str(given) == SHIPPED_LABELS:
        return shipped_annotations()
    if given is not None and str(given) == SHIPPED_REAL_LABELS:
        return shipped_real_annotations()
    if given is not None:
        return Path(given).expanduser()
    return (project or find_project()).annotations


def user_data_dir() -> Path:
    """The per-user data folder (as platformdirs would place it), used when no project is named."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "stance"


@dataclass(frozen=True)
class Project:
    """Where a user's own labels, models and outputs go. `found_by` says how it was chosen."""

    root: Path
    found_by: str

    @property
    def annotations(self) -> Path:
        return self.root / "labels" / "annotations"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def out(self) -> Path:
        return self.root / "out"


def find_project(explicit: str | Path | None = None, cwd: Path | None = None) -> Project:
    """--project, else $STANCE_PROJECT, else a stance.toml at or above `cwd`, else the per-user folder."""
    if explicit:
        project = Project(Path(explicit).expanduser(), "--project")
    elif os.environ.get(PROJECT_ENV):
        project = Project(Path(os.environ[PROJECT_ENV]).expanduser(), f"${PROJECT_ENV}")
    else:
        here = (cwd or Path.cwd()).resolve()
        marked = next((d for d in (here, *here.parents) if (d / PROJECT_MARKER).is_file()), None)
        project = (Project(marked, f"{PROJECT_MARKER} in {marked}") if marked is not None
                   else Project(user_data_dir(), "the per-user data folder (no --project, $STANCE_PROJECT "
                                                 "or stance.toml here)"))
    if project.root.resolve() == shipped_root().resolve():
        raise ShippedDataError(f"{project.root} holds stance's shipped labels/ and models/, so it cannot be a "
                               "project folder; make one elsewhere with: stance init DIR")
    return project


def is_shipped(path: str | Path) -> bool:
    """True when `path` is inside the shipped labels/, models/ or seeds/."""
    p = Path(path).expanduser().resolve()
    root = shipped_root().resolve()
    return any(p == root / f or (root / f) in p.parents for f in SHIPPED_FOLDERS)


def check_writable(path: str | Path, what: str, remedy: str) -> Path:
    """Refuse to write `what` into the shipped data; `remedy` says where to write instead."""
    if is_shipped(path) and os.environ.get(ALLOW_SHIPPED_WRITES_ENV) != "1":
        raise ShippedDataError(f"{path} is inside stance's shipped data, which no command changes; "
                               f"{what} go elsewhere: {remedy}")
    return Path(path)


def init_project(root: str | Path) -> tuple[Project, bool]:
    """Make a project folder (idempotent). Returns the project and whether it was new."""
    root = Path(root).expanduser()
    if is_shipped(root) or root.resolve() == shipped_root().resolve():
        raise ShippedDataError(f"{root} is stance's shipped data; make the project folder elsewhere")
    marker = root / PROJECT_MARKER
    new = not marker.exists()
    project = Project(root, "stance init")
    try:
        for folder in (project.annotations, project.models, project.out):
            folder.mkdir(parents=True, exist_ok=True)
        if new:
            marker.write_text(
                "# A stance project folder: commands run here (or below) keep your data here.\n"
                "#   labels/annotations/  your annotators' labels (one JSON Lines file each)\n"
                "#   models/              models you train (stance train --name NAME)\n"
                "#   out/                 reports and other outputs\n"
                "format_version = 1\n", encoding="utf-8")
    except OSError as exc:
        raise StanceError(f"{root}: cannot make a project folder ({exc.strerror}); choose a writable folder") from None
    return project, new
