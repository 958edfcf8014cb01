from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ..articles import iter_articles
from ..boilerplate import DropStats, detect_boilerplate, iter_clean_passages
from ..jsonl import write_jsonl
from ..passages import MAX_WORDS, MIN_WORDS
from .common import (EncodingOpt, IdFieldOpt, InputsArg, KeepBoilerplateOpt, OutOpt, ProblemLog, TextFieldOpt, err,
                     output_stream, read_options)


def segment(
    inputs: List[str] = InputsArg,
    output: Optional[Path] = OutOpt,
    min_words: int = typer.Option(MIN_WORDS, help="Fragments shorter than this are merged into a neighbour."),
    max_words: int = typer.Option(MAX_WORDS, help="Paragraphs longer than this are split at sentence boundaries."),
    keep_boilerplate: bool = KeepBoilerplateOpt,
    explain: Optional[Path] = typer.Option(None, "--explain",
                                           help="Write every dropped block here as JSON Lines: article_id, start, "
                                                "end (character offsets) and reason."),
    text_field: str = TextFieldOpt,
    id_field: str = IdFieldOpt,
    encoding: str = EncodingOpt,
) -> None:
    """Split articles into passages (the unit that is labelled, tagged and profiled), as JSON Lines.

    Boilerplate (headings, bylines, menus, CSS residue, share and newsletter lines, blocks
    repeated in 3 or more articles of an outlet) is dropped and counted by reason on stderr.

    Example: stance segment seeds/articles -o passages.jsonl --explain dropped.jsonl
    """
    problems = ProblemLog()
    options = read_options(text_field, id_field, encoding)
    boilerplate = detect_boilerplate(inputs, options, keep=keep_boilerplate)
    articles = problems.count(iter_articles(inputs, options, on_error=problems))
    stats = DropStats()
    dropped = _ExplainWriter(explain) if explain is not None else None
    passages = iter_clean_passages(articles, boilerplate, min_words, max_words, stats, dropped)
    try:
        with output_stream(output) as out:
            n = write_jsonl((p.to_dict() for p in passages), out)
    finally:
        if dropped is not None:
            dropped.close()
    err(f"stance: wrote {n} passages; {stats.summary()}" + (f" (listed in {explain})" if explain else ""))
    problems.finish()


class _ExplainWriter:
    """Dropped blocks, one JSON line each as they come (so memory stays flat)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(path, "w", encoding="utf-8")

    def append(self, item: tuple[str, int, int, str]) -> None:
        article_id, start, end, reason = item
        self.fh.write(json.dumps({"article_id": article_id, "start": start, "end": end, "reason": reason},
                                 ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.fh.close()
