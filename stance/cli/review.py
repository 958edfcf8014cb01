"""`stance review`: the label-error review queue (stance.review), listed or shown in the labelling screen."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .common import CodebookOpt, Command, LabelsDirOpt, OutOpt, ProjectOpt, err, output_stream
from .label import PlainOpt, TextsOpt, _need_terminal, _run, _store


def review(
    labels: Optional[List[str]] = typer.Option(None, "--labels", metavar="[NAME=]DIR",
                                               help="Gold labels to review, as for `stance train`; repeat for "
                                               "several ('shipped': the written gold corpus, 'shipped-real': the "
                                               "real-coverage labels; default: the project's labels)."),
    only: Optional[List[str]] = typer.Option(None, "--only", metavar="NAME",
                                             help="Queue only this source's passages (repeatable); the other "
                                             "sources stay in training."),
    weight: Optional[List[str]] = typer.Option(None, "--weight", metavar="NAME=W",
                                               help="Weight of one label source's passages in training (default 1)."),
    tune_on: Optional[str] = typer.Option(None, "--tune-on", metavar="NAME",
                                          help="Calibrate and choose thresholds on this source, as for train."),
    annotator: Optional[str] = typer.Option(None, "--annotator", "-a", metavar="NAME",
                                            help="Your name: your review answers go to NAME.jsonl in --labels-dir "
                                            "(needed unless --list)."),
    list_: bool = typer.Option(False, "--list", help="Print the ranked queue instead of opening the screen."),
    fmt: str = typer.Option("table", "--format", "-f", help="With --list: table | csv | jsonl (csv and jsonl "
                            "carry the passage text)."),
    output: Optional[Path] = OutOpt,
    top: Optional[int] = typer.Option(None, "--top", metavar="K", help="At most the K strongest contradictions."),
    min_confidence: float = typer.Option(0.9, "--min-confidence", metavar="P",
                                         help="Queue a passage when the model contradicts its gold label with at "
                                         "least this probability (1 - p for a gold frame, p for another)."),
    labels_dir: Optional[Path] = LabelsDirOpt,
    project: Optional[Path] = ProjectOpt,
    codebook: Optional[Path] = CodebookOpt,
    texts: Optional[Path] = TextsOpt,
    features: str = typer.Option("static+lexicon", "--features", help="Features of the scoring model (as for train)."),
    classifier: str = typer.Option("logreg", "--classifier", help="logreg or svm."),
    seed: int = typer.Option(0, "--seed", help="Seed of the cross-validation folds."),
    folds: int = typer.Option(5, "--folds", metavar="N", help="Cross-validation folds by article (each passage "
                              "is scored by the model of the fold that held its article out)."),
    plain: bool = PlainOpt,
) -> None:
    """Review gold labels the model, scored out of fold, confidently contradicts: likeliest errors first.

    Every passage is scored by a model trained without its article (grouped 5-fold
    cross-validation). The screen shows the passage, its gold label (pre-selected: Enter keeps
    it) and the model's probabilities; your answer is a new vote in your own label store, and
    the gold changes only when adjudication takes it into account.

    Example: stance review --labels shipped --list --top 30
    """
    from ..codebook import load_codebook
    from ..model.pipeline import TrainConfig, default_C
    from ..paths import find_project
    from ..review import review_items, review_queue, write_queue
    from ..sources import parse_sources, parse_weights

    if not list_ and not annotator:
        raise typer.BadParameter("give your name to record review answers, or --list to print the queue",
                                 param_hint="--annotator")
    from ..review import check_cut_offs

    check_cut_offs(top, min_confidence)
    store = None
    if not list_:  # fail before minutes of scoring, not after
        store = _store(labels_dir, codebook, project, writing=True)
        from ..labeling.store import check_annotator

        check_annotator(annotator)
        _need_terminal(plain)
    cb = store.codebook if store else load_codebook(codebook)
    sources = parse_sources(labels)
    weights = parse_weights(weight, list(sources))
    if tune_on is not None and tune_on not in sources:
        raise typer.BadParameter(f"no label source named {tune_on!r} (sources: {', '.join(sources) or 'labels'})",
                                 param_hint="--tune-on")
    config = TrainConfig(features=features, classifier=classifier, C=default_C(features, classifier), seed=seed,
                         cv=folds, source_weights=weights, tune_on=tune_on, labels=list(labels or []))
    proj = find_project(project) if not labels else None
    queue = review_queue(sources, cb, proj, review=only, top=top, min_confidence=min_confidence, config=config,
                         texts=texts, progress=lambda m: err(f"stance: {m}"))
    per = "; ".join(f"{name}: {s['over']} of {s['scored']}" for name, s in queue.sources.items())
    err(f"stance: {queue.over} of {queue.scored} passages contradict their gold label with probability >= "
        f"{queue.min_confidence:g} ({per})" + (f"; the top {len(queue.entries)} queued" if top else ""))
    if list_:
        with output_stream(output) as out:
            write_queue(queue, out, fmt)
        return
    if not queue.entries:
        err("stance: nothing to review at this cut-off; lower --min-confidence to see weaker contradictions")
        return
    from ..labeling.session import Session

    events, warnings = store.read(annotator)
    for w in warnings:
        err(f"stance: warning: {w}")
    session = Session(review_items(queue), store, annotator, events, "review")
    if session.current is None:
        err(f"stance: {annotator} has reviewed all {len(session.items)} passages of this queue")
        return
    _run(session, plain)


def register(app: typer.Typer) -> None:
    app.command("review", cls=Command)(review)
