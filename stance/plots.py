"""What every plot stance draws shares: one colour per frame, frame names as shown, headless
Matplotlib (Agg), and saving as PNG (and SVG where asked). The plots themselves live with their
users: evaluation plots in stance.model.plots, profile and report plots in stance.profiling.plots.
"""

from __future__ import annotations

from pathlib import Path

PALETTE = ["#c0392b", "#2471a3", "#d68910", "#7d3c98", "#138d75", "#a04000", "#2e4053", "#b7950b"]
NONE_COLOR = "#aab7b8"


def frame_colors(frames: list[str]) -> dict[str, str]:
    """Colour of each frame, by its position in the codebook: the same in every plot."""
    colors = {f: PALETTE[i % len(PALETTE)] for i, f in enumerate(frames)}
    colors["none"] = NONE_COLOR
    return colors


def pyplot():
    """matplotlib.pyplot on the headless Agg backend, imported only when a plot is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path, formats=("png",)) -> list[Path]:
    """Write fig once per format next to path (suffix replaced) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = path.with_suffix("." + fmt)
        fig.savefig(target, dpi=130, bbox_inches="tight")
        written.append(target)
    pyplot().close(fig)
    return written


def pretty(frame: str) -> str:
    """A frame name as axes and legends show it."""
    return frame.replace("_", " ")
