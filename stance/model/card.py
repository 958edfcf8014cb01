"""The model card written beside every bundle: what the model is for, what it learned from, how
well it does on passages it did not see, and where it will go wrong."""

from __future__ import annotations

from pathlib import Path


MIN_PASSAGES = 300  # below this, scores swing with a few labels (see the learning curve in the README)
MIN_PER_FRAME = 30  # positive examples a frame needs before its threshold means much


def model_warnings(meta: dict, report: dict) -> list[str]:
    """What a user must know before trusting the model: too few labels, no better than the lexicon."""
    out = []
    c = meta["training_data"]["counts"]
    thin = [f"{f} {c[f]}" for f in meta["frames"] if c.get(f, 0) < MIN_PER_FRAME]
    if c["passages"] < MIN_PASSAGES or thin:
        out.append(f"trained on only {c['passages']} labelled passages"
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


def _provenance(meta: dict) -> str:
    data = meta["training_data"]
    if data.get("shipped_gold") or "source" not in data:  # bundles from before "source" were all shipped gold
        return ("- Trained on the gold corpus shipped with stance: passages written for this project, not "
                "sampled from published coverage. Expect lower scores on real articles by strangers than the "
                "cross-validated figures below (leave-one-writer-out is the closer guide).")
    return (f"- Trained on your own labels ({data['source']}). The scores below hold for passages like those you "
            "labelled; on coverage sampled differently (other outlets, years or topics) expect them to be lower, "
            "and check a sample by hand.")


def write_model_card(out_dir: Path, meta: dict, report: dict) -> Path:
    from .evaluate import report_markdown

    c = meta["training_data"]["counts"]
    cfg = meta["config"]
    lines = [
        f"# Model card: {meta['name']}", "",
        "## Intended use",
        "Tagging paragraphs of opinion-leaning technology coverage (news analyses, op-eds, newsletters about AI "
        f"labs, Big Tech and research culture) with the frames of codebook `{meta['codebook']['name']}` "
        f"{meta['codebook']['version']} ({', '.join(meta['frames'])}), and profiling articles from those tags. "
        "It supports research on how coverage is framed; it is not a fact checker and not a judge of any "
        "single article. Check a sample of its tags against your own reading before you rely on it.", "",
        "## Model",
        f"- Features: `{cfg['features']}`" + (f" (static embeddings `{meta['embeddings']['path']}`, "
                                             f"SHA-256 {meta['embeddings']['sha256'][:16]}...)" if meta.get("embeddings") else ""),
        f"- Classifier: one-vs-rest `{cfg['classifier']}` (C={cfg['C']}, balanced class weights), Platt-calibrated on "
        "out-of-fold scores from grouped cross-validation; per-frame thresholds chosen on those scores: "
        + ", ".join(f"{f} {t:.2f}" for f, t in meta["thresholds"].items()) + ".",
        f"- Seed {cfg['seed']}; trained in {meta['train_seconds']} s; versions: "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + ".", "",
        "## Data",
        f"{c['passages']} gold-labelled passages from {c['articles']} articles "
        f"({', '.join(f'{f} {c[f]}' for f in meta['frames'])}, none {c['none']}); "
        f"training data SHA-256 {meta['training_data']['sha256'][:16]}...",
        ("Writers: " + ", ".join(meta["training_data"]["writers"]) + "." if meta["training_data"]["writers"] else ""), "",
        "## Limits",
        *[f"- **Warning:** {w}" for w in meta.get("warnings", [])],
        _provenance(meta),
        "- English only; paragraphs of news length. Very short or very long passages are less reliable.",
        "- Frames are defined by the codebook; a passage about a topic (Meta, open source, LLMs) is not framed by "
        "that alone, but topic-matched passages remain the commonest false positives (see the report).",
        "- Load only bundles you trust: a joblib file runs code when loaded (stance checks its SHA-256 first).", "",
    ]
    if report:
        lines += ["## Evaluation", "", report_markdown(report).split("\n", 2)[2]]
    path = Path(out_dir) / "MODEL_CARD.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
