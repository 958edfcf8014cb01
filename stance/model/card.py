"""The model card written beside every bundle: what the model is for, what it learned from, how
well it does on passages it did not see, and where it will go wrong."""

from __future__ import annotations

from pathlib import Path

from .bundle import Bundle
from .evaluate import report_markdown


def write_model_card(bundle: Bundle, report: dict) -> Path:
    c = bundle.training.counts
    cfg = bundle.config
    cb = bundle.codebook_record
    emb = bundle.embeddings
    lines = [
        f"# Model card: {bundle.name}", "",
        "## Intended use",
        "Tagging paragraphs of opinion-leaning technology coverage (news analyses, op-eds, newsletters about AI "
        f"labs, Big Tech and research culture) with the frames of codebook `{cb.name}` "
        f"{cb.version} ({', '.join(bundle.frames)}), and profiling articles from those tags. "
        "It supports research on how coverage is framed; it is not a fact checker and not a judge of any "
        "single article. Check a sample of its tags against your own reading before you rely on it.", "",
        "## Model",
        f"- Features: `{cfg.features}`" + (f" (static embeddings `{emb.path}`, SHA-256 {emb.sha256[:16]}...)"
                                          if emb is not None else ""),
        f"- Classifier: one-vs-rest `{cfg.classifier}` (C={cfg.C}, balanced class weights), Platt-calibrated on "
        "out-of-fold scores from grouped cross-validation; per-frame thresholds chosen on those scores: "
        + ", ".join(f"{f} {t:.2f}" for f, t in zip(bundle.frames, bundle.thresholds)) + ".",
        f"- Seed {cfg.seed}; trained in {bundle.train_seconds} s; versions: "
        + ", ".join(f"{k} {v}" for k, v in bundle.versions.items()) + ".",
        f"- Made with `stance train --labels LABELS --out {bundle.name} --seed {cfg.seed} --features {cfg.features} "
        f"--classifier {cfg.classifier} --C {cfg.C}` (same labels and seed, same model).", "",
        "## Data",
        f"{c['passages']} gold-labelled passages from {c['articles']} articles "
        f"({', '.join(f'{f} {c[f]}' for f in bundle.frames)}, none {c['none']}); "
        f"training data SHA-256 {bundle.training.sha256[:16]}...",
        ("Writers: " + ", ".join(bundle.training.writers) + "." if bundle.training.writers else ""), "",
        "## Limits",
        "- Trained on passages written for this project, not sampled from published coverage: expect lower scores "
        "on real articles by strangers than the cross-validated figures below (leave-one-writer-out is the closer guide).",
        "- English only; paragraphs of news length. Very short or very long passages are less reliable.",
        "- Frames are defined by the codebook; a passage about a topic (Meta, open source, LLMs) is not framed by "
        "that alone, but topic-matched passages remain the commonest false positives (see the report).",
        "- The bundle is stored with skops (`model.skops`): loading builds only the types a stance model is made "
        "of and refuses any other, so a shared bundle cannot run code; its SHA-256 in model.json catches corruption.", "",
    ]
    if report:
        lines += ["## Evaluation", "", report_markdown(report).split("\n", 2)[2]]
    path = Path(bundle.path) / "MODEL_CARD.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
