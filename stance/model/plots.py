"""Evaluation plots: precision-recall, reliability and co-occurrence per frame (out-of-fold)."""

from __future__ import annotations

import numpy as np

from ..plots import frame_colors, pretty, pyplot, save_figure


def plot_pr_curves(Y, proba, frames, path):
    from sklearn.metrics import average_precision_score, precision_recall_curve

    plt, colors = pyplot(), frame_colors(frames)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for j, f in enumerate(frames):
        if Y[:, j].sum() == 0:
            continue
        prec, rec, _ = precision_recall_curve(Y[:, j], proba[:, j])
        ap = average_precision_score(Y[:, j], proba[:, j])
        ax.plot(rec, prec, color=colors[f], label=f"{pretty(f)} (AP {ap:.2f})")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02),
           title="Precision-recall per frame (out-of-fold)")
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


def plot_reliability(Y, proba, frames, path, n_bins=10):
    plt, colors = pyplot(), frame_colors(frames)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot([0, 1], [0, 1], ls="--", color="#888888", lw=1, label="perfectly calibrated")
    edges = np.linspace(0, 1, n_bins + 1)
    for j, f in enumerate(frames):
        bins = np.minimum((proba[:, j] * n_bins).astype(int), n_bins - 1)
        xs, ys = [], []
        for b in range(n_bins):
            m = bins == b
            if m.sum() >= 5:
                xs.append(proba[m, j].mean())
                ys.append(Y[m, j].mean())
        ax.plot(xs, ys, marker="o", color=colors[f], label=pretty(f))
    ax.set(xlabel="predicted probability", ylabel="observed frequency", xlim=(0, 1), ylim=(0, 1),
           title="Reliability per frame (out-of-fold, bins with >= 5 passages)")
    ax.set_xticks(edges[::2])
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


def plot_cooccurrence(Y, frames, path):
    plt = pyplot()
    labels = frames + ["none"]
    full = np.column_stack([Y, (Y.sum(axis=1) == 0).astype(int)])
    M = full.T @ full
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    im = ax.imshow(M, cmap="Blues")
    ax.set_xticks(range(len(labels)), [pretty(l) for l in labels], rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), [pretty(l) for l in labels])
    for i in range(len(labels)):
        for k in range(len(labels)):
            ax.text(k, i, int(M[i, k]), ha="center", va="center",
                    color="white" if M[i, k] > M.max() / 2 else "black", fontsize=9)
    ax.set_title("Frame co-occurrence (passages)")
    fig.colorbar(im, ax=ax, shrink=0.8)
    return save_figure(fig, path)
