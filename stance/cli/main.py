"""The `stance` command. Heavy libraries (scikit-learn, datasets, matplotlib) are imported only
inside the commands that need them, so `stance --help` starts fast."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from .. import __version__
from ..errors import StanceError
from . import label as label_cmd
from . import model as model_cmd
from . import profile as profile_cmd
from . import project as project_cmd
from . import review as review_cmd
from . import segment as segment_cmd
from .common import Command, Group

app = typer.Typer(
    name="stance",
    help="Measure how technology coverage is framed: label passages, train a model, profile articles.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    cls=Group,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"stance {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True,
                                                 help="Show the version and exit.")) -> None:
    pass


project_cmd.register(app)
app.command("segment", cls=Command)(segment_cmd.segment)
model_cmd.register(app)
label_cmd.register(app)
profile_cmd.register(app)
review_cmd.register(app)


def main() -> None:
    try:
        app()
    except StanceError as exc:
        print(f"stance: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
