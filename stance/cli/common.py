"""What every command shares: input options, error collection, writing output."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator, Optional

import typer

from ..articles import ReadOptions
from ..errors import InputError

InputsArg = typer.Argument(..., help="Article files, directories, saved Hugging Face datasets, or - for JSON Lines on stdin.")
OutOpt = typer.Option(None, "--output", "-o", help="Write here instead of stdout.")
TextFieldOpt = typer.Option("text", "--text-field", help="Field holding the article text in JSONL/JSON/CSV/Parquet/HF inputs.")
IdFieldOpt = typer.Option("id", "--id-field", help="Field holding the article id in record inputs.")
EncodingOpt = typer.Option("utf-8", "--encoding", help="Text encoding of the input files.")
CodebookOpt = typer.Option(None, "--codebook", help="Codebook TOML file (default: the shipped framing codebook).")
KeepBoilerplateOpt = typer.Option(False, "--keep-boilerplate",
                                  help="Keep menus, CSS residue, share/newsletter lines and blocks repeated "
                                       "across articles (dropped by default).")
ModelOpt = typer.Option(None, "--model", "-m", help="Model bundle folder (default: the shipped default model).")


def read_options(text_field: str, id_field: str, encoding: str) -> ReadOptions:
    return ReadOptions(text_field=text_field, id_field=id_field, encoding=encoding)


def err(message: str) -> None:
    """A diagnostic line on stderr."""
    print(message, file=sys.stderr, flush=True)


class ProblemLog:
    """Collects bad inputs as they happen (one line each) and summarises them at the end."""

    def __init__(self) -> None:
        self.problems: list[InputError] = []

    def __call__(self, error: InputError) -> None:
        self.problems.append(error)
        err(f"stance: skipped {error}")

    def finish(self) -> None:
        if self.problems:
            err(f"stance: {len(self.problems)} input problem(s):")
            for p in self.problems:
                err(f"  {p}")
            raise typer.Exit(2)


@contextmanager
def output_stream(path: Optional[Path]) -> Iterator[IO[str]]:
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        yield fh


def write_jsonl(records, stream: IO[str]) -> int:
    n = 0
    for rec in records:
        stream.write(json.dumps(rec, ensure_ascii=False) + "\n")
        n += 1
    return n
