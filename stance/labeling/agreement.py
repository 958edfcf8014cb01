"""Inter-annotator agreement and disagreements.

For passages labelled by two or more annotators, each frame is a yes/no decision; per frame we
report percent agreement, Krippendorff's alpha (nominal; any number of annotators, missing
answers allowed) and Cohen's kappa for each pair of annotators, each with the number of passages
it rests on. The formulas are written out here (no extra dependency) and tested against values
computed by hand. Only ordinary answers count, never adjudications.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any, Hashable, Iterable, Sequence

from ..codebook import Codebook
from .store import Disagreement, Event, Label, current_labels, first_answered, votes_by_passage

ALL_FRAMES = "(exact set)"  # the row comparing whole frame sets


def percent_agreement(units: Iterable[Sequence[Hashable]]) -> tuple[float | None, int]:
    """Share of units (with >= 2 values) on which every value is the same, and how many units."""
    units = [u for u in units if len(u) >= 2]
    if not units:
        return None, 0
    return sum(len(set(u)) == 1 for u in units) / len(units), len(units)


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two coders over the same items: (p_o - p_e) / (1 - p_e).
    None when undefined (both coders used one and the same value throughout)."""
    if len(a) != len(b):
        raise ValueError("cohen_kappa needs two equally long sequences")
    n = len(a)
    if n == 0:
        return None
    p_o = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    p_e = sum(ca[c] * cb[c] for c in ca) / (n * n)
    if p_e == 1:
        return None
    return (p_o - p_e) / (1 - p_e)


def krippendorff_alpha_nominal(units: Iterable[Sequence[Hashable]]) -> tuple[float | None, int]:
    """Krippendorff's alpha for nominal data, and the number of pairable units.

    `units` holds, per unit, the values it received (missing answers simply absent). Units with
    fewer than two values cannot be paired and are left out. alpha = 1 - D_o / D_e from the
    coincidence matrix; None when there is no variation at all (D_e = 0).
    """
    units = [list(u) for u in units if len(u) >= 2]
    coincidences: Counter = Counter()  # (c, k) -> o_ck
    for u in units:
        counts, m = Counter(u), len(u)
        for c, nc in counts.items():
            for k, nk in counts.items():
                coincidences[(c, k)] += nc * (nk - (c == k)) / (m - 1)
    n_c: Counter = Counter()
    for (c, _), o in coincidences.items():
        n_c[c] += o
    n = sum(n_c.values())
    if n <= 1:
        return None, len(units)
    observed = sum(o for (c, k), o in coincidences.items() if c != k)
    expected = (n * n - sum(v * v for v in n_c.values())) / (n - 1)
    if expected == 0:
        return None, len(units)
    return 1 - observed / expected, len(units)


@dataclass
class PairKappa:
    annotator_a: str
    annotator_b: str
    kappa: float | None
    n: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FrameAgreement:
    """Agreement on one frame; `n` = passages with >= 2 annotators (alpha and percent rest on it)."""

    frame: str
    n: int
    percent: float | None
    alpha: float | None
    kappas: list[PairKappa] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kappas": [k.to_dict() for k in self.kappas]}


def shared_passages(labels: dict[tuple[str, str], Label],
                    annotators: Iterable[str] | None = None) -> dict[str, dict[str, Label]]:
    """passage_id -> annotator -> Label, for passages with two or more annotators."""
    return {pid: v for pid, v in votes_by_passage(labels, annotators).items() if len(v) >= 2}


def frame_agreement(labels: dict[tuple[str, str], Label], codebook: Codebook,
                    annotators: Iterable[str] | None = None) -> list[FrameAgreement]:
    """One row per codebook frame, plus a last row comparing whole frame sets."""
    shared = shared_passages(labels, annotators)
    names = sorted({a for v in shared.values() for a in v})
    value_sets = [(key, lambda lab, key=key: key in lab.frames) for key in codebook.frame_keys]
    value_sets.append((ALL_FRAMES, lambda lab: frozenset(lab.frames)))
    rows = []
    for frame, value in value_sets:
        units = [[value(lab) for lab in v.values()] for v in shared.values()]
        percent, n = percent_agreement(units)
        alpha, _ = krippendorff_alpha_nominal(units)
        kappas = []
        for a, b in combinations(names, 2):
            both = [v for v in shared.values() if a in v and b in v]
            if both:
                kappas.append(PairKappa(a, b, cohen_kappa([value(v[a]) for v in both], [value(v[b]) for v in both]),
                                        len(both)))
        rows.append(FrameAgreement(frame, n, percent, alpha, kappas))
    return rows


def find_disagreements(labels: dict[tuple[str, str], Label],
                       annotators: Iterable[str] | None = None) -> list[Disagreement]:
    """Passages whose annotators did not choose the same frame set, oldest first."""
    found = []
    for pid, votes in shared_passages(labels, annotators).items():
        if len({frozenset(lab.frames) for lab in votes.values()}) > 1:
            first = min(votes.values(), key=first_answered)
            frames = {a: list(lab.frames) for a, lab in sorted(votes.items())}
            found.append((first_answered(first), Disagreement(pid, first.article_id, first.text, frames, first.text_sha256)))
    return [d for _, d in sorted(found, key=lambda t: t[0])]


def undecided_disagreements(events: list[Event]) -> tuple[list[Disagreement], int]:
    """Disagreements no adjudicator has ruled on yet, and how many disagreements there are in all."""
    everything = find_disagreements(current_labels(events))
    ruled = {lab.passage_id for lab in current_labels(events, adjudication=True).values()}
    return [d for d in everything if d.passage_id not in ruled], len(everything)
