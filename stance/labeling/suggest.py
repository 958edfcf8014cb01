"""Suggestions and orderings for a labelling session.

A suggester proposes frames for a passage (pre-selected on the screen, marked "(suggested)") and
scores how strongly each frame is indicated (used to order passages). Anything with these two
methods plugs in: the seed lexicon here, a trained model (`stance.model.suggest.ModelSuggester`,
wired in by the CLI: labelling never imports the model); a new ordering is one more entry in `ORDERS`.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Callable, Protocol, Sequence, TypeVar

from ..errors import CodebookError, InputError
from ..lexicon import Lexicon
from ..paths import default_lexicon
from ..codebook import Codebook

T = TypeVar("T")


class Suggester(Protocol):
    def suggest(self, passage_text: str) -> list[str]:
        """Frame keys to pre-select; empty when there is nothing to suggest."""

    def scores(self, passage_text: str) -> dict[str, float]:
        """Frame key -> strength of the evidence; higher means more likely framed."""


class LexiconSuggester:
    """Frames whose seed-lexicon terms reach their threshold (see stance.lexicon for the format)."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon

    def scores(self, passage_text: str) -> dict[str, float]:
        return self.lexicon.scores(passage_text)

    def suggest(self, passage_text: str) -> list[str]:
        return self.lexicon.suggest(passage_text)


def load_lexicon_suggester(codebook: Codebook, path: str | Path | None = None) -> LexiconSuggester | None:
    """The seed lexicon as a suggester; None when no lexicon file exists at the default place."""
    if path is None:
        path = default_lexicon()
        if not path.exists():
            return None
    return LexiconSuggester(Lexicon.load(path, codebook.frame_keys))


# --- orderings -----------------------------------------------------------------------------
# Each ordering takes (items, text, suggester, seed, article) and returns the items in the order
# they are shown; `article(item)` names the item's article (orderings that spread across articles).

def sequential(items: Sequence[T], text: Callable[[T], str], suggester: Suggester | None, seed: int | None,
               article: Callable[[T], str] | None = None) -> list[T]:
    return list(items)


def shuffled(items: Sequence[T], text: Callable[[T], str], suggester: Suggester | None, seed: int | None,
             article: Callable[[T], str] | None = None) -> list[T]:
    out = list(items)
    random.Random(seed).shuffle(out)
    return out


def most_likely_framed(items: Sequence[T], text: Callable[[T], str], suggester: Suggester | None,
                       seed: int | None, article: Callable[[T], str] | None = None) -> list[T]:
    """Passages the suggester scores highest (on any frame) first; ties keep input order."""
    if suggester is None:
        raise CodebookError("--order seeds needs a seed lexicon (seeds/lexicon.toml) and suggestions on; "
                            "pass --lexicon FILE or use --order sequential")
    best = [max(suggester.scores(text(it)).values(), default=0.0) for it in items]
    return [items[i] for i in sorted(range(len(items)), key=lambda i: -best[i])]


def most_uncertain(items: Sequence[T], text: Callable[[T], str], suggester: Suggester | None,
                   seed: int | None, article: Callable[[T], str] | None = None) -> list[T]:
    """Passages the model is least sure about first (active learning): labels there teach it most."""
    if not hasattr(suggester, "uncertainty"):
        raise CodebookError("--order uncertain needs a model: pass --model (e.g. models/default)")
    suggester.prefetch([text(it) for it in items])
    gaps = [suggester.uncertainty(text(it)) for it in items]
    return [items[i] for i in sorted(range(len(items)), key=lambda i: gaps[i])]


def diverse_uncertain(items: Sequence[T], text: Callable[[T], str], suggester: Suggester | None,
                      seed: int | None, article: Callable[[T], str] | None = None) -> list[T]:
    """Uncertain passages, spread over articles, over the model's feature space and over the frames
    the model leans to (see `spread_order`); needs a model with `margins` and `embed`."""
    if not (hasattr(suggester, "margins") and hasattr(suggester, "embed")):
        raise CodebookError("--order diverse needs a model: pass --model (e.g. models/default)")
    import numpy as np

    texts = [text(it) for it in items]
    suggester.prefetch(texts)
    frames = list(suggester.margins(texts[0])) if texts else []
    margins = np.array([[suggester.margins(t)[f] for f in frames] for t in texts]).reshape(len(texts), len(frames))
    rows = suggester.embed(texts)
    groups = [article(it) for it in items] if article is not None else list(range(len(items)))
    return [items[i] for i in spread_order(margins, rows, groups, seed)]


def spread_order(margins, rows, articles: Sequence, seed: int | None = None, *, labelled_rows=None,
                 labelled_articles: Sequence = (), head: int = 1000) -> list[int]:
    """Indices of the candidates in the order to label them: uncertainty weighted by diversity.

    `margins` (n, frames): each frame's probability minus its threshold; `rows` (n, d): the model's
    feature rows; `articles`: each candidate's article. Greedily, each pick
    - comes from an article labelled least so far (no article twice before every article with
      candidates left has one; `labelled_articles` count as labelled),
    - leans to the next frame in turn (the frame whose probability is closest to, or furthest past,
      its threshold), when some candidate of an eligible article does, so frames alternate,
    - and among those maximises unsureness x distance: 1 / (1 + u / median u), u the smallest
      |margin|, times the cosine distance to the nearest passage already picked or labelled
      (`labelled_rows`): farthest-first in feature space, led by the uncertain ones.
    Ties go by a random order from `seed`. After `head` picks the distances stop updating (the
    cost is n x d a pick), and the rest follow article spread, frame turns and unsureness.
    """
    import numpy as np

    margins = np.asarray(margins, dtype=np.float64)
    n = len(margins)
    if n == 0:
        return []
    margins = margins.reshape(n, -1)
    u = np.abs(margins).min(axis=1) if margins.shape[1] else np.zeros(n)
    tau = float(np.median(u)) or 1e-9
    unsure = 1.0 / (1.0 + u / tau)
    lean = margins.argmax(axis=1) if margins.shape[1] else np.zeros(n, dtype=int)
    n_frames = max(margins.shape[1], 1)

    X = np.asarray(rows, dtype=np.float64).reshape(n, -1)
    L = (np.zeros((0, X.shape[1])) if labelled_rows is None
         else np.asarray(labelled_rows, dtype=np.float64).reshape(-1, X.shape[1]))
    centre = np.vstack([X, L]).mean(axis=0)
    unit = lambda A: (A - centre) / np.maximum(np.linalg.norm(A - centre, axis=1, keepdims=True), 1e-12)  # noqa: E731
    X = unit(X)
    dist = np.ones(n)  # cosine distance to the nearest picked/labelled row (1 = unrelated)
    for start in range(0, len(L), 1024):
        dist = np.minimum(dist, 1.0 - (X @ unit(L[start:start + 1024]).T).max(axis=1))

    keys = {a: k for k, a in enumerate(dict.fromkeys(list(articles) + list(labelled_articles)))}
    art = np.array([keys[a] for a in articles])
    count = np.bincount([keys[a] for a in labelled_articles], minlength=len(keys)).astype(np.int64)
    jitter = np.random.default_rng(seed).random(n) * 1e-9  # random tie-break, reproducible by seed
    left = np.ones(n, dtype=bool)
    order: list[int] = []
    turn = 0
    for step in range(n):
        per_item = count[art]
        eligible = left & (per_item == per_item[left].min())
        for k in range(n_frames):
            want = eligible & (lean == (turn + k) % n_frames)
            if want.any():
                turn = (turn + k + 1) % n_frames
                break
        else:
            want = eligible
        score = unsure * (np.maximum(dist, 0.0) if step < head else 1.0) + jitter
        i = int(np.flatnonzero(want)[np.argmax(score[want])])
        order.append(i)
        left[i] = False
        count[art[i]] += 1
        if step < head:
            dist = np.minimum(dist, 1.0 - X @ X[i])
    return order


ORDERS: dict[str, Callable] = {"sequential": sequential, "random": shuffled, "seeds": most_likely_framed,
                               "uncertain": most_uncertain, "diverse": diverse_uncertain}


def order_items(items: Sequence[T], order: str, text: Callable[[T], str],
                suggester: Suggester | None = None, seed: int | None = None,
                article: Callable[[T], str] | None = None) -> list[T]:
    """`items` in the named order; `article(item)` names an item's article (default: its
    `article_id` attribute, when it has one)."""
    if order not in ORDERS:
        raise InputError("--order", f"unknown order {order!r}; use one of {', '.join(ORDERS)}")
    if article is None and items and hasattr(items[0], "article_id"):
        article = lambda it: it.article_id  # noqa: E731
    return ORDERS[order](items, text, suggester, seed, article)
