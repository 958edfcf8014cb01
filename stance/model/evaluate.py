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
    """The report `stance train` writes. With a target source (`config.tune_on`, e.g. real
    coverage) it leads with that text (`target_text_report`); the sections after it score the
    other sources' passages, the target's passages always staying in training."""
    say = progress or (lambda msg: None)
    lexicon = _try_lexicon(lexicon_path)
    report: dict = {"frames": data.frames, "config": config.to_dict(), "counts": data.counts()}
    target = data.domain_mask(config.tune_on) if config.tune_on and data.domains else np.zeros(len(data), bool)
    if target.any():
        report["sources"] = data.sources()
        report["target_text"] = target_text_report(data, config, target, lexicon, say)
    rows = ~target
    scored = data.subset(rows)

    say("grouped 5-fold cross-validation by article ...")
    proba, pred, prior = cv_within(data, config, rows)
    cv = {"model": frame_metrics(scored.Y, proba, pred, data.frames),
          "prior_baseline": frame_metrics(scored.Y, None, prior, data.frames)}
    if lexicon:
        cv["lexicon_baseline"] = frame_metrics(scored.Y, None, lexicon.predict(scored.texts, data.frames), data.frames)
    cv["hard_negative_false_positives"] = hard_negative_false_positives(scored, pred)
    report["grouped_cv"] = cv

    splits = np.array([s or "" for s in data.splits])
    if (splits[rows] == "train").any() and (splits[rows] == "test").any():
        say("held-out article split ...")
        held_out = rows & (splits == "test")
        train, test = data.subset(~held_out & ((splits == "train") | target)), data.subset(held_out)
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
        has = writers != ""
        per_writer = {w: frame_metrics(data.Y[writers == w], None, y[writers == w], data.frames)["macro_f1"]
                      for w in names}
        report["leave_one_writer_out"] = {"model": frame_metrics(data.Y[has], p[has], y[has], data.frames),
                                          "macro_f1_per_writer": per_writer}

    report["summary"] = summarise(report)
    if out_dir is not None:
        write_report(report, scored, proba, Path(out_dir))
    return report


def cv_within(data: TrainingSet, config, rows: np.ndarray, n_splits: int = 5):
    """Out-of-fold probabilities, predictions and prior-baseline predictions for the passages in
    `rows`, in grouped folds by article; every passage outside `rows` is always in training."""
    idx = np.flatnonzero(rows)
    folds = grouped_folds(len(idx), np.asarray(data.article_ids)[idx], n_splits, config.seed)
    everyone = np.arange(len(data))
    full = [(np.setdiff1d(everyone, idx[test]), idx[test]) for _train, test in folds]
    proba, pred, base = out_of_fold(data, config, full)
    return proba[idx], pred[idx], base["prior"][idx]


def f1_intervals(Y: np.ndarray, pred: np.ndarray, groups, n_boot: int = 1000, seed: int = 0) -> np.ndarray:
    """95% intervals of each frame's F1 and (last row) macro-F1, resampling whole articles
    (passages of one article are not independent): an array (n_frames + 1, 2)."""
    from sklearn.metrics import f1_score

    groups = np.asarray(groups)
    ids, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == k) for k in range(len(ids))]
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(n_boot):
        rows = np.concatenate([members[k] for k in rng.integers(0, len(ids), len(ids))])
        per = f1_score(Y[rows], pred[rows], average=None, zero_division=0.0)
        scores.append(np.r_[per, per.mean()])
    return np.round(np.percentile(np.array(scores), [2.5, 97.5], axis=0).T, 4)


def macro_f1_interval(Y: np.ndarray, pred: np.ndarray, groups, n_boot: int = 1000, seed: int = 0) -> list[float]:
    """95% interval of macro-F1, resampling whole articles."""
    return [float(x) for x in f1_intervals(Y, pred, groups, n_boot, seed)[-1]]


def _scored(Y, proba, pred, frames, groups, outlets=None, lexicon_pred=None) -> dict:
    out = {"model": frame_metrics(Y, proba, pred, frames)}
    out["model"]["macro_f1_interval"] = macro_f1_interval(Y, pred, groups)
    if lexicon_pred is not None:
        out["lexicon_baseline"] = frame_metrics(Y, None, lexicon_pred, frames)
    if outlets is not None and any(outlets):
        names = np.array([o or "(unknown)" for o in outlets])
        out["per_outlet"] = {}
        for name in sorted(set(names), key=lambda n: -(names == n).sum()):
            m = names == name
            out["per_outlet"][name] = {"n": int(m.sum()), "framed": int((Y[m].sum(axis=1) > 0).sum()),
                                       "macro_f1": round(frame_metrics(Y[m], None, pred[m], frames)["macro_f1"], 4),
                                       "macro_f1_interval": macro_f1_interval(Y[m], pred[m], np.asarray(groups)[m])}
    return out


def target_text_report(data: TrainingSet, config, target: np.ndarray, lexicon=None, say=None) -> dict:
    """Scores on the text the model is for (e.g. real coverage), each with a 95% interval by article:

    - grouped CV over the target's articles, the other sources always in training;
    - the target's held-out article split, trained on everything else (the shipped model's setting);
    - other sources -> target test split, and the target alone -> target test split;
    - target -> the other sources' held-out split (or all of them);
    - per outlet on the target's held-out split."""
    say = say or (lambda msg: None)
    name = config.tune_on
    frames = data.frames
    out: dict = {"source": name}
    articles = np.asarray(data.article_ids)
    lex = (lambda d: lexicon.predict(d.texts, frames)) if lexicon else (lambda d: None)

    say(f"{name}: grouped 5-fold cross-validation by article ...")
    proba, pred, _prior = cv_within(data, config, target)
    cv_data = data.subset(target)
    out["grouped_cv"] = _scored(cv_data.Y, proba, pred, frames, articles[target], cv_data.outlets, lex(cv_data))

    splits = np.array([s or "" for s in data.splits])
    test = target & (splits == "test")
    if test.any() and (target & (splits == "train")).any():
        test_data = data.subset(test)

        def held(train_rows: np.ndarray, part: str, title: str) -> None:
            say(f"{name}: {title} ...")
            train = data.subset(train_rows)
            p, y = _fit_predict(train, test_data, _without_tuning(config, train))
            out[part] = _scored(test_data.Y, p, y, frames, articles[test], test_data.outlets,
                                lex(test_data) if part == "held_out" else None)
            out[part]["trained_on"] = train.counts()

        held(~test, "held_out", "held-out article split")
        if (~target).any():
            held(~target, "other_to_target", f"other sources -> {name} test split")
        held(target & ~test, "target_only", f"{name} alone -> {name} test split")
    other = ~target
    if other.any():
        other_test = other & (splits == "test") if (other & (splits == "test")).any() else other
        train = data.subset(target & ~test) if test.any() else data.subset(target)
        say(f"{name} -> the other sources ...")
        other_data = data.subset(other_test)
        p, y = _fit_predict(train, other_data, _without_tuning(config, train))
        out["target_to_other"] = _scored(other_data.Y, p, y, frames, articles[other_test])
    return out


def _without_tuning(config, train: TrainingSet):
    """The config for a training set that may lack the tuning source (then tune on all of it)."""
    from dataclasses import replace

    if config.tune_on and not (train.domains and train.domain_mask(config.tune_on).any()):
        return replace(config, tune_on=None)
    return config


def _try_lexicon(path):
    """The seed lexicon for the dictionary baseline, if there is one for these frames."""
    try:
        return Lexicon.load(path)
    except StanceError:
        return None


def summarise(report: dict) -> dict:
    s = {}
    target = report.get("target_text", {})
    for part in ("held_out", "grouped_cv", "other_to_target", "target_only", "target_to_other"):
        if part in target:
            m = target[part]["model"]
            s[f"{target['source']}:{part}"] = {
                "macro_f1": round(m["macro_f1"], 4), "macro_f1_interval": m["macro_f1_interval"],
                "f1": {f: round(v["f1"], 4) for f, v in m["per_frame"].items()}}
            if "lexicon_baseline" in target[part]:
                s[f"{target['source']}:{part}"]["lexicon_baseline_macro_f1"] = round(
                    target[part]["lexicon_baseline"]["macro_f1"], 4)
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
    from .plots import plot_cooccurrence, plot_pr_curves, plot_reliability

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
        ci = f" ({v['f1_interval'][0]:.2f}-{v['f1_interval'][1]:.2f})" if "f1_interval" in v else ""
        lines.append(f"| {f} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f}{ci} | {v['support']} | "
                     f"{v.get('brier', float('nan')):.3f} | {v.get('ece', float('nan')):.3f} |")
    return lines


def evaluation_markdown(report: dict) -> str:
    """What `stance evaluate` prints and writes as report.md."""
    m = report["model"]
    lines = [f"# Evaluation of {report['model_id']}", "",
             f"On {m['n']} labelled passages from {report['data']} that the model did not train on"
             + (f" ({report['excluded_training_passages']} training passages left out)."
                if report["excluded_training_passages"] else "."), "",
             f"macro-F1 {m['macro_f1']:.3f}"
             + (f" (95% interval {m['macro_f1_interval'][0]:.2f}-{m['macro_f1_interval'][1]:.2f}, resampling articles)"
                if "macro_f1_interval" in m else "")
             + f" · micro-F1 {m['micro_f1']:.3f} · exact match {m['exact_match']:.3f}"
             + (f" · seed-lexicon baseline macro-F1 {report['lexicon_baseline']['macro_f1']:.3f}"
                if "lexicon_baseline" in report else ""), ""]
    lines += [f"**Warning:** {w}" for w in report.get("warnings", [])] + ([""] if report.get("warnings") else [])
    lines += frame_table(m, report["frames"])
    hard = report.get("hard_negative_false_positives")
    if hard:
        lines += ["", "False positives on topic-matched hard negatives: " + "; ".join(
            f"{f} {v['false_positive_rate']:.1%} of {v['n']}" for f, v in hard.items())]
    return "\n".join(lines) + "\n"


TARGET_TITLES = {
    "held_out": "held-out article split: trained on everything else (as the saved model)",
    "grouped_cv": "grouped 5-fold cross-validation by article, the other sources always in training",
    "other_to_target": "the other sources alone -> the held-out split",
    "target_only": "{name} labels alone -> the held-out split",
    "target_to_other": "{name} labels alone -> the other sources' held-out passages",
}


def target_markdown(target: dict, frames: list[str]) -> list[str]:
    name = target["source"]
    lines = [f"## On {name} text first", "",
             f"Scores on the {name} passages (the text this model is for); 95% intervals resample whole articles.", "",
             "| evaluation | n | " + " | ".join(f"F1 {f}" for f in frames) + " | macro-F1 | 95% interval | lexicon |",
             "|---|---:" + "|---:" * (len(frames) + 3) + "|"]
    for part, title in TARGET_TITLES.items():
        if part not in target:
            continue
        m = target[part]["model"]
        lo, hi = m["macro_f1_interval"]
        lex = target[part].get("lexicon_baseline", {}).get("macro_f1")
        lines.append(f"| {title.format(name=name)} | {m['n']} | " + " | ".join(f"{m['per_frame'][f]['f1']:.3f}" for f in frames)
                     + f" | **{m['macro_f1']:.3f}** | {lo:.2f}-{hi:.2f} | " + (f"{lex:.3f}" if lex is not None else "") + " |")
    per = target.get("held_out", {}).get("per_outlet")
    if per:
        lines += ["", "Per outlet (held-out split):", "", "| outlet | passages | framed | macro-F1 | 95% interval |",
                  "|---|---:|---:|---:|---:|"]
        for outlet, v in per.items():
            lines.append(f"| {outlet} | {v['n']} | {v['framed']} | {v['macro_f1']:.3f} | "
                         f"{v['macro_f1_interval'][0]:.2f}-{v['macro_f1_interval'][1]:.2f} |")
    return lines + [""]


def report_markdown(report: dict) -> str:
    lines = ["# Evaluation report", "",
             "Scores are on passages the model did not train on. Grouped CV keeps each article's passages "
             "in one fold; leave-one-writer-out holds out every article by one writer.", ""]
    if "target_text" in report:
        lines += target_markdown(report["target_text"], report["frames"])
        lines += ["## The other label sources", "",
                  "The sections below score the other sources' passages (the target's always in training).", ""]
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
    model = frame_metrics(data.Y, proba, pred, data.frames)
    intervals = f1_intervals(data.Y, pred, data.article_ids)
    for f, ci in zip(data.frames, intervals):
        model["per_frame"][f]["f1_interval"] = [float(x) for x in ci]
    model["macro_f1_interval"] = [float(x) for x in intervals[-1]]
    report = {"model_id": bundle.model_id, "data": source, "frames": data.frames,
              "excluded_training_passages": int((~unseen).sum()), "model": model,
              "hard_negative_false_positives": hard_negative_false_positives(data, pred), "warnings": []}
    lexicon = _try_lexicon(None)
    if lexicon is not None and set(data.frames) <= set(lexicon.terms):
        baseline = frame_metrics(data.Y, None, lexicon.predict(data.texts, data.frames), data.frames)
        report["lexicon_baseline"] = baseline
        if model["macro_f1"] <= baseline["macro_f1"]:
            report["warnings"].append(
                f"the model does not beat the seed-lexicon baseline on these labels (macro-F1 {model['macro_f1']:.2f} "
                f"vs {baseline['macro_f1']:.2f}): on this corpus the keyword list tags as well; train on some of "
                "your own labels (stance train --labels shipped --labels mine=DIR --tune-on mine)")
    if out_dir is not None:
        from .plots import plot_cooccurrence, plot_pr_curves, plot_reliability

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        (out_dir / "report.md").write_text(evaluation_markdown(report), encoding="utf-8")
        plot_pr_curves(data.Y, proba, data.frames, out_dir / "precision_recall.png")
        plot_reliability(data.Y, proba, data.frames, out_dir / "reliability.png", n_bins=N_BINS)
        plot_cooccurrence(data.Y, data.frames, out_dir / "cooccurrence.png")
    return report
