"""`stance init`: a project folder for your own labels, models and outputs."""

from __future__ import annotations

from pathlib import Path

import typer

from ..paths import init_project
from .common import Command, err


def init(directory: Path = typer.Argument(Path("."), metavar="DIR",
                                          help="The project folder to make (default: here).")) -> None:
    """Make a project folder: labels/annotations, models and out, marked by a stance.toml.

    Commands run in it (or below it) keep your labels, models and reports there, never in
    stance's shipped data. Elsewhere, pass --project DIR or set STANCE_PROJECT.

    Example: stance init ~/framing-study && cd ~/framing-study
    """
    project, new = init_project(directory)
    root = project.root
    err(f"stance: {'made' if new else 'already a'} project folder {root}: labels in {project.annotations}, "
        f"models in {project.models}, outputs in {project.out}")
    if new:
        err(f"stance: next: cd {root} && stance label ARTICLES --annotator NAME")


def register(app: typer.Typer) -> None:
    app.command("init", cls=Command)(init)
