"""What every command shares: input options, error collection, writing output."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterable, Iterator, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from ..articles import Article, ReadOptions
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
ModelOpt = typer.Option(None, "--model", "-m", metavar="DIR|NAME",
                        help="Model bundle folder, or the name of a model in the project (default: the shipped "
                             "default model).")
ProjectOpt = typer.Option(None, "--project", metavar="DIR",
                          help="Project folder for your labels, models and outputs (default: $STANCE_PROJECT, "
                               "else the nearest stance.toml at or above here, else the per-user data folder).")
LabelsDirOpt = typer.Option(None, "--labels-dir", metavar="DIR",
                            help="Folder of annotator files (default: the project's labels/annotations; "
                                 "'shipped': the gold corpus that ships with stance, read-only).")


class Command(TyperCommand):
    """Help as a researcher reads it on an 80-column terminal: `INPUTS...` in the usage line, one
    metavar per option (`FILE`, `N`), nothing for a flag. Typer's own plain help writes `{inputs}...`
    and `<path>`, `<int range>`; its Rich help eats `[brackets]` as markup."""

    def invoke(self, ctx):
        """Ctrl-C: one line and status 130 (click would print "Aborted!" and exit 1, which the exit
        status rule keeps for runs that finished with skipped inputs)."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            err("stance: interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None

    def collect_usage_pieces(self, ctx) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for p in self.get_params(ctx):
            if p.param_type_name == "argument":
                pieces.append(_argument_name(p) if p.required else f"[{_argument_name(p)}]")
        return pieces

    def format_options(self, ctx, formatter) -> None:
        args, opts = [], []
        for p in self.get_params(ctx):
            record = p.get_help_record(ctx)
            if record is None:
                continue
            if p.param_type_name == "argument":
                args.append((_argument_name(p), record[1]))
            else:
                opts.append((_option_name(p, ctx), record[1]))
        for title, rows in (("Arguments", args), ("Options", opts)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows, col_max=26)


class Group(TyperGroup):
    """Lists each command with its whole first sentence, wrapped (click cuts it at one line)."""

    def format_commands(self, ctx, formatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=200)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _argument_name(p) -> str:
    return (p.metavar or p.name.upper()) + ("..." if p.nargs != 1 else "")


def _option_name(p, ctx) -> str:
    names = ", ".join(sorted(p.opts, key=len))
    if p.secondary_opts:
        names += " / " + ", ".join(p.secondary_opts)
    if p.is_flag or p.count:
        return names
    if p.metavar:
        return f"{names} {p.metavar}"
    kind = p.display_type(ctx).strip("<>") if hasattr(p, "display_type") else ""
    return f"{names} {_TYPE_METAVARS.get(kind, kind.upper() or 'VALUE')}"


_TYPE_METAVARS = {"path": "PATH", "int": "N", "int range": "N", "float": "X", "float range": "X", "str": "TEXT"}


def read_options(text_field: str, id_field: str, encoding: str) -> ReadOptions:
    return ReadOptions(text_field=text_field, id_field=id_field, encoding=encoding)


def err(message: str) -> None:
    """A diagnostic line on stderr."""
    print(message, file=sys.stderr, flush=True)


# Exit status of every command that reads articles (segment, tag, label, profile); README "Exit status".
EXIT_OK = 0  # every input read, every article processed
EXIT_SKIPPED = 1  # the run finished and wrote its output, but some inputs or articles were skipped (named)
EXIT_NOTHING = 2  # nothing usable: no article could be read or processed (also: a bad option, a fatal error)
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell expects


def run_status(processed: int, skipped: int) -> int:
    """The exit status of a run that processed `processed` articles and skipped `skipped` inputs
    or articles."""
    if processed == 0:
        return EXIT_NOTHING
    return EXIT_SKIPPED if skipped else EXIT_OK


def finish_run(processed: int, skipped: int, verb: str = "read") -> None:
    """End a run by the rule above: say why when nothing was usable, and exit non-zero when
    anything was skipped (the skipped ones were named already)."""
    status = run_status(processed, skipped)
    if status == EXIT_NOTHING:
        err(f"stance: error: no article could be {verb}"
            + (" (see the reasons above)" if skipped else "; the inputs hold no articles"))
    if status != EXIT_OK:
        raise typer.Exit(status)


class ProblemLog:
    """Bad inputs, each named on stderr as it happens and listed again at the end, and the
    articles that were read fine (`count`), so `finish` can apply the exit-status rule."""

    def __init__(self) -> None:
        self.problems: list[InputError] = []
        self.articles = 0

    def __call__(self, error: InputError) -> None:
        self.problems.append(error)
        err(f"stance: skipped {error}")

    def count(self, articles: Iterable[Article]) -> Iterator[Article]:
        """The articles, counted as they pass."""
        for article in articles:
            self.articles += 1
            yield article

    def finish(self, verb: str = "read") -> None:
        if self.problems:
            err(f"stance: {len(self.problems)} input problem(s):")
            for p in self.problems:
                err(f"  {p}")
        finish_run(self.articles, len(self.problems), verb)


@contextmanager
def output_stream(path: Optional[Path]) -> Iterator[IO[str]]:
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        yield fh
