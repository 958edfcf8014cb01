"""Profiles: the arithmetic on a hand-checked case, then the real default model on seeds/articles."""

import math

import pytest

import stance
from stance.articles import Article, iter_articles
from stance.passages import Passage, segment_article
from stance.paths import shipped_root
from stance.profiling.profile import (N_EVIDENCE, SNIPPET_CHARS, Profile, ProfileError, profile_article, snippet,
                            summarise_passages)
from stance.model.tagging import tag_passages

FRAMES = ["alpha", "beta"]  # test frames; the real ones come from the model
THRESHOLDS = [0.5, 0.5]


def passage(index: int, n_words: int, text: str | None = None) -> Passage:
    text = text or " ".join(f"w{index}" for _ in range(n_words))
    return Passage(f"p{index}", "a1", index, text, 0, len(text), n_words)


@pytest.fixture(scope="module")
def bundle():
    return stance.load_model()


def test_hand_checked_shares_and_interval():
    # 200 words: P0 (100 words) carries alpha, P1 (50) carries beta, P2 (50) carries nothing.
    items = [(passage(0, 100), [0.9, 0.2]), (passage(1, 50), [0.4, 0.6]), (passage(2, 50), [0.1, 0.1])]
    p = summarise_passages(FRAMES, THRESHOLDS, items)
    a, b = p.frames["alpha"], p.frames["beta"]
    assert (p.n_passages, p.n_words) == (3, 200)
    assert a.share == 0.5 and b.share == 0.25 and p.none_share == 0.25
    assert a.expected == pytest.approx((90 + 20 + 5) / 200, abs=1e-4)  # 0.575
    half = 1.959964 * math.sqrt((100**2 * 0.09 + 50**2 * 0.24 + 50**2 * 0.09) / 200**2)
    assert a.lo == pytest.approx(0.575 - half, abs=1e-4) and a.hi == pytest.approx(0.575 + half, abs=1e-4)
    assert b.expected == pytest.approx(0.275, abs=1e-4)
    assert b.lo == 0.0  # 0.275 - 0.483 clipped to 0
    assert b.hi == pytest.approx(0.275 + 1.959964 * math.sqrt(0.060625), abs=1e-4)
    assert (a.passages, b.passages) == (1, 1)
    assert a.mean_probability == pytest.approx(1.4 / 3, abs=1e-4) and a.max_probability == 0.9
    assert [e.index for e in a.evidence] == [0] and [e.index for e in b.evidence] == [1]
    assert p.dominant == "alpha"


def test_interval_clipped_to_one_and_threshold_inclusive():
    p = summarise_passages(FRAMES, THRESHOLDS, [(passage(0, 10), [0.5, 0.99]), (passage(1, 10), [0.2, 0.98])])
    assert p.frames["alpha"].share == 0.5  # probability equal to the threshold counts as tagged
    assert p.frames["beta"].hi == 1.0 and p.frames["beta"].lo < 1.0


def test_evidence_is_the_strongest_carriers_in_order():
    probs = [0.55, 0.95, 0.3, 0.8, 0.7, 0.9]
    p = summarise_passages(["alpha"], [0.5], [(passage(i, 10), [pr]) for i, pr in enumerate(probs)])
    ev = p.frames["alpha"].evidence
    assert len(ev) == N_EVIDENCE
    assert [e.index for e in ev] == [1, 5, 3]
    assert [e.probability for e in ev] == [0.95, 0.9, 0.8]


def test_dominant_none_and_ties():
    untagged = summarise_passages(FRAMES, THRESHOLDS, [(passage(0, 10), [0.1, 0.2])])
    assert untagged.dominant == "none" and untagged.none_share == 1.0
    assert all(f.evidence == [] for f in untagged.frames.values())
    tie = summarise_passages(FRAMES, THRESHOLDS, [(passage(0, 10), [0.9, 0.9])])
    assert tie.dominant == "alpha"  # first in codebook order


def test_no_passages_is_an_error_saying_so():
    with pytest.raises(ProfileError) as exc:
        summarise_passages(FRAMES, THRESHOLDS, [])
    assert exc.value.kind == "no_passages"


def test_snippet_cuts_at_a_word():
    text = "word " * 100
    s = snippet(text)
    assert len(s) <= SNIPPET_CHARS + 1 and s.endswith("\u2026") and not s[:-1].endswith(" ")
    assert snippet("short passage") == "short passage"


def test_round_trip_and_flat_columns():
    p = summarise_passages(FRAMES, THRESHOLDS, [(passage(0, 30), [0.9, 0.2]), (passage(1, 10), [0.1, 0.7])])
    assert Profile.from_dict(p.to_dict()) == p
    flat = p.to_flat()
    for f in FRAMES:
        for col in ("share", "expected", "lo", "hi", "passages", "mean_prob", "max_prob"):
            assert f"{col}_{f}" in flat
    assert flat["share_alpha"] == 0.75 and "evidence" not in flat


# --- the real model ---------------------------------------------------------------------

def test_profiles_of_seed_articles_agree_with_tagging(bundle):
    articles = list(iter_articles([shipped_root() / "seeds" / "articles"]))
    assert len(articles) >= 4
    for article in articles:
        prof = profile_article(bundle, article)
        assert list(prof.frames) == bundle.frames
        assert prof.model_id == bundle.model_id and prof.article_id == article.id and prof.title == article.title
        passages = segment_article(article)
        tagged = tag_passages(bundle, passages, evidence=False)
        assert prof.n_passages == len(passages) and prof.n_words == sum(p.n_words for p in passages)
        for f in bundle.frames:
            words = sum(t.n_words for t in tagged if f in t.frames)
            fp = prof.frames[f]
            assert fp.share == pytest.approx(words / prof.n_words, abs=1e-4)
            assert fp.passages == sum(f in t.frames for t in tagged)
            assert 0.0 <= fp.lo <= fp.expected <= fp.hi <= 1.0
            assert len(fp.evidence) == min(N_EVIDENCE, fp.passages)
            assert all(e.probability >= bundle.thresholds[bundle.frames.index(f)] - 1e-4 for e in fp.evidence)
        none_words = sum(t.n_words for t in tagged if not t.frames)
        assert prof.none_share == pytest.approx(none_words / prof.n_words, abs=1e-4)
        best = max(bundle.frames, key=lambda f: prof.frames[f].share)
        assert prof.dominant == (best if prof.frames[best].share > 0 else "none")


def test_unprofilable_articles_raise_with_a_kind(bundle):
    with pytest.raises(ProfileError) as exc:
        profile_article(bundle, Article(id="x", text="   "))
    assert exc.value.kind == "empty"
    with pytest.raises(ProfileError) as exc:
        profile_article(bundle, Article(id="x", text="word " * 200), max_words=100)
    assert exc.value.kind == "too_long" and "--max-words" in str(exc.value)
    with pytest.raises(ProfileError) as exc:
        profile_article(bundle, Article(id="x", text="# Only a heading\n\nShare this article"))
    assert exc.value.kind == "no_passages"
