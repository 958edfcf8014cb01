"""An article's framing profile: how much of its text carries each frame, and where.

The unit is words, not passages, so a one-line aside weighs less than a long paragraph. Two
measures per frame:

- `share`: the share of the article's words in passages the model tags with the frame
  (probability >= the frame's threshold). Easy to read; what the codebook calls the profile.
- `expected`: the share the calibrated probabilities expect, sum(w_i p_i) / W, with a 95%
  interval. Passages are treated as independent Bernoulli draws weighted by their length w_i,
  so the variance is sum(w_i^2 p_i (1 - p_i)) / W^2 and the interval is the normal
  approximation expected +/- 1.96 sd, clipped to [0, 1]. It shows how sure the model is; it
  ignores the model's own error and the dependence between passages of one article.

`summarise_passages` is the pure arithmetic (probabilities in, numbers out), so it can be checked
by hand; `profile_article` adds segmenting, the model and the article's metadata.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence

from ..articles import Article
from ..errors import StanceError
from ..boilerplate import RULES_ONLY
from ..model.thresholds import carries
from ..passages import Passage, count_words, more_words_than

FORMAT_VERSION = 1
N_EVIDENCE = 3  # passages kept as evidence per frame
SNIPPET_CHARS = 200
MAX_ARTICLE_WORDS = 50_000  # longer "articles" are usually whole scraped pages or concatenations
Z95 = 1.959963984540054  # two-sided 95% normal quantile


class ProfileError(StanceError):
    """One article cannot be profiled. `kind` is a short code for summaries (empty, no_passages,
    too_long); the message says what to do."""

    exit_code = 2

    def __init__(self, kind: str, message: str):
        self.kind = kind
        super().__init__(message)


@dataclass
class Evidence:
    """A passage that carries a frame: its position in the article, probability and opening."""

    index: int
    probability: float
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "probability": self.probability, "snippet": self.snippet}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Evidence":
        return cls(int(d["index"]), float(d["probability"]), d["snippet"])


@dataclass
class FrameProfile:
    """One frame in one article (see the module docstring for share vs expected)."""

    share: float  # share of words in passages tagged with the frame
    expected: float  # sum(w p) / W
    lo: float  # 95% interval of `expected`
    hi: float
    passages: int  # passages tagged with the frame
    mean_probability: float  # over the article's passages, unweighted
    max_probability: float
    evidence: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        # Written out rather than dataclasses.asdict, which deep-copies and is slow at 1,000s of articles/s.
        return {"share": self.share, "expected": self.expected, "lo": self.lo, "hi": self.hi,
                "passages": self.passages, "mean_probability": self.mean_probability,
                "max_probability": self.max_probability, "evidence": [e.to_dict() for e in self.evidence]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "FrameProfile":
        values = {k: d[k] for k in cls.__dataclass_fields__ if k != "evidence"}
        return cls(**values, evidence=[Evidence.from_dict(e) for e in d.get("evidence", [])])


@dataclass
class Profile:
    """The framing profile of one article. Frames are in the model's (codebook's) order."""

    article_id: str
    title: str | None
    outlet: str | None
    date: str | None
    url: str | None
    n_passages: int
    n_words: int  # words in the article's passages (headings and boilerplate are not passages)
    model_id: str
    frames: dict[str, FrameProfile]
    none_share: float  # share of words in passages tagged with no frame
    dominant: str  # the frame with the largest share, or "none" when no passage carries a frame
    meta: dict[str, Any] = field(default_factory=dict)  # the article's other fields (for `report --by`)
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["frames"] = {f: fp.to_dict() for f, fp in self.frames.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Profile":
        values = {k: d[k] for k in cls.__dataclass_fields__ if k in d and k != "frames"}
        return cls(**values, frames={f: FrameProfile.from_dict(fp) for f, fp in d["frames"].items()})

    def to_flat(self) -> dict[str, Any]:
        """One flat row for CSV and Parquet: share_<frame>, expected_<frame>, lo_<frame>, ...
        Evidence snippets stay in JSON Lines; `meta` becomes one JSON text column."""
        row: dict[str, Any] = {k: getattr(self, k) for k in
                               ("article_id", "title", "outlet", "date", "url", "n_passages", "n_words", "model_id",
                                "dominant", "none_share")}
        for f, fp in self.frames.items():
            row[f"share_{f}"] = fp.share
            row[f"expected_{f}"] = fp.expected
            row[f"lo_{f}"] = fp.lo
            row[f"hi_{f}"] = fp.hi
            row[f"passages_{f}"] = fp.passages
            row[f"mean_prob_{f}"] = fp.mean_probability
            row[f"max_prob_{f}"] = fp.max_probability
        row["meta"] = json.dumps(self.meta, ensure_ascii=False, default=str) if self.meta else ""
        row["format_version"] = self.format_version
        return row


def summarise_passages(frames: Sequence[str], thresholds: Sequence[float],
                       passages_with_probs: Iterable[tuple[Passage, Sequence[float]]]) -> Profile:
    """The numbers of a profile from passages and their per-frame probabilities.

    Pure arithmetic, no model: the article's identity fields are left empty for `profile_article`
    to fill in. Raises ProfileError when there are no passages.
    """
    items = [(p, [float(x) for x in probs]) for p, probs in passages_with_probs]
    if not items:
        raise ProfileError("no_passages", "no passages to profile")
    total = sum(p.n_words for p, _ in items)
    if total <= 0:
        raise ProfileError("no_passages", "the passages hold no words")
    flags = carries([pr for _, pr in items], thresholds)
    tagged_any = [False] * len(items)
    result: dict[str, FrameProfile] = {}
    for j, frame in enumerate(frames):
        probs = [pr[j] for _, pr in items]
        tagged = [bool(x) for x in flags[:, j]]
        expected = sum(p.n_words * pr for (p, _), pr in zip(items, probs)) / total
        variance = sum(p.n_words ** 2 * pr * (1 - pr) for (p, _), pr in zip(items, probs)) / total ** 2
        half = Z95 * math.sqrt(max(variance, 0.0))
        carriers = sorted((k for k, t in enumerate(tagged) if t), key=lambda k: (-probs[k], k))
        result[frame] = FrameProfile(
            share=_r(sum(items[k][0].n_words for k in carriers) / total),
            expected=_r(expected),
            lo=_r(max(0.0, expected - half)),
            hi=_r(min(1.0, expected + half)),
            passages=len(carriers),
            mean_probability=_r(sum(probs) / len(probs)),
            max_probability=_r(max(probs)),
            evidence=[Evidence(items[k][0].index, _r(probs[k]), snippet(items[k][0].text))
                      for k in carriers[:N_EVIDENCE]],
        )
        tagged_any = [a or t for a, t in zip(tagged_any, tagged)]
    none_words = sum(p.n_words for (p, _), t in zip(items, tagged_any) if not t)
    best = max(frames, key=lambda f: result[f].share, default=None)  # first in codebook order on ties
    dominant = best if best is not None and result[best].share > 0 else "none"
    return Profile(article_id="", title=None, outlet=None, date=None, url=None, n_passages=len(items),
                   n_words=total, model_id="", frames=result, none_share=_r(none_words / total), dominant=dominant)


def article_passages(article: Article, max_words: int = MAX_ARTICLE_WORDS, boilerplate=None) -> list[Passage]:
    """The passages of an article that can be profiled, or a ProfileError saying why not.
    `boilerplate`: what to drop (a `boilerplate.Boilerplate`; default: the rules only)."""
    if not article.text or not article.text.strip():
        raise ProfileError("empty", "the article text is empty; check the --text-field of the input")
    if more_words_than(article.text, max_words):
        n = count_words(article.text)
        raise ProfileError("too_long", f"the article has {n:,} words, more than the limit of {max_words:,}; "
                                       "check that it is one article, or raise --max-words")
    passages = (boilerplate or RULES_ONLY).segment(article)
    if not passages:
        raise ProfileError("no_passages", "no passages after segmenting (only headings or boilerplate?); "
                                          "check the article text")
    return passages


def build_profile(bundle, article: Article, passages: list[Passage], proba) -> Profile:
    """A profile from an article's passages and their (n_passages, n_frames) probabilities."""
    summary = summarise_passages(bundle.frames, bundle.thresholds, zip(passages, proba))
    return replace(summary, article_id=article.id, title=article.title, outlet=article.outlet, date=article.date,
                   url=article.url, model_id=bundle.model_id, meta=dict(article.meta))


def profile_article(bundle, article: Article, max_words: int = MAX_ARTICLE_WORDS) -> Profile:
    """Segment an article, tag its passages with the model, and summarise them."""
    passages = article_passages(article, max_words)
    return build_profile(bundle, article, passages, bundle.predict_proba([p.text for p in passages]))


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The opening of a passage, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "\u2026"


def _r(x: float) -> float:
    return round(float(x), 4)
