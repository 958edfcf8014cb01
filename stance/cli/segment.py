from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..articles import iter_articles
from ..jsonl import write_jsonl
from ..passages import MAX_WORDS, MIN_WORDS, iter_passages
from .common import (EncodingOpt, IdFieldOpt, InputsArg, OutOpt, ProblemLog, TextFieldOpt, err,
                     output_stream, read_options)


def segment(
    inputs: List[str] = InputsArg,
    output: Optional[Path] = OutOpt,
    min_words: int = typer.Option(MIN_WORDS, help="Fragments shorter than this are merged into a neighbour."),
    max_words: int = typer.Option(MAX_WORDS, help="Paragraphs longer than this are split at sentence boundaries."),
    text_field: str = TextFieldOpt,
    id_field: str = IdFieldOpt,
    encoding: str = EncodingOpt,
) -> None:
    """Split articles into passages (the unit that is labelled, tagged and profiled), as JSON Lines.

    Example: stance segment seeds/articles -o passages.jsonl
    """
    problems = ProblemLog()
    articles = iter_articles(inputs, read_options(text_field, id_field, encoding), on_error=problems)
    with output_stream(output) as out:
        n = write_jsonl((p.to_dict() for p in iter_passages(articles, min_words=min_words, max_words=max_words)), out)
    err(f"stance: wrote {n} passages")
    problems.finish()
