"""Profile a corpus into a file: the whole `stance profile` use case (local engine) in one call.

The output is checked before any work, a resumed output is checked against the model, boilerplate
is found across the inputs, and profiles and failures are written as they come; the CLI keeps only
its options, the progress bar and the summary it prints.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterable

from ..articles import ReadOptions, iter_articles
from ..errors import InputError, StanceError
from .batch import DEFAULT_BATCH_SIZE, BatchStats, default_workers, estimate_total, profile_batch
from .output import ErrorReport, ResumeState, errors_path_for, open_writer, output_target, prepare_resume
from .profile import MAX_ARTICLE_WORDS, Profile


@dataclass
class CorpusRun:
    """What a run did: where it wrote (None: stdout), its counts, and its error report."""

    output: Path | None
    stats: BatchStats
    report: ErrorReport


def profile_corpus(inputs: Iterable[str | Path], output: Path | str | None = None, *, model=None,
                   options: ReadOptions | None = None, workers: int | None = None, total: int | None = None,
                   resume: bool = False, batch_size: int = DEFAULT_BATCH_SIZE, max_words: int = MAX_ARTICLE_WORDS,
                   errors: Path | None = None, keep_boilerplate: bool = False, stdout: IO[str] | None = None,
                   on_resume: Callable[[ResumeState], None] | None = None,
                   on_progress: Callable[[BatchStats], None] | None = None,
                   on_profile: Callable[[Profile], None] | None = None) -> CorpusRun:
    """Profile every article of `inputs` into `output` (a .jsonl, .csv or .parquet file; None or
    "-": JSON Lines on `stdout`), failures into `errors` (default: <output>.errors.jsonl next to
    it; none for stdout).

    `model`: a bundle folder or name (None: the default model). `workers` None: chosen from
    `total` (the articles in the inputs, counted here when not given). `resume`: skip the articles
    already in the JSON Lines output, after cutting a torn last line; `on_resume` hears what was
    found there before the run starts. `on_progress` and `on_profile` are passed to `profile_batch`.
    """
    from ..boilerplate import detect_boilerplate
    from ..model.bundle import load_bundle

    inputs = list(inputs)
    output, _ = output_target(output)  # an unknown extension fails before any work
    if resume and output is None:
        raise StanceError("--resume needs an output file to resume; pass -o profiles.jsonl")
    bundle = load_bundle(model)
    skip: set[str] = set()
    if resume:
        state = prepare_resume(output)
        other = state.model_ids - {bundle.model_id}
        if other:
            raise InputError(str(output), f"holds profiles from model {', '.join(sorted(other))}, not "
                                          f"{bundle.model_id}; resume with that --model or write to a new file")
        skip = state.done
        if on_resume is not None:
            on_resume(state)
    options = options or ReadOptions()
    boilerplate = detect_boilerplate(inputs, options, keep=keep_boilerplate)
    report = ErrorReport(errors or (errors_path_for(output) if output is not None else None))
    articles = iter_articles(inputs, options, on_error=report)
    if workers is None:
        workers = default_workers(total if total is not None else estimate_total(inputs), batch_size)
    writer = open_writer(output, stdout or sys.stdout, append=resume)
    try:
        stats = profile_batch(bundle, articles, writer, report, workers=workers, batch_size=batch_size,
                              max_words=max_words, skip=skip, boilerplate=boilerplate,
                              on_progress=on_progress, on_profile=on_profile)
    finally:
        writer.close()
        report.close()
    return CorpusRun(output, stats, report)
