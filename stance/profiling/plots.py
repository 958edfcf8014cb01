"""Profile and report plots: one bar chart per article, shares by group, the article heatmap and
shares over time; colours and saving come from stance.plots."""

from __future__ import annotations

import numpy as np

from ..plots import frame_colors, pretty, pyplot, save_figure


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def plot_profile(profile, path, formats=("png",)):
    """One article, two measures per frame: the bar is `share` (words in passages whose probability
    reaches the frame's threshold: what report tables use); the dot is `expected` (probability-weighted
    words), with its 95% interval. They differ when many passages sit near the threshold."""
    plt = pyplot()
    frames = list(profile.frames)
    colors = frame_colors(frames)
    labels = [pretty(f) for f in frames] + ["no frame"]
    shares = [profile.frames[f].share for f in frames] + [profile.none_share]
    fig, ax = plt.subplots(figsize=(6.5, 0.5 * len(labels) + 1.6))
    y = np.arange(len(labels))[::-1]
    ax.barh(y, shares, color=[colors[f] for f in frames] + [colors["none"]], height=0.6)
    exp = np.array([profile.frames[f].expected for f in frames])
    lo = np.array([profile.frames[f].lo for f in frames])
    hi = np.array([profile.frames[f].hi for f in frames])
    ax.errorbar(exp, y[:-1], xerr=[exp - lo, hi - exp], fmt="o", color="black", ms=4, capsize=3, lw=1)
    for yi, s in zip(y, shares):
        ax.text(min(s + 0.01, 0.93), yi + 0.32, f"{s:.0%}", va="center", fontsize=8)
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel(f"share of the article's {profile.n_words:,} words ({profile.n_passages} passages)")
    where = " \u00b7 ".join(x for x in (profile.outlet, profile.date) if x)
    ax.set_title(_short(profile.title or profile.article_id, 70) + (f"\n{where}" if where else ""), fontsize=10)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(facecolor="#999999", label="bar: share of words in passages tagged with the frame "
                                                "(what report tables use)"),
               Line2D([], [], marker="o", color="black", ms=4, lw=1,
                      label="dot: expected share from the probabilities, line: its 95% interval")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, fontsize=7, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return save_figure(fig, path, formats)


def plot_group_shares(groups, columns, frames, path, title, ylabel, formats=("png", "svg")):
    """Grouped bars: for each group, one bar per frame (and "none"), with 95% interval error bars."""
    plt = pyplot()
    colors = frame_colors(frames)
    n, k = len(groups), len(columns)
    width = 0.8 / k
    fig, ax = plt.subplots(figsize=(min(12.0, max(6.0, 1.5 + n * (0.2 * k + 0.25))), 4.8))
    x = np.arange(n)
    top = 0.0
    for j, c in enumerate(columns):
        means = np.array([g.mean[c] for g in groups])
        lo = np.array([np.nan if g.lo[c] is None else g.lo[c] for g in groups])  # no bar for a group of one
        hi = np.array([np.nan if g.hi[c] is None else g.hi[c] for g in groups])
        top = max(top, np.nanmax(np.append(hi, means)))
        ax.bar(x - 0.4 + width * (j + 0.5), means, width, yerr=[means - lo, hi - means], capsize=2,
               color=colors[c], error_kw={"lw": 0.8, "ecolor": "#333333"}, label=pretty(c) if c != "none" else "no frame")
    rotate = n > 4
    ax.set_xticks(x, [f"{_short(g.group, 24)} (n={g.n_articles:,})" if rotate else f"{_short(g.group, 24)}\n(n={g.n_articles:,})"
                      for g in groups], rotation=30 if rotate else 0, ha="right" if rotate else "center",
                  rotation_mode="anchor", fontsize=8)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(0, min(1.0, top * 1.15 + 0.05))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_ylabel(ylabel)
    ax.set_title(title + "\nerror bars: 95% t interval across articles", fontsize=10)
    ax.legend(fontsize=8, ncol=k, loc="lower left", bbox_to_anchor=(0, 1.1), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, path, formats)


def plot_article_heatmap(rows, frames, path, n_total, measure="share", formats=("png", "svg")):
    """Articles x frames, sorted by dominant frame; the strip on the left is the dominant frame's colour."""
    from matplotlib.colors import ListedColormap

    plt = pyplot()
    colors = frame_colors(frames)
    M = np.array([[r.values[f] for f in frames] for r in rows])
    fig, (strip, ax) = plt.subplots(1, 2, figsize=(2.2 + 1.3 * len(frames) + 3.2, 0.22 * len(rows) + 1.8),
                                    gridspec_kw={"width_ratios": [0.25, len(frames)], "wspace": 0.02})
    order = frames + ["none"]
    strip.imshow(np.array([[order.index(r.dominant)] for r in rows]), aspect="auto",
                 cmap=ListedColormap([colors[f] for f in order]), vmin=-0.5, vmax=len(order) - 0.5)
    strip.set_xticks([0], ["dominant"], rotation=90, fontsize=7)
    strip.set_yticks(range(len(rows)), [r.label for r in rows], fontsize=7)
    im = ax.imshow(M, aspect="auto", cmap="Greys", vmin=0, vmax=1)
    ax.set_yticks([])
    ax.set_xticks(range(len(frames)), [pretty(f) for f in frames], fontsize=8)
    for tick, f in zip(ax.get_xticklabels(), frames):
        tick.set_color(colors[f])
        tick.set_fontweight("bold")
    shown = f"{len(rows)} of {n_total:,} articles (random sample)" if n_total > len(rows) else f"{n_total} articles"
    ax.set_title(f"Frame {measure} per article: {shown}", fontsize=10)
    from matplotlib.patches import Patch

    handles = [Patch(color=colors[f], label=pretty(f) if f != "none" else "no frame") for f in order]
    ax.legend(handles=handles, title="dominant frame (left strip)", fontsize=7, title_fontsize=7, ncol=len(order),
              loc="upper center", bbox_to_anchor=(0.5, 0.0), borderaxespad=2.5, frameon=False)
    fig.colorbar(im, ax=ax, shrink=min(0.8, 6 / max(len(rows), 1) + 0.3), format=lambda v, _: f"{v:.0%}",
                 label=f"{measure} of words")
    return save_figure(fig, path, formats)


def _period_position(label: str) -> float:
    """"2024" -> 2024.0, "2024-Q2" -> 2024.25, "2024-03" -> 2024 + 2/12: periods sit at their place in
    time, gaps stay gaps."""
    year, _, part = label.partition("-")
    if part.startswith("Q"):
        return int(year) + (int(part[1:]) - 1) / 4
    return int(year) + (int(part) - 1) / 12 if part else float(year)


def plot_shares_over_time(periods, frames, path, unit, ylabel, left_out="", formats=("png", "svg")):
    """One line per frame over time (dashed grey: no frame), with a shaded 95% t interval across the
    period's articles. The caller passes only periods with enough articles for an interval."""
    plt = pyplot()
    colors = frame_colors(frames)
    x = np.array([_period_position(p.group) for p in periods])
    fig, ax = plt.subplots(figsize=(min(12.0, max(6.5, 0.35 * len(periods) + 2)), 4.4))
    top = 0.0
    for f in frames + (["none"] if "none" in periods[0].mean else []):
        mean = np.array([p.mean[f] for p in periods])
        lo = np.array([np.nan if p.lo[f] is None else p.lo[f] for p in periods])
        hi = np.array([np.nan if p.hi[f] is None else p.hi[f] for p in periods])
        top = max(top, np.nanmax(np.append(hi, mean)))
        ax.plot(x, mean, marker="o", ms=3, color=colors[f], ls="--" if f == "none" else "-",
                label="no frame" if f == "none" else pretty(f))
        ax.fill_between(x, lo, hi, color=colors[f], alpha=0.15, lw=0)
    step = max(1, int(np.ceil(len(periods) / 16)))
    many = len(periods) > 8
    ax.set_xticks(x[::step], [p.group for p in periods][::step], rotation=45 if many else 0,
                  ha="right" if many else "center", rotation_mode="anchor", fontsize=8)
    ax.set_ylim(0, min(1.0, top * 1.15 + 0.05))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_ylabel(ylabel)
    counts = [p.n_articles for p in periods]
    spread = f"{min(counts):,} articles" if min(counts) == max(counts) else f"{min(counts):,} to {max(counts):,} articles"
    ax.set_xlabel(f"{unit} ({spread} per {unit}; {sum(counts):,} in all)" + (f"\n{left_out}" if left_out else ""))
    ax.set_title(f"Frames over time by {unit}; shading: 95% t interval across articles", fontsize=10)
    ax.legend(fontsize=8, ncol=len(frames) + 1, loc="lower left", bbox_to_anchor=(0, 1.08), frameon=False)
    ax.grid(alpha=0.3)
    return save_figure(fig, path, formats)
