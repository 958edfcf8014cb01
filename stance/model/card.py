"""The model card written beside every bundle: what the model is for, what it learned from, how
well it does on passages it did not see, and where it will go wrong."""

from __future__ import annotations

from pathlib import Path

from .bundle import Bundle, TrainingRecord
from .evaluate import report_markdown

MIN_PASSAGES = 300  # below this, scores swing with a few labels (see the learning curve in the README)
MIN_PER_FRAME = 30  # positive examples a frame needs before its threshold means much


def model_warnings(frames: list[str], counts: dict[str, int], report: dict) -> list[str]:
    """What a user must know before trusting the model: too few labels, no better than the lexicon."""
    out = []
    thin = [f"{f} {counts[f]}" for f in frames if counts.get(f, 0) < MIN_PER_FRAME]
    if counts["passages"] < MIN_PASSAGES or thin:
        out.append(f"trained on only {counts['passages']} labelled passages"
                   + (f" (few examples of {', '.join(thin)})" if thin else "")
                   + f"; scores are unstable below about {MIN_PASSAGES} passages and {MIN_PER_FRAME} examples "
                     "per frame: label more before relying on it.")
    cv = report.get("grouped_cv", {})
    model, lexicon = cv.get("model", {}).get("macro_f1"), cv.get("lexicon_baseline", {}).get("macro_f1")
    if model is not None and lexicon is not None and model <= lexicon:
        out.append(f"in grouped cross-validation it does no better than the seed-lexicon baseline (macro-F1 "
                   f"{model:.2f} vs {lexicon:.2f}): the keyword list alone tags as well; label more, or try "
                   "--features ngrams.")
    if not report:
        out.append("not evaluated (trained with --no-evaluate): its scores on unseen passages are unknown.")
    return out


def _provenance(training: TrainingRecord, config) -> str:
    if training.sources:
        parts = [f"{name}: {s['passages']} passages from {s['articles']} articles"
                 + (f" (weight {config.source_weights[name]})" if name in config.source_weights else "")
                 for name, s in training.sources.items()]
        return ("- Trained on several label sources: " + "; ".join(parts) + "."
                + (f" Probabilities are calibrated and thresholds chosen on the `{config.tune_on}` passages' "
                   "out-of-fold scores, and the evaluation below leads with that text." if config.tune_on else ""))
    if training.shipped_gold or not training.source:
        return ("- Trained on the gold corpus shipped with stance: passages written for this project, not "
                "sampled from published coverage. Expect lower scores on real articles by strangers than the "
                "cross-validated figures below (leave-one-writer-out is the closer guide).")
    return (f"- Trained on your own labels ({training.source}). The scores below hold for passages like those you "
            "labelled; on coverage sampled differently (other outlets, years or topics) expect them to be lower, "
            "and check a sample by hand.")


def expectations(target: dict) -> list[str]:
    """The headline figure on the target text, and what it means for a user's own corpus."""
    name, held = target["source"], target["held_out"]["model"]
    lo, hi = held["macro_f1_interval"]
    lex = target["held_out"].get("lexicon_baseline", {}).get("macro_f1")
    per = target["held_out"].get("per_outlet", {})
    spread = sorted(v["macro_f1"] for v in per.values() if v["framed"] >= 10)
    return [
        "## What to expect", "",
        f"- On {name} coverage from articles it never saw, macro-F1 is **{held['macro_f1']:.2f}** "
        f"(95% interval {lo:.2f}-{hi:.2f}, {held['n']} passages)"
        + (f", against {lex:.2f} for the seed-lexicon baseline" if lex is not None else "") + ".",
        ("- It varies by outlet (macro-F1 " + ", ".join(f"{v:.2f}" for v in spread)
         + " on the outlets with at least 10 framed test passages): expect your own corpus to land anywhere in "
           "that range, lower for outlets, years or topics unlike these." if spread else
         "- Expect lower scores on outlets, years or topics unlike these."),
        "- Frames are rare in ordinary coverage and the model's errors are mostly topic taken for frame; read the "
        "shares of a profile as a screening measure, check a sample of tagged passages by hand, and for a study "
        "label a few hundred of your own passages, train on them with the shipped labels "
        "(`stance train --labels shipped --labels mine=YOUR_LABELS --tune-on mine`) and "
        "report that model's held-out score.", ""]


def train_command(bundle: Bundle) -> str:
    """The `stance train` command that rebuilds this model."""
    cfg = bundle.config
    labels = cfg.labels or [bundle.training.source or "LABELS"]
    parts = ["stance train"] + [f"--labels {lab}" for lab in labels]
    parts += [f"--weight {name}={w:g}" for name, w in cfg.source_weights.items()]
    parts += [f"--tune-on {cfg.tune_on}"] if cfg.tune_on else []
    parts += [f"--reference-corpus {cfg.reference_corpus}"] if getattr(cfg, "reference_corpus", None) else []
    parts += [f"--seed {cfg.seed} --features {cfg.features} --classifier {cfg.classifier} --C {cfg.C:g}"]
    return " ".join(parts)


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
        f"- Made with `{train_command(bundle)}` (same labels and seed, same model).",
        _mean_line(bundle), "",
        "## Data",
        f"{c['passages']} gold-labelled passages from {c['articles']} articles "
        f"({', '.join(f'{f} {c[f]}' for f in bundle.frames)}, none {c['none']}); "
        f"training data SHA-256 {bundle.training.sha256[:16]}...",
        ("Writers: " + ", ".join(bundle.training.writers) + "." if bundle.training.writers else ""), "",
        "## Limits",
        *[f"- **Warning:** {w}" for w in bundle.warnings],
        _provenance(bundle.training, cfg),
        "- English only; paragraphs of news length. Very short or very long passages are less reliable.",
        "- Frames are defined by the codebook; a passage about a topic (Meta, open source, LLMs) is not framed by "
        "that alone, but topic-matched passages remain the commonest false positives (see the report).",
        "- The bundle is stored with skops (`model.skops`): loading builds only the types a stance model is made "
        "of and refuses any other, so a shared bundle cannot run code; its SHA-256 in model.json catches corruption.", "",
    ]
    if report.get("target_text", {}).get("held_out"):
        lines += expectations(report["target_text"])
    if report:
        lines += ["## Evaluation", "", report_markdown(report).split("\n", 2)[2]]
    path = Path(bundle.path) / "MODEL_CARD.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _mean_line(bundle: Bundle) -> str:
    m = bundle.feature_mean
    if not m:
        return "- `stance adapt` cannot adapt it: no training mean recorded (sparse features, or an older bundle)."
    return (f"- For `stance adapt`: the mean feature row of {m['of']} ({m['n']:,} passages) is recorded in "
            "model.json; an adapted copy moves its corpus' mean there.")


def write_adapted_card(bundle: Bundle, base: Bundle) -> Path:
    """The card of an adapted bundle: what was adapted to what, then the base model's card (whose
    figures describe the base model: adaptation was not evaluated on this corpus's labels)."""
    a = bundle.adaptation
    corpus = a["corpus"]
    base_card = Path(base.path) / "MODEL_CARD.md"
    body = base_card.read_text(encoding="utf-8").split("\n", 1)[1] if base_card.is_file() else ""
    lines = [
        f"# Model card: {bundle.name} (adapted from {base.model_id})", "",
        "## Adaptation",
        f"- Method: `{a['method']}`: the corpus' feature rows are moved by one vector (norm {a['shift_norm']:.4f}) so "
        f"that their mean is {bundle.feature_mean['of']}'s mean; the classifier and thresholds are the base model's.",
        f"- Corpus: {corpus['articles']:,} articles, {corpus['passages']:,} passages after dropping boilerplate "
        f"(SHA-256 of its article ids and texts {corpus['sha256'][:16]}...), read from "
        + ", ".join(f"`{i}`" for i in corpus["inputs"]) + ".",
        "- Use it on that corpus only: `stance tag` and `stance profile` refuse other inputs (a part of the corpus "
        "counts as other inputs) unless you pass --force.",
        "- On the real-coverage test split adapting to an outlet's own articles did not raise macro-F1 "
        "(see the README, `stance adapt`): check a sample of its tags before you prefer it to the base model.",
        "- The sections below are the base model's card; its figures were measured without adaptation.", "",
    ]
    path = Path(bundle.path) / "MODEL_CARD.md"
    path.write_text("\n".join(lines) + body, encoding="utf-8")
    return path
