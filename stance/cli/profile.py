"""Profiling commands: `profile` (articles -> one framing profile each) and `report` (profiles -> tables,
plots, HTML)."""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer

from ..profiling.batch import DEFAULT_BATCH_SIZE, BatchStats, estimate_total
from ..profiling.output import OUTPUT_FORMATS, ErrorReport, output_target, stdout_or_path
from ..profiling.profile import MAX_ARTICLE_WORDS
from .common import (Command, EncodingOpt, IdFieldOpt, InputsArg, KeepBoilerplateOpt, ModelOpt, ProjectOpt,
                     EXIT_INTERRUPTED, TextFieldOpt, err, finish_run, read_options)


class ProgressBar:
    """Articles done, articles/s and ETA on one rewritten stderr line (only on a terminal)."""

    def __init__(self, total: int | None, enabled: bool):
        self.total, self.enabled = total, enabled
        self.last = 0.0
        self.drawn = False

    def __call__(self, stats: BatchStats) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        worked = stats.profiled + stats.failed
        rate = worked / stats.seconds if stats.seconds > 0 else 0.0
        line = f"stance: {stats.done:,}"
        if self.total:
            left = max(0, self.total - stats.done)
            eta = _clock(left / rate) if rate > 0 else "?"
            line += f"/{self.total:,} articles ({min(stats.done / self.total, 1):.0%})  {rate:,.0f}/s  ETA {eta}"
        else:
            line += f" articles  {rate:,.0f}/s"
        if stats.failed:
            line += f"  {stats.failed:,} failed"
        sys.stderr.write("\r" + line + "\033[K")
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class ProfilePlotter:
    """One bar chart per article for the first `limit` profiles."""

    def __init__(self, folder: Path, limit: int):
        self.folder, self.limit, self.count = folder, limit, 0

    def __call__(self, profile) -> None:
        if self.count >= self.limit:
            return
        from ..profiling.plots import plot_profile

        self.count += 1
        name = re.sub(r"[^\w.-]+", "_", profile.article_id).strip("._")[:80] or "article"
        plot_profile(profile, self.folder / f"{self.count:04d}-{name}.png")


def profile(
    inputs: List[str] = InputsArg,
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="Write profiles here instead of stdout: .jsonl (default format), "
                                               ".csv or .parquet (flat columns: share_<frame>, expected_<frame>, ...)."),
    model: Optional[Path] = ModelOpt,
    plots: Optional[Path] = typer.Option(None, "--plots", help="Folder for one bar chart (PNG) per article."),
    max_plots: int = typer.Option(50, "--max-plots", help="Plot at most this many articles (the first ones)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1,
                                          help="Worker processes, each loading the model once (default: one for "
                                               "a small input, else up to the number of CPUs; --engine dask: the "
                                               "local cluster's size, up to 8 by default)."),
    resume: bool = typer.Option(False, "--resume",
                                help="Skip articles already in the -o file and repair a torn last line "
                                     "(needs JSON Lines output)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary line."),
    batch_size: int = typer.Option(DEFAULT_BATCH_SIZE, "--batch-size", min=1,
                                   help="Articles per chunk handed to a worker (one model call per chunk)."),
    max_words: int = typer.Option(MAX_ARTICLE_WORDS, "--max-words", min=1,
                                  help="Longer articles are not profiled but go to the error report."),
    errors: Optional[Path] = typer.Option(None, "--errors",
                                          help="Error report (JSON Lines: article_id, source, kind, reason). "
                                               "Default: <output>.errors.jsonl next to -o; none for stdout."),
    engine: str = typer.Option("local", "--engine",
                               help="local: worker processes on this machine; dask: partitions on a Dask cluster, "
                                    "-o is then a folder of part files (see README, Scaling out)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler",
                                            help="Dask scheduler address (tcp://host:8786); default: a local "
                                                 "cluster of --workers processes started for the run."),
    part_format: str = typer.Option("jsonl", "--part-format", help="Dask engine part files: jsonl or parquet."),
    keep_boilerplate: bool = KeepBoilerplateOpt,
    text_field: str = TextFieldOpt,
    id_field: str = IdFieldOpt,
    encoding: str = EncodingOpt,
    force: bool = typer.Option(False, "--force", help="Use a model adapted to another corpus on these inputs anyway."),
) -> None:
    """Profile articles: for each frame, the share of the article's words that carry it, with evidence.

    Streams any number of articles in input order; articles that cannot be profiled go to the
    error report and the run goes on. Exit status: 0 all profiled, 1 some skipped (named on
    stderr and in the error report), 2 nothing profiled (README, Exit status).

    Example: stance profile corpus.jsonl -o profiles.jsonl --plots plots/
    """
    from ..model.adapt import check_corpus
    from ..profiling.run import profile_corpus

    if engine not in ("local", "dask"):
        err(f"stance: error: unknown --engine {engine!r}; use local or dask")
        raise typer.Exit(2)
    warning = check_corpus(model, inputs, read_options(text_field, id_field, encoding), force)  # adapted models
    if warning:
        err(f"stance: warning: {warning}")
    if engine == "dask":
        _profile_dask(inputs, output, model, plots, workers, resume, quiet, batch_size, max_words, errors, scheduler,
                      part_format, read_options(text_field, id_field, encoding), keep_boilerplate)
        return
    if scheduler is not None or part_format != "jsonl":
        err("stance: error: --scheduler and --part-format need --engine dask")
        raise typer.Exit(2)
    output, _ = output_target(output)  # None: stdout; an unknown extension fails before any work
    if resume and output is None:
        err("stance: error: --resume needs an output file to resume; pass -o profiles.jsonl")
        raise typer.Exit(2)

    def resuming(state) -> None:
        if not quiet and (state.done or state.repaired_bytes):
            repaired = f"; cut a torn last line ({state.repaired_bytes} bytes)" if state.repaired_bytes else ""
            err(f"stance: resuming {output}: {len(state.done):,} articles already profiled{repaired}")

    show_bar = not quiet and sys.stderr.isatty()
    total = estimate_total(inputs) if show_bar or workers is None else None
    bar = ProgressBar(total if show_bar else None, show_bar)
    plotter = ProfilePlotter(plots, max_plots) if plots is not None else None
    try:
        run = profile_corpus(inputs, output, model=model, options=read_options(text_field, id_field, encoding),
                             workers=workers, total=total, resume=resume, batch_size=batch_size, max_words=max_words,
                             errors=errors, keep_boilerplate=keep_boilerplate, stdout=sys.stdout,
                             on_resume=resuming, on_progress=bar, on_profile=plotter)
    except KeyboardInterrupt:
        run = None  # handled below, once the pool and its traceback are gone
    finally:
        bar.close()
    if run is None:
        _interrupted(output, resume)
    _summarise(run.stats, run.report, output, plotter, quiet)
    finish_run(run.stats.profiled + run.stats.skipped, run.stats.failed, "profiled")


def _profile_dask(inputs, output, model, plots, workers, resume, quiet, batch_size, max_words, errors, scheduler,
                  part_format, options, keep_boilerplate: bool = False) -> None:
    from ..profiling.engine_dask import profile_dask

    output = stdout_or_path(output)
    if output is None:
        err("stance: error: --engine dask writes a folder of part files; pass -o OUTDIR")
        raise typer.Exit(2)
    if output.suffix.lower() in OUTPUT_FORMATS and not output.is_dir():
        err(f"stance: error: {output}: --engine dask writes a folder of part files, not one file; pass a folder "
            f"(-o {output.with_suffix('')}/); parts are JSON Lines, or Parquet with --part-format parquet")
        raise typer.Exit(2)
    for given, name in ((plots, "--plots"), (errors, "--errors")):
        if given is not None:
            err(f"stance: error: {name} works with the local engine; with --engine dask the error report is "
                f"OUTDIR/errors.jsonl (plot with `stance report {output}`)")
            raise typer.Exit(2)
    show_bar = not quiet and sys.stderr.isatty()
    bar = ProgressBar(estimate_total(inputs) if show_bar else None, show_bar)
    try:
        run = profile_dask(inputs, output, model=model, scheduler=scheduler, workers=workers, options=options,
                           fmt=part_format, batch_size=batch_size, max_words=max_words, resume=resume,
                           on_progress=bar, keep_boilerplate=keep_boilerplate)
    except KeyboardInterrupt:
        run = None
    finally:
        bar.close()
    if run is None:
        err(f"stance: interrupted; the finished partitions are kept in {output}; carry on with the same command"
            + ("" if resume else " plus --resume"))
        raise typer.Exit(EXIT_INTERRUPTED)
    if not quiet and run.resumed:
        err(f"stance: resumed {output}: {run.resumed} of {run.partitions} partitions were already done")
    _summarise(run.stats, run.report, output, None, quiet)
    finish_run(run.stats.profiled + run.stats.skipped, run.stats.failed, "profiled")


def _interrupted(output: Optional[Path], resume: bool) -> None:
    """Ctrl-C: say what is kept and how to carry on; exit 130 as a shell expects."""
    import gc

    gc.collect()  # the worker pool's semaphores are released now, not warned about at exit
    if output is not None:
        err(f"stance: interrupted; the profiles written so far are kept in {output}; carry on with the same "
            "command" + ("" if resume else " plus --resume"))
    else:
        err("stance: interrupted; to carry on after an interruption next time, write to a file "
            "(-o profiles.jsonl) and rerun with --resume")
    raise typer.Exit(EXIT_INTERRUPTED)


def _summarise(stats: BatchStats, report: ErrorReport, output: Optional[Path], plotter, quiet: bool) -> None:
    if not quiet:
        line = f"stance: profiled {_articles(stats.profiled)} in {stats.seconds:.1f} s"
        if stats.profiled and stats.seconds > 0:
            line += f" ({stats.profiled / stats.seconds:,.0f} articles/s)"
        if stats.skipped:
            line += f"; {stats.skipped:,} already in {output}"
        if plotter is not None and plotter.count:
            line += f"; {plotter.count} plots in {plotter.folder}"
        err(line + (f" -> {output}" if output else ""))
    if stats.failed:
        kinds = ", ".join(f"{n:,} {kind.replace('_', ' ')}" for kind, n in sorted(stats.failures_by_kind.items()))
        where = f"see {report.path}" if report.path else "pass -o FILE or --errors FILE for the full list"
        err(f"stance: {_articles(stats.failed)} not profiled ({kinds}); {where}")
        for f in report.first:
            err(f"  {f.article_id or '-'} ({f.source}): {f.reason}")


def _articles(n: int) -> str:
    return f"{n:,} article" + ("" if n == 1 else "s")


def report(
    profiles: List[Path] = typer.Argument(..., help="Profiles as JSON Lines (the output of `stance profile`), or "
                                                    "the folder written by `stance profile --engine dask`."),
    by: str = typer.Option("outlet", "--by", help="Group by outlet, year, month, or any other field "
                                                  "(a profile field or a field of the article records)."),
    measure: str = typer.Option("share", "--measure",
                                help="share: words in passages tagged with the frame; expected: from probabilities."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="DIR",
                                          help="Folder for the tables (CSV, Markdown), plots (PNG, SVG) and "
                                               "report.html (default: out/report in the project)."),
    project: Optional[Path] = ProjectOpt,
) -> None:
    """Summarise profiles by group: mean frame shares with 95% t intervals, plots, and one HTML page.

    The Markdown table also goes to stdout (on a narrow terminal, the same numbers as one block per
    group).

    Example: stance report profiles.jsonl --by month -o report/
    """
    from ..paths import find_project
    from ..profiling.report import build_report, iter_profiles, render_markdown, render_text, write_report

    output = output or find_project(project).out / "report"
    result = build_report(iter_profiles(profiles), by=by, measure=measure)
    written = write_report(result, output)
    table = render_markdown(result)
    columns = shutil.get_terminal_size((80, 24)).columns
    if sys.stdout.isatty() and max(map(len, table.splitlines())) > columns:
        table = render_text(result, columns)  # the Markdown table is in the -o folder
    sys.stdout.write(table)
    sys.stdout.flush()
    err(f"stance: {result.n_articles:,} articles in {len(result.groups)} groups; wrote {len(written)} files to "
        f"{output} (open {output / 'report.html'})")


def register(app: typer.Typer) -> None:
    app.command("profile", cls=Command)(profile)
    app.command("report", cls=Command)(report)
