"""Learning curve on real text: does the order in which an annotator labels passages matter?

Plays the annotator with the real-coverage labels (labels/real/). For each outlet with enough
framed labels, in turn: the starting model learns from the written gold corpus (weight 0.2) and the
real labels of every OTHER outlet (the default model's configuration: static+lexicon features,
logistic regression C=1, calibrated and thresholded on the real passages). That outlet's labelled
articles are split by article, per seed, into a pool (60%) and held-out test articles (40%). Pool
labels are added in batches (25) chosen by each ordering, the model is retrained after every batch
and scored (macro-F1) on the held-out articles. Orderings are the ones `stance label --order` uses
(`stance.labeling.suggest`), fed with the current model's margins and feature rows:

- random:    a seeded shuffle of the pool
- uncertain: the passages whose frame probability is closest to its threshold
- diverse:   uncertainty x distance in feature space, articles spread, frames in turn (spread_order;
             the pool passages labelled so far count as picked)

Feature rows are computed once (static+lexicon features are fixed per passage), so a retrain is one
classifier fit. Needs the real-coverage articles (the labels store ids and hashes only):

    STANCE_REAL_COVERAGE=../shared/real-coverage python benchmarks/learning_curve_real.py [--seeds 5]

Writes numbers only (never passage text): benchmarks/results/learning_curve_real.json and .png.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    # One thread: on a shared machine a 2-thread BLAS made each fit ~60x slower (spinning threads).
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stance.codebook import load_codebook  # noqa: E402
from stance.labeling.suggest import order_items, spread_order  # noqa: E402
from stance.model.classifier import FrameClassifier  # noqa: E402
from stance.model.evaluate import frame_metrics  # noqa: E402
from stance.model.features import build_features  # noqa: E402
from stance.passage_text import default_real_coverage  # noqa: E402
from stance.sources import load_sources  # noqa: E402

ORDERINGS = ("random", "uncertain", "diverse")
WRITTEN_WEIGHT = 0.2
OUT = ROOT / "benchmarks" / "results" / "learning_curve_real"


class _Current:
    """The current model as the suggester protocol sees it, over precomputed rows (keys: row index)."""

    def __init__(self, clf: FrameClassifier, X: np.ndarray, rows: np.ndarray):
        m = clf.predict_proba(X[rows]) - clf.thresholds_
        self.m = {int(i): m[k] for k, i in enumerate(rows)}

    def prefetch(self, keys) -> None:
        pass

    def uncertainty(self, key) -> float:
        return float(np.abs(self.m[key]).min())


def choose(ordering: str, pool_left: list[int], labelled: list[int], clf, X, articles, batch: int, seed: int,
           shuffled_pool: list[int]) -> list[int]:
    if ordering == "random":
        left = set(pool_left)
        return [i for i in shuffled_pool if i in left][:batch]
    current = _Current(clf, X, np.array(pool_left))
    if ordering == "uncertain":
        return order_items(pool_left, "uncertain", lambda i: i, current, seed)[:batch]
    if ordering == "diverse":
        margins = np.array([current.m[i] for i in pool_left])
        picked = spread_order(margins, X[pool_left], [articles[i] for i in pool_left], seed,
                              labelled_rows=X[labelled] if labelled else None,
                              labelled_articles=[articles[i] for i in labelled], head=batch)
        return [pool_left[k] for k in picked[:batch]]
    raise SystemExit(f"unknown ordering {ordering!r}; use {', '.join(ORDERINGS)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=25)
    ap.add_argument("--pool", type=float, default=0.6, help="share of the outlet's articles in the pool")
    ap.add_argument("--max-labels", type=int, default=0, help="stop each curve here (0: the whole pool)")
    ap.add_argument("--orderings", nargs="+", default=list(ORDERINGS))
    ap.add_argument("--outlets", nargs="*", help="default: outlets with >= 100 framed real labels")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--replot", type=Path, help="summarise and plot a saved results JSON, no training")
    args = ap.parse_args()
    if args.replot:
        results = json.loads(args.replot.read_text())
        summarise(results)
        plot(results, args.replot.with_suffix(".png"))
        return
    if default_real_coverage() is None:
        print("skipped: needs the real-coverage articles (../shared/real-coverage, or set STANCE_REAL_COVERAGE); "
              "the real labels store only ids and hashes")
        return
    t_start = time.perf_counter()
    cb = load_codebook()
    data = load_sources({"written": "shipped", "real": "shipped-real"}, cb)
    real = data.domain_mask("real")
    outlets = np.array([o or "" for o in data.outlets])
    articles = list(data.article_ids)
    t0 = time.perf_counter()
    X = np.asarray(build_features("static+lexicon").fit(data.texts).transform(data.texts), dtype=np.float64)
    print(f"{len(data)} passages ({int(real.sum())} real); features in {time.perf_counter() - t0:.1f} s")
    weight = np.where(data.domain_mask("written"), WRITTEN_WEIGHT, 1.0)
    groups = np.asarray(articles)
    framed = data.Y.any(axis=1)
    chosen = args.outlets or sorted({o for o in outlets[real] if (framed & real & (outlets == o)).sum() >= 100})

    fit_seconds: list[float] = []

    def score(train: np.ndarray, test: np.ndarray) -> tuple[float, FrameClassifier]:
        t = time.perf_counter()
        clf = FrameClassifier("logreg", C=1.0, cv=5, random_state=0)
        clf.fit(X[train], data.Y[train], groups=groups[train], sample_weight=weight[train], tune_mask=real[train])
        fit_seconds.append(time.perf_counter() - t)
        return frame_metrics(data.Y[test], None, clf.predict(X[test]), data.frames)["macro_f1"], clf

    results: dict = {"config": {"features": "static+lexicon", "classifier": "logreg", "C": 1.0,
                                "written_weight": WRITTEN_WEIGHT, "batch": args.batch, "pool_share": args.pool,
                                "seeds": args.seeds, "max_labels": args.max_labels, "orderings": args.orderings},
                     "outlets": {}}
    for outlet in chosen:
        mine = np.flatnonzero(real & (outlets == outlet))
        base = np.flatnonzero(~(real & (outlets == outlet)))
        outlet_articles = sorted({articles[i] for i in mine})
        res = {"labelled_passages": int(len(mine)), "framed_passages": int(framed[mine].sum()),
               "articles": len(outlet_articles), "seeds": []}
        print(f"\n## {outlet}: {len(mine)} labelled passages ({int(framed[mine].sum())} framed), "
              f"{len(outlet_articles)} articles", flush=True)
        for seed in range(args.seeds):
            arts = outlet_articles[:]
            random.Random(seed).shuffle(arts)
            in_pool = set(arts[:round(args.pool * len(arts))])
            pool = [int(i) for i in mine if articles[i] in in_pool]
            test = np.array([i for i in mine if articles[i] not in in_pool])
            start, clf0 = score(base, test)
            full, _ = score(np.concatenate([base, pool]), test)
            shuffled_pool = pool[:]
            random.Random(1000 + seed).shuffle(shuffled_pool)
            run = {"seed": seed, "pool": len(pool), "test": int(len(test)),
                   "test_framed": int(framed[test].sum()), "start": start, "full_pool": full, "curves": {}}
            for ordering in args.orderings:
                labelled: list[int] = []
                left = pool[:]
                clf, xs, ys = clf0, [0], [start]
                limit = args.max_labels or len(pool)
                while left and len(labelled) < limit:
                    batch = choose(ordering, left, labelled, clf, X, articles, args.batch, seed, shuffled_pool)
                    labelled += batch
                    taken = set(batch)
                    left = [i for i in left if i not in taken]
                    f1, clf = score(np.concatenate([base, labelled]), test)
                    xs.append(len(labelled))
                    ys.append(f1)
                run["curves"][ordering] = {"labels": xs, "macro_f1": [round(y, 4) for y in ys]}
            res["seeds"].append(run)
            print(f"seed {seed}: pool {len(pool)} ({int(framed[pool].sum())} framed), test {len(test)} "
                  f"({int(framed[test].sum())} framed); start {start:.3f}, full pool {full:.3f}; "
                  + ", ".join(f"{o} @100 {_at(run['curves'][o], 100):.3f}" for o in args.orderings), flush=True)
        results["outlets"][outlet] = res
    results["seconds"] = round(time.perf_counter() - t_start, 1)
    results["seconds_per_fit"] = round(float(np.mean(fit_seconds)), 3) if fit_seconds else None
    summarise(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    plot(results, args.out.with_suffix(".png"))
    print(f"\n{results['seconds']:.0f} s in all, {results['seconds_per_fit']} s a fit; "
          f"wrote {args.out.with_suffix('.json')} and {args.out.with_suffix('.png')}")


def _at(curve: dict, n: int) -> float:
    """The score once n labels are in (the last batch at or below n)."""
    ok = [y for x, y in zip(curve["labels"], curve["macro_f1"]) if x <= n]
    return ok[-1]


def labels_to_reach(curve: dict, target: float) -> int | None:
    for x, y in zip(curve["labels"], curve["macro_f1"]):
        if y >= target:
            return x
    return None


def summarise(results: dict) -> None:
    """Per outlet and ordering: mean (sd) macro-F1 at fixed label counts; the mean over the curve's
    first batches (area under it, up to the smallest pool); labels needed to reach 90% of the
    full-pool score (per seed: the first batch at or above 0.9 x that seed's full-pool score) and
    to close 90% of the gap from the starting model to the full pool."""
    orderings = results["config"]["orderings"]
    for outlet, res in results["outlets"].items():
        runs = res["seeds"]
        full = np.array([r["full_pool"] for r in runs])
        start = np.array([r["start"] for r in runs])
        smallest = min(r["pool"] for r in runs)
        points = [n for n in (25, 50, 100, 200, 300) if n <= smallest]
        res["summary"] = {}
        print(f"\n### {outlet}: start {start.mean():.3f} (sd {start.std():.3f}), full pool {full.mean():.3f} "
              f"(sd {full.std():.3f}), pool {smallest}-{max(r['pool'] for r in runs)} passages")
        print("| ordering | " + " | ".join(f"F1 @{n}" for n in points)
              + " | mean F1 over the curve | labels to 90% of full (per seed) | labels to 90% of the gain (per seed) |")
        print("|---|" + "---:|" * (len(points) + 3))
        for o in orderings:
            at = {n: np.array([_at(r["curves"][o], n) for r in runs]) for n in points}
            area = np.array([np.mean([y for x, y in zip(r["curves"][o]["labels"], r["curves"][o]["macro_f1"])
                                      if x <= smallest]) for r in runs])
            need = [labels_to_reach(r["curves"][o], 0.9 * r["full_pool"]) for r in runs]
            gain = [labels_to_reach(r["curves"][o], r["start"] + 0.9 * max(r["full_pool"] - r["start"], 0.0))
                    for r in runs]
            res["summary"][o] = {"f1_at": {n: [round(float(v.mean()), 4), round(float(v.std()), 4)] for n, v in at.items()},
                                 "mean_f1_over_curve": [round(float(area.mean()), 4), round(float(area.std()), 4)],
                                 "labels_to_90pct_of_full": need, "labels_to_90pct_of_gain": gain}
            print(f"| {o} | " + " | ".join(f"{v.mean():.3f} ± {v.std():.3f}" for v in at.values())
                  + f" | {area.mean():.3f} ± {area.std():.3f} | {_needs(need)} | {_needs(gain)} |")


def _needs(need: list[int | None]) -> str:
    reached = [n for n in need if n is not None]
    mean = f"mean {np.mean(reached):.0f}" if reached else "never"
    missed = "" if len(reached) == len(need) else f", {len(need) - len(reached)} never"
    return f"{', '.join('-' if n is None else str(n) for n in need)} ({mean}{missed})"


def plot(results: dict, path: Path) -> None:
    from stance.plots import pyplot, save_figure

    plt = pyplot()
    outlets = list(results["outlets"])
    fig, axes = plt.subplots(1, len(outlets), figsize=(4.6 * len(outlets), 3.8), sharey=True, squeeze=False)
    colors = {"random": "#7f8c8d", "uncertain": "#2471a3", "diverse": "#c0392b"}
    for ax, outlet in zip(axes[0], outlets):
        res = results["outlets"][outlet]
        runs = res["seeds"]
        n = min(len(r["curves"][o]["labels"]) for r in runs for o in r["curves"])
        for o in results["config"]["orderings"]:
            xs = np.array(runs[0]["curves"][o]["labels"][:n])
            ys = np.array([r["curves"][o]["macro_f1"][:n] for r in runs])
            mean, sd = ys.mean(axis=0), ys.std(axis=0)
            ax.plot(xs, mean, color=colors.get(o), label=o, lw=1.8)
            ax.fill_between(xs, mean - sd, mean + sd, color=colors.get(o), alpha=0.15, lw=0)
        full = np.mean([r["full_pool"] for r in runs])
        ax.axhline(full, color="black", ls="--", lw=0.8, label="whole pool")
        ax.axhline(0.9 * full, color="black", ls=":", lw=0.8, label="90% of whole pool")
        ax.set_title(f"{outlet}\n{res['labelled_passages']} labelled, {res['framed_passages']} framed", fontsize=10)
        ax.set_xlabel("labels of this outlet added")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("macro-F1 on its held-out articles")
    axes[0][-1].legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Learning curves on real coverage: mean ± sd over {results['config']['seeds']} seeds "
                 f"(article splits), batches of {results['config']['batch']}", fontsize=10, y=1.06)
    save_figure(fig, path)


if __name__ == "__main__":
    main()
