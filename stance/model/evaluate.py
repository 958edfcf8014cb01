"""Honest evaluation: never a score on passages the model trained on.

- grouped cross-validation by article (all of an article's passages on one side of each fold);
- the fixed held-out article split recorded with the corpus, when there is one;
- leave-one-writer-out, when writers are recorded (the nearest we have to coverage by strangers,
  though it flatters n-gram features, because our writers share vocabulary with each other);
- false positives on topic-matched hard negatives;
- two baselines on the same folds: the seed-lexicon dictionary and a prior (base-rate) model;
- plots: precision-recall and reliability curves per frame, and the frame co-occurrence matrix.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import ModelError, StanceError
from ..lexicon import Lexicon
from .classifier import grouped_folds
from .data import TrainingSet
from .pipeline import fit_pipeline
from .thresholds import carries

N_BINS = 10


def frame_metrics(Y: np.ndarray, proba: np.ndarray | None, pred: np.ndarray, frames: list[str]) -> dict:
    """Per-frame P/R/F1/support (+ Brier and ECE when probabilities exist), micro/macro F1, exact match."""
    from sklearn.metrics import (accuracy_score, brier_score_loss, f1_score, precision_recall_fscore_support)

    Y, pred = np.asarray(Y).astype(int), np.asarray(pred).astype(int)
    prec, rec, f1, support = precision_recall_fscore_support(Y, pred, average=None, zero_division=0.0)
    out: dict = {"per_frame": {}, "n": int(len(Y))}
    for j, f in enumerate(frames):
        row = {"precision": float(prec[j]), "recall": float(rec[j]), "f1": float(f1[j]), "support": int(support[j])}
        if proba is not None:
            row["brier"] = float(brier_score_loss(Y[:, j], proba[:, j], labels=[0, 1]))
            row["ece"] = expected_calibration_error(Y[:, j], proba[:, j])
        out["per_frame"][f] = row
    out["macro_f1"] = float(f1_score(Y, pred, average="macro", zero_division=0.0))
    out["micro_f1"] = float(f1_score(Y, pred, average="micro", zero_division=0.0))
    out["exact_match"] = float(accuracy_score(Y, pred))  # subset accuracy: every frame right
    return out


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = N_BINS) -> float:
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(p[m].mean() - y[m].mean())
    return float(ece)


def _fit_predict(train: TrainingSet, test: TrainingSet, config):
    pipe = fit_pipeline(train, config)
    proba = pipe.predict_proba(test.texts)
    return proba, carries(proba, pipe.named_steps["clf"].thresholds_).astype(np.int8)


def _prior_baseline(train: TrainingSet, n_test: int):
    prior = train.Y.mean(axis=0)
    proba = np.tile(prior, (n_test, 1))
    return proba, (proba >= 0.5).astype(np.int8)  # the majority answer for every frame: absent


def out_of_fold(data: TrainingSet, config, folds) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Model probabilities/predictions for every passage from the fold that held it out, plus the
    prior baseline's predictions on the same folds."""
    proba = np.zeros(data.Y.shape)
    pred = np.zeros(data.Y.shape, dtype=np.int8)
    prior = np.zeros(data.Y.shape, dtype=np.int8)
    for train_idx, test_idx in folds:
        train, test = data.subset(_mask(len(data), train_idx)), data.subset(_mask(len(data), test_idx))
        proba[test_idx], pred[test_idx] = _fit_predict(train, test, config)
        prior[test_idx] = _prior_baseline(train, len(test_idx))[1]
    return proba, pred, {"prior": prior}


def _mask(n: int, idx) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    m[idx] = True
    return m


def hard_negative_false_positives(data: TrainingSet, pred: np.ndarray) -> dict:
    """For each frame: of the passages written to match its topic without carrying it, the share
    the model still tagged with it."""
    out = {}
    topics = np.array([t or "" for t in data.topics])
    for j, f in enumerate(data.frames):
        m = (topics == f) & (data.Y[:, j] == 0)
        if m.any():
            out[f] = {"n": int(m.sum()), "false_positive_rate": float(pred[m, j].mean())}
    return out


def evaluate_training_set(data: TrainingSet, config, out_dir: Path | None = None, progress=None,
                          lexicon_path=None) -> dict:
    say = progress or (lambda msg: None)
    lexicon = _try_lexicon(lexicon_path)
    report: dict = {"frames": data.frames, "config": config.to_dict(), "counts": data.counts()}

    say("grouped 5-fold cross-validation by article ...")
    folds = grouped_folds(len(data), np.asarray(data.article_ids), 5, config.seed)
    proba, pred, base = out_of_fold(data, config, folds)
    cv = {"model": frame_metrics(data.Y, proba, pred, data.frames),
          "prior_baseline": frame_metrics(data.Y, None, base["prior"], data.frames)}
    if lexicon:
        cv["lexicon_baseline"] = frame_metrics(data.Y, None, lexicon.predict(data.texts, data.frames), data.frames)
    cv["hard_negative_false_positives"] = hard_negative_false_positives(data, pred)
    report["grouped_cv"] = cv

    splits = np.array([s or "" for s in data.splits])
    if (splits == "train").any() and (splits == "test").any():
        say("held-out article split ...")
        train, test = data.subset(splits == "train"), data.subset(splits == "test")
        p, y = _fit_predict(train, test, config)
        held = {"model": frame_metrics(test.Y, p, y, data.frames),
                "prior_baseline": frame_metrics(test.Y, None, _prior_baseline(train, len(test))[1], data.frames)}
        if lexicon:
            held["lexicon_baseline"] = frame_metrics(test.Y, None, lexicon.predict(test.texts, data.frames), data.frames)
        held["hard_negative_false_positives"] = hard_negative_false_positives(test, y)
        report["held_out"] = held

    writers = np.array([w or "" for w in data.writers])
    names = sorted(set(writers) - {""})
    if len(names) >= 3:
        say(f"leave-one-writer-out over {len(names)} writers ...")
        lowo_folds = [(np.flatnonzero(writers != w), np.flatnonzero(writers == w)) for w in names]
        p, y, _ = out_of_fold(data, config, lowo_folds)
        per_writer = {w: frame_metrics(data.Y[writers == w], None, y[writers == w], data.frames)["macro_f1"]
                      for w in names}
        report["leave_one_writer_out"] = {"model": frame_metrics(data.Y, p, y, data.frames),
                                          "macro_f1_per_writer": per_writer}

    report["summary"] = summarise(report)
    if out_dir is not None:
        write_report(report, data, proba, Path(out_dir))
    return report


def _try_lexicon(path):
    """The seed lexicon for the dictionary baseline, if there is one for these frames."""
    try:
        return Lexicon.load(path)
    except StanceError:
        return None


def summarise(report: dict) -> dict:
    s = {}
    for part in ("grouped_cv", "held_out", "leave_one_writer_out"):
        if part in report:
            m = report[part]["model"]
            s[part] = {"macro_f1": round(m["macro_f1"], 4), "micro_f1": round(m["micro_f1"], 4),
                       "exact_match": round(m["exact_match"], 4),
                       "f1": {f: round(v["f1"], 4) for f, v in m["per_frame"].items()},
                       "ece": {f: round(v.get("ece", float("nan")), 4) for f, v in m["per_frame"].items()}}
            for b in ("lexicon_baseline", "prior_baseline"):
                if b in report[part]:
                    s[part][b + "_macro_f1"] = round(report[part][b]["macro_f1"], 4)
    return s


def write_report(report: dict, data: TrainingSet, oof_proba: np.ndarray, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out_dir / "report.md").write_text(report_markdown(report), encoding="utf-8")
    from ..plots import plot_cooccurrence, plot_pr_curves, plot_reliability

    plots = out_dir / "plots"
    plots.mkdir(exist_ok=True)
    plot_pr_curves(data.Y, oof_proba, data.frames, plots / "precision_recall.png")
    plot_reliability(data.Y, oof_proba, data.frames, plots / "reliability.png", n_bins=N_BINS)
    plot_cooccurrence(data.Y, data.frames, plots / "cooccurrence.png")


def frame_table(m: dict, frames: list[str]) -> list[str]:
    """Per-frame scores of one system as Markdown table lines."""
    lines = ["| frame | precision | recall | F1 | support | Brier | ECE |", "|---|---:|---:|---:|---:|---:|---:|"]
    for f in frames:
        v = m["per_frame"][f]
        lines.append(f"| {f} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} | "
                     f"{v.get('brier', float('nan')):.3f} | {v.get('ece', float('nan')):.3f} |")
    return lines


def evaluation_markdown(report: dict) -> str:
    """What `stance evaluate` prints and writes as report.md."""
    m = report["model"]
    lines = [f"# Evaluation of {report['model_id']}", "",
             f"On {m['n']} labelled passages from {report['data']} that the model did not train on"
             + (f" ({report['excluded_training_passages']} training passages left out)."
                if report["excluded_training_passages"] else "."), "",
             f"macro-F1 {m['macro_f1']:.3f} · micro-F1 {m['micro_f1']:.3f} · exact match {m['exact_match']:.3f}", ""]
    lines += frame_table(m, report["frames"])
    hard = report.get("hard_negative_false_positives")
    if hard:
        lines += ["", "False positives on topic-matched hard negatives: " + "; ".join(
            f"{f} {v['false_positive_rate']:.1%} of {v['n']}" for f, v in hard.items())]
    return "\n".join(lines) + "\n"


def report_markdown(report: dict) -> str:
    lines = ["# Evaluation report", "",
             "Scores are on passages the model did not train on. Grouped CV keeps each article's passages "
             "in one fold; leave-one-writer-out holds out every article by one writer.", ""]
    c = report["counts"]
    lines += [f"Data: {c['passages']} passages, {c['articles']} articles; "
              + ", ".join(f"{f} {c[f]}" for f in report["frames"]) + f", none {c['none']}.", ""]
    titles = {"grouped_cv": "Grouped 5-fold cross-validation (by article)", "held_out": "Held-out article split (test)",
              "leave_one_writer_out": "Leave-one-writer-out"}
    for part, title in titles.items():
        if part not in report:
            continue
        r = report[part]
        lines += [f"## {title}", "", "| system | " + " | ".join(f"F1 {f}" for f in report["frames"])
                  + " | macro-F1 | micro-F1 | exact match |", "|---" * (len(report["frames"]) + 4) + "|"]
        for name in ("model", "lexicon_baseline", "prior_baseline"):
            if name in r:
                m = r[name]
                lines.append(f"| {name.replace('_', ' ')} | " + " | ".join(f"{m['per_frame'][f]['f1']:.3f}" for f in report["frames"])
                             + f" | {m['macro_f1']:.3f} | {m['micro_f1']:.3f} | {m['exact_match']:.3f} |")
        lines += [""] + frame_table(r["model"], report["frames"])
        if r.get("hard_negative_false_positives"):
            lines += ["", "False positives on topic-matched hard negatives: " + "; ".join(
                f"{f} {v['false_positive_rate']:.1%} of {v['n']}" for f, v in r["hard_negative_false_positives"].items())]
        if "macro_f1_per_writer" in r:
            lines += ["", "Macro-F1 per held-out writer: " + ", ".join(
                f"{w} {v:.2f}" for w, v in r["macro_f1_per_writer"].items())]
        lines.append("")
    return "\n".join(lines) + "\n"


def evaluate_bundle(bundle, data: TrainingSet, source: str = "", out_dir=None) -> dict:
    """Score a loaded model on labelled passages, leaving out every passage it was trained on."""
    trained_on = set(bundle.training.passage_ids)
    unseen = np.array([pid not in trained_on for pid in data.passage_ids], dtype=bool)
    if not unseen.any():
        raise ModelError(f"{source or 'these labels'}: every passage here was used to train {bundle.model_id}; "
                         "evaluate on other labels, or see the cross-validated report written by `stance train`")
    data = data.subset(unseen)
    proba = bundle.predict_proba(data.texts)
    pred = carries(proba, bundle.thresholds).astype(np.int8)
    report = {"model_id": bundle.model_id, "data": source, "frames": data.frames,
              "excluded_training_passages": int((~unseen).sum()),
              "model": frame_metrics(data.Y, proba, pred, data.frames),
              "hard_negative_false_positives": hard_negative_false_positives(data, pred)}
    if out_dir is not None:
        from ..plots import plot_cooccurrence, plot_pr_curves, plot_reliability

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        (out_dir / "report.md").write_text(evaluation_markdown(report), encoding="utf-8")
        plot_pr_curves(data.Y, proba, data.frames, out_dir / "precision_recall.png")
        plot_reliability(data.Y, proba, data.frames, out_dir / "reliability.png", n_bins=N_BINS)
        plot_cooccurrence(data.Y, data.frames, out_dir / "cooccurrence.png")
    return report
