"""Label sources for training: one or several label stores (the shipped written corpus, the
shipped real-coverage labels, a user's own) read as one TrainingSet, each passage tagged with the
name of its source so training can weight the sources and tune on one of them.

This is where labelling's records meet the model: labelling and model never import each other.
"""

from __future__ import annotations

from pathlib import Path

from .codebook import Codebook
from .errors import StanceError
from .paths import SHIPPED_LABELS, SHIPPED_REAL_LABELS, Project, labels_dir

# The name a source gets when none is given: shipped sources by what they hold, others by folder.
_DEFAULT_NAMES = {SHIPPED_LABELS: "written", SHIPPED_REAL_LABELS: "real"}


def parse_sources(given: list[str] | None) -> dict[str, str]:
    """`--labels [NAME=]DIR` options -> {name: dir}; none given -> the project's own labels."""
    out: dict[str, str] = {}
    for item in given or []:
        name, sep, path = item.partition("=")
        if not sep:
            name, path = _DEFAULT_NAMES.get(item, Path(item).name if len(given) > 1 else "labels"), item
        if not name or not path:
            raise StanceError(f"--labels {item!r}: give a label store folder, or NAME=FOLDER to name it")
        if name in out:
            raise StanceError(f"--labels: two sources named {name!r}; name them with NAME=FOLDER")
        out[name] = path
    return out


def parse_weights(given: list[str] | None, names: list[str]) -> dict[str, float]:
    """`--weight NAME=W` options -> {name: weight}, checked against the source names."""
    out: dict[str, float] = {}
    for item in given or []:
        name, _, value = item.partition("=")
        if name not in names:
            raise StanceError(f"--weight {item!r}: no label source named {name!r} (sources: {', '.join(names)})")
        try:
            out[name] = float(value)
        except ValueError:
            raise StanceError(f"--weight {item!r}: the weight must be a number, e.g. {name}=3") from None
        if out[name] <= 0:
            raise StanceError(f"--weight {item!r}: the weight must be positive")
    return out


def load_sources(sources: dict[str, str], codebook: Codebook, project: Project | None = None,
                 corpus: Path | None = None, texts: Path | None = None):
    """The named label stores as one TrainingSet (`domains` says which source each passage is from).

    Each store's corpus metadata (writer, topic, split, outlet) is read from `corpus/` beside it
    (or `corpus`, for a single source); labels stored by reference get their text from `texts`."""
    from .labeling.export import gold_records
    from .model.data import TrainingSet, training_set

    sets = {}
    for name, given in (sources or {"labels": None}).items():
        store = labels_dir(given, project)
        meta = corpus if corpus is not None and len(sources or {}) <= 1 else store.parent / "corpus"
        sets[name] = training_set(gold_records(store, codebook, texts), codebook.frame_keys,
                                  meta if meta.is_dir() else None, source=store)
    if len(sets) == 1:
        (name, data), = sets.items()
        data.domains = [name] * len(data)
        return data
    return TrainingSet.combine(sets)
