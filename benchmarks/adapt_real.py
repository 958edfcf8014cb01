"""`stance adapt` measured on real coverage: adapted vs not, per outlet, on the real test split.

The model is the default configuration (static+lexicon features, logistic regression, written
passages at weight 0.2, calibrated and thresholded on real out-of-fold scores) trained on the
written corpus plus the real TRAIN split only (models/default saw the test split too). Each
outlet's corpus is all of that outlet's articles in the real-coverage file, unlabelled, segmented
as `stance profile` does (boilerplate dropped); the whole corpus is all 1,086 articles. Variants:

- none:          the model as trained
- cshift:        each corpus' feature rows moved so their mean is the reference corpus' mean (the
                 passages of the real corpus' train-split articles, unlabelled): what `stance
                 adapt` ships, with the mean `stance train --reference-corpus` records
- cshift-emb:    the same, the embedding columns only (lexicon scores left alone)
- cshift+rate:   cshift, then each frame's threshold set so the corpus' tag rate is the model's tag
                 rate on the reference corpus
- rate:          those thresholds without the shift (for a linear classifier a mean shift only
                 moves each frame's scores by a constant, so cshift+rate == rate)
- ccoral:        CORAL: the corpus whitened with its own covariance and recoloured with the
                 reference corpus' covariance (both + eps*I), then moved to its mean
- shift:         as cshift, but onto the labelled training passages' mean (what `stance train`
                 records without --reference-corpus)
- shift-emb:     the same, the embedding columns only
- shift-real:    onto the mean of the real labelled training passages only
- shift+rate:    shift, then thresholds set so the corpus' tag rate is its expected rate (mean
                 calibrated probability over the corpus)
- shift+trate:   shift, then thresholds set so the corpus' tag rate is the model's out-of-fold tag
                 rate on the real training passages
- coral:         CORAL onto the labelled training passages' covariance and mean
- centred training: each training source centred on its own corpus' mean (written: its passages;
                 real: the reference corpus), the model refitted, and a corpus centred on the
                 reference mean (not adapted), the whole corpus' mean, or its own outlet's mean

Macro-F1 on the test passages with a 95% interval resampling articles; "delta" is the paired
difference to none with its 95% interval (same article resamples).

    STANCE_REAL_COVERAGE=../shared/real-coverage python benchmarks/adapt_real.py
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from stance.codebook import load_codebook  # noqa: E402
from stance.model.adapt import CorpusShift, corpus_passages  # noqa: E402
from stance.model.pipeline import TrainConfig, fit_pipeline  # noqa: E402
from stance.model.thresholds import carries  # noqa: E402
from stance.passage_text import default_real_coverage  # noqa: E402
from stance.sources import load_sources  # noqa: E402

N_BOOT = 1000


def macro_f1(Y, pred) -> float:
    tp = (pred & Y).sum(0)
    denom = pred.sum(0) + Y.sum(0)
    return float(np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0).mean())


def paired(Y, base, other, articles, seed: int = 0):
    """macro-F1 of `other` with its 95% interval, and the paired delta to `base` with its interval."""
    ids, inv = np.unique(articles, return_inverse=True)
    members = [np.flatnonzero(inv == k) for k in range(len(ids))]
    rng = np.random.default_rng(seed)
    s, d = [], []
    for _ in range(N_BOOT):
        rows = np.concatenate([members[k] for k in rng.integers(0, len(ids), len(ids))])
        a, b = macro_f1(Y[rows], base[rows]), macro_f1(Y[rows], other[rows])
        s.append(b)
        d.append(b - a)
    lo, hi = np.percentile(s, [2.5, 97.5])
    dlo, dhi = np.percentile(d, [2.5, 97.5])
    return macro_f1(Y, other), (lo, hi), macro_f1(Y, other) - macro_f1(Y, base), (dlo, dhi)


def sqrtm(C, inverse=False):
    w, V = np.linalg.eigh(C)
    w = np.maximum(w, 1e-12)
    return (V * (w ** (-0.5 if inverse else 0.5))) @ V.T


def main() -> None:
    corpus_file = default_real_coverage()
    if corpus_file is None:
        print("skipped: needs ../shared/real-coverage (set STANCE_REAL_COVERAGE); the real labels store no text")
        return
    t0 = time.perf_counter()
    cb = load_codebook()
    data = load_sources({"written": "shipped", "real": "shipped-real"}, cb)
    real = data.domain_mask("real")
    test = real & np.array([s == "test" for s in data.splits])
    train = data.subset(~test)
    config = TrainConfig(features="static+lexicon", classifier="logreg", C=1.0, tune_on="real",
                         source_weights={"written": 0.2})
    pipe = fit_pipeline(train, config)
    feats, clf = pipe.named_steps["features"], pipe.named_steps["clf"]
    Xtr = np.asarray(feats.transform(train.texts), dtype=np.float64)
    mu_all = Xtr.mean(0)
    mu_real = Xtr[train.domain_mask("real")].mean(0)
    C_s = np.cov(Xtr, rowvar=False)
    test_data = data.subset(test)
    Y = test_data.Y.astype(bool)
    articles = np.asarray(test_data.article_ids)
    outlets = np.array([o or "(unknown)" for o in test_data.outlets])
    Xte = np.asarray(feats.transform(test_data.texts), dtype=np.float64)
    # the unlabelled corpus, as `stance profile` / `stance adapt` read it
    passages, identity = corpus_passages([str(corpus_file)])
    import json
    outlet_of = {}
    with open(corpus_file, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            outlet_of[rec["id"]] = rec.get("outlet") or "(unknown)"
    Xc = np.asarray(feats.transform([p.text for p in passages]), dtype=np.float64)
    corpus_outlet = np.array([outlet_of.get(p.article_id, "(unknown)") for p in passages])
    print(f"trained on {len(train)} passages ({int(train.domain_mask('real').sum())} real train) in "
          f"{time.perf_counter() - t0:.0f} s; corpus {identity.articles} articles, {len(passages)} passages; "
          f"test {len(test_data)} passages, {len(set(articles))} articles")
    emb = np.r_[np.ones(Xtr.shape[1] - 3, bool), np.zeros(3, bool)]  # static+lexicon: 3 lexicon columns last
    # OOF tag rate on the real training passages (what thresholds were tuned on)
    oof = clf.oof_proba_[train.domain_mask("real")]
    train_rate = carries(oof, clf.thresholds_).mean(0)

    def proba(X):
        return clf.predict_proba(X.astype(np.float32))

    def rate_thresholds(P_corpus, rates):
        return np.array([np.quantile(P_corpus[:, j], 1 - r) if r > 0 else 1.0 for j, r in enumerate(rates)])

    def variants(mask_c):
        """Predictions on the test rows for each variant, adapted to the corpus rows `mask_c`."""
        Xo = Xc[mask_c]
        mu_t = Xo.mean(0)
        out = {}
        cshift = mu_ref - mu_t
        out["cshift"] = lambda X: carries(proba(X + cshift), clf.thresholds_)
        out["cshift-emb"] = lambda X: carries(proba(X + cshift * emb), clf.thresholds_)
        Pcc = proba(Xo + cshift)
        t_ref = rate_thresholds(Pcc, ref_rate)
        out["cshift+rate"] = lambda X: proba(X + cshift) >= t_ref
        Pn = proba(Xo)
        t_ref0 = rate_thresholds(Pn, ref_rate)
        out["rate"] = lambda X: proba(X) >= t_ref0
        C_t = np.cov(Xo, rowvar=False)
        eps = 0.1 * np.trace(C_r) / len(C_r)
        A = sqrtm(C_t + eps * np.eye(len(C_t)), inverse=True) @ sqrtm(C_r + eps * np.eye(len(C_r)))
        out["ccoral"] = lambda X: carries(proba((X - mu_t) @ A + mu_ref), clf.thresholds_)
        shift = mu_all - mu_t
        out["shift"] = lambda X: carries(proba(X + shift), clf.thresholds_)
        out["shift-emb"] = lambda X: carries(proba(X + shift * emb), clf.thresholds_)
        out["shift-real"] = lambda X: carries(proba(X + (mu_real - mu_t)), clf.thresholds_)
        Pc = proba(Xo + shift)
        t_exp = rate_thresholds(Pc, Pc.mean(0))
        t_tr = rate_thresholds(Pc, train_rate)
        out["shift+rate"] = lambda X: proba(X + shift) >= t_exp
        out["shift+trate"] = lambda X: proba(X + shift) >= t_tr
        C_t = np.cov(Xo, rowvar=False)
        eps = 0.1 * np.trace(C_s) / len(C_s)
        A = sqrtm(C_t + eps * np.eye(len(C_t)), inverse=True) @ sqrtm(C_s + eps * np.eye(len(C_s)))
        out["coral"] = lambda X: carries(proba((X - mu_t) @ A + mu_all), clf.thresholds_)
        return out

    # the reference corpus: the passages of the real corpus' TRAIN-split articles (what the real
    # labels were drawn from), unlabelled
    split_of = {a: s for a, s in zip(data.article_ids, data.splits)}
    import csv
    with open(Path(__file__).resolve().parents[1] / "labels/real/corpus/splits.csv", newline="") as fh:
        split_of = {r["article_id"]: r["split"] for r in csv.DictReader(fh)}
    ref_rows = np.array([split_of.get(p.article_id) == "train" for p in passages])
    mu_ref = Xc[ref_rows].mean(0)
    C_r = np.cov(Xc[ref_rows], rowvar=False)
    ref_rate = carries(proba(Xc[ref_rows]), clf.thresholds_).mean(0)
    print(f"reference corpus: {int(ref_rows.sum())} passages; unadapted tag rate there "
          + ", ".join(f"{v:.3f}" for v in ref_rate))
    # centred training (the issue's variant): each training source centred on its own corpus' mean
    # (written: its passages, all labelled; real: the reference corpus), then a corpus centred on
    # its own mean at use; not adapted = centred on the reference corpus' mean
    from stance.model.classifier import FrameClassifier
    from stance.model.pipeline import fit_params
    wmask = train.domain_mask("written")
    Xcen = Xtr - np.where(wmask[:, None], Xtr[wmask].mean(0), mu_ref)
    params = {k.removeprefix("clf__"): v for k, v in fit_params(train, config).items()}
    cclf = FrameClassifier("logreg", C=1.0, cv=5, random_state=0).fit(Xcen.astype(np.float32), train.Y, **params)

    def cpred(X, mu):
        return carries(cclf.predict_proba((X - mu).astype(np.float32)), cclf.thresholds_)

    base = carries(proba(Xte), clf.thresholds_)
    centred = {"centred training, reference centre": cpred(Xte, mu_ref),
               "centred training, whole corpus": cpred(Xte, Xc.mean(0)),
               "centred training, own outlet": np.zeros_like(base)}
    for o in set(outlets):
        centred["centred training, own outlet"][outlets == o] = cpred(Xte[outlets == o], Xc[corpus_outlet == o].mean(0))
    names = ["cshift", "cshift-emb", "cshift+rate", "rate", "ccoral", "shift", "shift-emb", "shift-real", "shift+rate", "shift+trate", "coral"]
    per_outlet_pred = {n: np.zeros_like(base) for n in names}
    whole = variants(np.ones(len(Xc), bool))
    whole_pred = {n: f(Xte) for n, f in whole.items()}
    rows = []
    for o in sorted(set(outlets), key=lambda o: -(outlets == o).sum()):
        m = outlets == o
        vs = variants(corpus_outlet == o)
        for n in names:
            per_outlet_pred[n][m] = vs[n](Xte[m])
        rows.append((o, m, int((corpus_outlet == o).sum())))
    main_outlets = [r for r in rows if r[1].sum() >= 50]
    small = np.zeros(len(Y), bool)
    for r in rows:
        if r[1].sum() < 50:
            small |= r[1]
    cols = [(o, m) for o, m, _ in main_outlets] + [("other outlets", small), ("all test passages", np.ones(len(Y), bool))]
    print()
    print("| adaptation | " + " | ".join(f"{o}: {int(m.sum())} passages, {int((Y[m].sum(1) > 0).sum())} framed"
                                        for o, m in cols) + " |")
    print("|---|" + "---:|" * len(cols))

    def cell(m, p):
        f, (lo, hi), d, (dlo, dhi) = paired(Y[m], base[m], p[m], articles[m])
        return f"{f:.3f} ({lo:.2f}-{hi:.2f}) {d:+.3f} [{dlo:+.2f}, {dhi:+.2f}]"

    def none_cell(m):
        f, (lo, hi), _, _ = paired(Y[m], base[m], base[m], articles[m])
        return f"{f:.3f} ({lo:.2f}-{hi:.2f})"

    print("| none | " + " | ".join(none_cell(m) for _, m in cols) + " |")
    for label, pred in [(f"{n}, own outlet", per_outlet_pred[n]) for n in names] + \
            [(f"{n}, whole corpus", whole_pred[n]) for n in ("cshift", "shift")] + list(centred.items()):
        print(f"| {label} | " + " | ".join(cell(m, pred) for _, m in cols) + " |", flush=True)
    print()
    print("per frame F1 on all test passages:")
    from sklearn.metrics import f1_score
    for n, p in [("none", base)] + [(f"{n} (own outlet)", per_outlet_pred[n]) for n in names] + \
            [(f"{n} (whole corpus)", whole_pred[n]) for n in ("cshift", "shift")] + list(centred.items()):
        f1 = f1_score(Y, p, average=None, zero_division=0.0)
        rate = p.mean(0)
        print(f"- {n}: " + ", ".join(f"{f} {v:.3f}" for f, v in zip(data.frames, f1))
              + "; tag rate " + ", ".join(f"{v:.3f}" for v in rate))
    # the shipped default model's recorded centre is the mean of this corpus' passages
    from stance.model.bundle import load_bundle
    default = load_bundle()
    have = np.asarray(default.features([p.text for p in passages]), dtype=np.float64).mean(0)
    recorded = default.feature_mean
    ok = recorded.get("corpus_sha256") == identity.sha256 and np.allclose(have, recorded["values"], atol=1e-6)
    print(f"\nmodels/default feature_mean matches this corpus: {ok} (max difference "
          f"{np.abs(have - np.asarray(recorded['values'])).max():.2e})")
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
