"""Labelling commands: label, adjudicate, labels stats, agreement, export, import."""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import List, Optional

import typer

from ..articles import iter_articles
from ..labeling.agreement import find_disagreements, frame_agreement, undecided_disagreements
from ..codebook import load_codebook
from ..labeling.export import FORMATS, export_gold, import_labels
from ..labeling.session import Session, adjudication_items, items_from_articles, run_plain, stdin_is_terminal
from ..labeling.store import LabelStore, check_annotator, current_labels, gold_labels, label_stats
from ..labeling.suggest import ORDERS, load_lexicon_suggester, order_items
from ..passage_text import with_texts
from ..boilerplate import detect_boilerplate

from ..paths import find_project, labels_dir as resolve_labels_dir
from .common import (CodebookOpt, Command, EncodingOpt, Group, IdFieldOpt, InputsArg, KeepBoilerplateOpt, LabelsDirOpt,
                     EXIT_NOTHING, OutOpt, ProblemLog, ProjectOpt, TextFieldOpt, err, output_stream, read_options)

TextsOpt = typer.Option(None, "--texts", metavar="FILE",
                        help="Where to read the text of labels stored by reference (ids and hashes "
                        "only), e.g. ../shared/real-coverage/articles.jsonl.")
AnnotatorOpt = typer.Option(..., "--annotator", "-a", metavar="NAME",
                            help="Your name; your answers go to NAME.jsonl in the labels folder.")
PlainOpt = typer.Option(False, "--plain", help="No TTY needed: read one answer per line from stdin "
                                               "(1,3 by hotkeys, 0 none, s skip, u undo, q quit).")


def _store(labels_dir: Optional[Path], codebook: Optional[Path], project: Optional[Path],
           writing: bool = False) -> LabelStore:
    store = LabelStore(resolve_labels_dir(labels_dir, find_project(project) if labels_dir is None else None),
                       load_codebook(codebook))
    if writing:  # before the first passage is shown, not at the first answer
        store.check_writable()
    return store


def _read_all(store: LabelStore):
    events, warnings = store.read_all()
    for w in warnings:
        err(f"stance: warning: {w}")
    return events


def _need_terminal(plain: bool) -> None:
    if not plain and not stdin_is_terminal():
        err("stance: not a terminal: labelling reads single keypresses from a TTY. "
            "Run it in a terminal, or pass --plain to read one answer per line from stdin.")
        raise typer.Exit(2)


def _run(session: Session, plain: bool) -> None:
    if plain:
        run_plain(session, sys.stdin, sys.stderr)
    else:
        from ..labeling.terminal import Terminal, run_terminal  # termios: only on a TTY

        with Terminal(sys.stdin.fileno(), sys.stderr) as term:
            run_terminal(session, term)
    done, total = session.progress()
    left = total - done
    err(f"stance: {session.annotator}: {session.answered} answered, {session.skipped} skipped, "
        f"{session.undone} undone this session; {done} of {total} done"
        + (f", {left} to go (run the same command to continue)" if left else "")
        + f"; labels in {session.store.path(session.annotator)}")


def label(
    inputs: List[str] = InputsArg,
    annotator: str = AnnotatorOpt,
    codebook: Optional[Path] = CodebookOpt,
    labels_dir: Optional[Path] = LabelsDirOpt,
    project: Optional[Path] = ProjectOpt,
    order: str = typer.Option("sequential", "--order", help=f"Which passages first: {' | '.join(ORDERS)} "
                              "(seeds: most likely framed by the seed lexicon; uncertain: where --model is "
                              "least sure)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed for --order random (same seed, same order)."),
    plain: bool = PlainOpt,
    suggest: bool = typer.Option(True, "--suggest/--no-suggest", help="Pre-select frames the seed lexicon "
                                 "suggests (when a lexicon exists)."),
    lexicon: Optional[Path] = typer.Option(None, "--lexicon", help="Seed lexicon TOML (default: seeds/lexicon.toml)."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Suggest frames with this trained model "
                                         "instead of the seed lexicon (e.g. models/default)."),
    by_reference: bool = typer.Option(False, "--by-reference", help="Store passage ids and text hashes, "
                                      "not the text (for articles you may not copy); commands read the "
                                      "text back from the articles (--texts)."),
    keep_boilerplate: bool = KeepBoilerplateOpt,

    text_field: str = TextFieldOpt,
    id_field: str = IdFieldOpt,
    encoding: str = EncodingOpt,
) -> None:
    """Label passages with single keypresses; quit any time, run it again to continue.

    Every answer is saved the moment you give it; passages you answered are not shown again.

    Keys: frame hotkeys toggle · Enter accept (nothing toggled = none) · 0/n none · s skip ·
    u undo · ? codebook · q quit.

    Example: stance label seeds/articles --annotator alice
    """
    store = _store(labels_dir, codebook, project, writing=True)
    check_annotator(annotator)
    _need_terminal(plain)
    problems = ProblemLog()
    options = read_options(text_field, id_field, encoding)
    boilerplate = detect_boilerplate(inputs, options, keep=keep_boilerplate)
    items = items_from_articles(problems.count(iter_articles(inputs, options, on_error=problems)), boilerplate)
    if not items:
        problems.finish()  # exits when no article could be read
        err("stance: error: no passages to label in the inputs")
        raise typer.Exit(EXIT_NOTHING)
    if by_reference:
        items = [replace(it, by_reference=True) for it in items]
    events, warnings = store.read(annotator)
    for w in warnings:
        err(f"stance: warning: {w}")
    if model is not None:
        from ..model.bundle import load_bundle
        from ..model.suggest import ModelSuggester

        suggester = ModelSuggester(load_bundle(model, store.codebook))
        suggester.prefetch([it.text for it in items])
    else:
        suggester = load_lexicon_suggester(store.codebook, lexicon) if (suggest or order == "seeds") else None
    ordered = order_items(items, order, lambda it: it.text, suggester, seed)
    session = Session(ordered, store, annotator, events, "label", suggester if suggest else None)
    if session.current is None:
        err(f"stance: {annotator} has answered all {len(items)} passages of these inputs")
    else:
        _run(session, plain)
    problems.finish()


def adjudicate(
    inputs: Optional[List[str]] = typer.Argument(None, help="The labelled articles, optional: shows each "
                                                 "passage with its title and the passage before it."),
    annotator: str = AnnotatorOpt,
    codebook: Optional[Path] = CodebookOpt,
    labels_dir: Optional[Path] = LabelsDirOpt,
    project: Optional[Path] = ProjectOpt,
    plain: bool = PlainOpt,
    ties_only: bool = typer.Option(False, "--ties-only", help="Only passages without a strict majority."),
    texts: Optional[Path] = TextsOpt,
) -> None:
    """Decide the passages annotators disagree on; your answers become the gold labels.

    Shows each annotator's answer, with the frames they all chose pre-selected; keys as in
    `stance label`. Passages already decided (by you or another adjudicator) are not shown again.

    Example: stance adjudicate seeds/articles --annotator carol
    """
    store = _store(labels_dir, codebook, project, writing=True)
    check_annotator(annotator)
    _need_terminal(plain)
    events = _read_all(store)
    disagreements, n_all = undecided_disagreements(events)
    if n_all and not disagreements:
        err(f"stance: all {n_all} disagreements in {store.directory} are adjudicated")
        return
    if ties_only:
        tied = {u.passage_id for u in gold_labels(events)[1]}
        disagreements = [d for d in disagreements if d.passage_id in tied]
    context = items_from_articles(iter_articles(inputs, on_error=ProblemLog())) if inputs else []
    known = {m.passage_id: it.text for it in context for m in it.members}
    items = adjudication_items(with_texts(disagreements, known, texts), context)
    if not items:
        err(f"stance: no disagreements to adjudicate in {store.directory}")
        return
    session = Session(items, store, annotator, events, "adjudicate")
    if session.current is None:
        err(f"stance: {annotator} has adjudicated all {len(items)} disagreements")
        return
    _run(session, plain)


def stats(
    labels_dir: Optional[Path] = LabelsDirOpt,
    project: Optional[Path] = ProjectOpt,
    codebook: Optional[Path] = CodebookOpt,
) -> None:
    """Passages labelled per annotator and per frame, and how often frames occur together.

    Example: stance labels stats
    """
    store = _store(labels_dir, codebook, project)
    s = label_stats(_read_all(store), store.codebook)
    if not s.rows:
        err(f"stance: no labels in {store.directory} yet; start with: stance label ARTICLES --annotator NAME")
        raise typer.Exit(1)
    keys = store.codebook.frame_keys
    width = max(len(a) for a in [*s.rows, "annotator"])

    def table(cols: list[str]) -> list[str]:  # two narrow tables fit 80 columns, one wide did not
        lines = [f"{'annotator':<{width}}  " + "  ".join(cols)]
        for ann, row in s.rows.items():
            lines.append(f"{ann:<{width}}  " + "  ".join(f"{row[col]:>{len(col)}}" for col in cols))
        return lines

    out = table(["passages", "none", "skipped", "imported", "adjudicated"])
    out += ["", "Answers carrying each frame:"]
    out += table(list(keys))
    out += ["", f"{s.passages} distinct passages labelled; {s.shared} by two or more annotators.",
            "", "Frames together (answers carrying both):"]
    kw = max(len(k) for k in keys)
    out.append(" " * (kw + 2) + "  ".join(keys))
    for a in keys:
        out.append(f"{a:<{kw}}  " + "  ".join(f"{s.together[a][b]:>{len(b)}}" for b in keys))
    print("\n".join(out))


def agreement(
    labels_dir: Optional[Path] = LabelsDirOpt,
    project: Optional[Path] = ProjectOpt,
    codebook: Optional[Path] = CodebookOpt,
    disagreements: bool = typer.Option(False, "--disagreements", help="Also list the passages annotators differ on."),
    as_json: bool = typer.Option(False, "--json", help="Write JSON instead of a table."),
    output: Optional[Path] = OutOpt,
) -> None:
    """Agreement per frame: percent, Krippendorff's alpha, Cohen's kappa per annotator pair.

    Over the passages labelled by two or more annotators (adjudications do not count).

    Example: stance agreement --disagreements
    """
    store = _store(labels_dir, codebook, project)
    labels = current_labels(_read_all(store))
    rows = frame_agreement(labels, store.codebook)
    if not rows[0].n:
        names = sorted({a for a, _ in labels}) or ["none yet"]
        err(f"stance: no passage in {store.directory} is labelled by two or more annotators "
            f"(annotators: {', '.join(names)}); a second annotator labels the same articles with "
            "stance label ARTICLES --annotator NAME")
        raise typer.Exit(1)
    found = find_disagreements(labels) if disagreements else []
    with output_stream(output) as out:
        if as_json:
            doc = {"frames": [r.to_dict() for r in rows]}
            if disagreements:
                doc["disagreements"] = [d.to_dict() for d in found]
            out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
            return
        fw = max(len(r.frame) for r in rows)
        out.write(f"Agreement over {rows[0].n} passages labelled by two or more annotators\n\n")
        out.write(f"{'frame':<{fw}}  {'n':>4}  {'agree':>6}  {'alpha':>6}\n")
        for r in rows:  # Cohen's kappa per pair on lines of their own: many annotators make many pairs
            out.write(f"{r.frame:<{fw}}  {r.n:>4}  {_pct(r.percent):>6}  {_num(r.alpha):>6}\n")
            kappas = ", ".join(f"{k.annotator_a}/{k.annotator_b} {_num(k.kappa)} ({k.n})" for k in r.kappas)
            out.write(textwrap.fill(kappas, 78, initial_indent="  kappa per pair (n): ", subsequent_indent="    ",
                                    break_on_hyphens=False) + "\n")
        if any(r.alpha is None or any(k.kappa is None for k in r.kappas) for r in rows):
            out.write("\nn/a: undefined (every answer the same, so no variation to agree on).\n")
        if disagreements:
            out.write(f"\nDisagreements ({len(found)}):\n")
            for d in found:
                out.write(f"\n{d.passage_id} ({d.article_id})\n")
                out.write(textwrap.fill(d.text, 78, initial_indent="  ", subsequent_indent="  ") + "\n")
                for ann, frames in d.votes.items():
                    out.write(f"    {ann}: {', '.join(frames) or 'none'}\n")


def _num(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _pct(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def export(
    output: Optional[Path] = OutOpt,
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help=f"{' | '.join(FORMATS)} (default: from the "
                                      "-o suffix; a folder means hf; stdout means jsonl)."),
    labels_dir: Optional[Path] = LabelsDirOpt,
    project: Optional[Path] = ProjectOpt,
    codebook: Optional[Path] = CodebookOpt,
    splits: Optional[Path] = typer.Option(None, "--splits", help="CSV or JSON mapping article_id to split "
                                          "(default: 20% of articles to test by a hash of the id)."),
) -> None:
    """Gold labels, one row per passage: adjudicated, else strict majority, else the single answer.

    Example: stance export -o gold.jsonl   ·   stance export --format hf -o gold_dataset
    """
    fmt = fmt or _format_from(output)
    store = _store(labels_dir, codebook, project)
    if output is None or str(output) == "-":
        with output_stream(None) as out:
            summary = export_gold(store, fmt, out, splits)
    else:
        summary = export_gold(store, fmt, output, splits)
    per = ", ".join(f"{k} {v}" for k, v in sorted(summary.per_split.items()))
    err(f"stance: exported {summary.rows} gold labels ({per})" + (f" to {output}" if output else ""))
    if summary.unresolved:
        err(f"stance: left out {len(summary.unresolved)} tied passage(s) with no majority; "
            "decide them with: stance adjudicate --annotator NAME --ties-only")
        for u in summary.unresolved[:10]:
            err(f"  {u.passage_id}: " + " · ".join(f"{a}: {','.join(f) or 'none'}" for a, f in u.votes.items()))


def _format_from(output: Optional[Path]) -> str:
    if output is None or str(output) == "-":
        return "jsonl"
    suffix = output.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "csv", "parquet"):
        return suffix
    if not suffix:
        return "hf"
    err(f"stance: cannot tell the format from {output}; pass --format {'|'.join(FORMATS)}")
    raise typer.Exit(2)


def import_(
    file: Path = typer.Argument(..., help="CSV or JSON Lines file of labels made with another tool."),
    annotator: str = AnnotatorOpt,
    codebook: Optional[Path] = CodebookOpt,
    labels_dir: Optional[Path] = LabelsDirOpt,
    project: Optional[Path] = ProjectOpt,
    text_field: str = typer.Option("text", "--text-field", help="Field holding the passage text."),
    frames_field: str = typer.Option("frames", "--frames-field", help="Field holding the frames (a JSON list, "
                                     "or 'a;b' / 'a|b'); without it, one 0/1 column per frame is read."),
) -> None:
    """Add labels made elsewhere as one annotator's answers (source "import").

    Optional fields article_id (default: a hash of the text) and passage_id (default: computed
    from article id and text, as stance segment does); other fields are ignored.

    Example: stance import old_labels.csv --annotator alice
    """
    store = _store(labels_dir, codebook, project, writing=True)
    summary = import_labels(file, store, check_annotator(annotator), text_field, frames_field)
    err(f"stance: imported {summary.written} label(s) from {file} as {annotator}"
        + (f"; {summary.unchanged} already there unchanged" if summary.unchanged else ""))


def register(app: typer.Typer) -> None:
    app.command("label", cls=Command)(label)
    app.command("adjudicate", cls=Command)(adjudicate)
    app.command("agreement", cls=Command)(agreement)
    app.command("export", cls=Command)(export)
    app.command("import", cls=Command)(import_)
    labels_app = typer.Typer(help="Look at the label store.", no_args_is_help=True,
                             rich_markup_mode=None, cls=Group)
    labels_app.command("stats", cls=Command)(stats)
    app.add_typer(labels_app, name="labels")
