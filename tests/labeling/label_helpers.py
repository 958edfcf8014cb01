"""Event factories and small articles shared by the labelling tests."""

from __future__ import annotations

from stance.labeling.store import Event

ARTICLE_A = """\
title: Lab exodus at Halden
outlet: The Ledger

Halden Labs lost four senior researchers this month, the third such departure in six months.

Former staff say the new product division got all the money while the research group was gutted.

The company said the reorganisation would help it ship products to customers faster next year.
"""

ARTICLE_B = """\
title: Open weights, open questions
outlet: Signal Weekly

Researchers argue that releasing model weights lets outsiders inspect, audit and reproduce results.

The company said the reorganisation would help it ship products to customers faster next year.

Critics reply that bigger language models still cannot plan or reason about the physical world.
"""


def answer(annotator: str, pid: str, frames: list[str], *, text: str = "", article: str = "art",
           source: str = "label", ts: str | None = None, kind: str = "answer") -> Event:
    e = Event(kind, pid, annotator, article, text or f"text of {pid}", list(frames), "tech-framing", "1.1",
              source=source)
    if ts:
        e.timestamp = ts
    return e


def undo(annotator: str, pid: str = "x") -> Event:
    return Event("undo", pid, annotator)
