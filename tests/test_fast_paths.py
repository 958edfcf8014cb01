"""The shortcuts taken for speed give what the plain definitions give (issue 11: profiling speed).

Each fast path is checked against the slow one it replaces, on our own written text and on
random text: the regex twins for lower-cased ASCII, the one-word lexicon terms that skip their
pattern, and the word-count bound that skips splitting short texts."""

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from stance.articles import iter_articles
from stance.boilerplate import _TWINS, lead_furniture_end, rule_reason
from stance.lexicon import _WORDS, Lexicon
from stance.passages import count_words, more_words_than, normalize, split_blocks

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "articles"
PHRASES = ["Open Navigation Menu", "SHARE this", "save This Story", "Copy link", "Sign up for our weekly newsletter",
           "Enter your EMAIL", "Facebook Twitter LinkedIn Reddit", "skip to main content", "Back To Top",
           "opens in a new window", "All Rights Reserved", "The lab said on Monday that it would", "power grab"]


def seed_blocks() -> list[str]:
    return [a.text[b.start:b.end] for a in iter_articles([SEEDS]) for b in split_blocks(a.text, mark=False)]


def spans(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


casings = st.sampled_from([str.lower, str.upper, str.title, str.swapcase, lambda s: s])
ascii_text = st.lists(st.one_of(st.sampled_from(PHRASES), st.text(st.characters(max_codepoint=127), max_size=12)),
                      max_size=12).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(ascii_text, casings)
def test_a_twin_on_lowered_ascii_finds_what_its_ignorecase_pattern_finds(text, case):
    text = case(text)
    for pattern, twin in _TWINS.items():
        assert spans(twin, text.lower()) == spans(pattern, text)


def test_twins_on_written_text_and_furniture_in_every_casing():
    texts = seed_blocks() + [f"{p} and more words after it" for p in PHRASES]
    for text in texts:
        for case in (str.lower, str.upper, str.title, str.swapcase):
            variant = case(text)
            if variant.isascii():
                for pattern, twin in _TWINS.items():
                    assert spans(twin, variant.lower()) == spans(pattern, variant)
            rule_reason(variant)  # never raises, whichever path it takes


def test_lead_furniture_cut_is_the_same_with_or_without_non_ascii_text():
    lead = "Photo credit Save this story Save "
    body = " ".join(["The lab said on Monday that it would stop publishing the weights of its models."] * 4)
    cut = lead_furniture_end(lead + body)
    assert cut == len(lead)
    assert lead_furniture_end(lead + body + " \u201cquoted\u201d") == cut  # the IGNORECASE path


def reference_scores(lexicon: Lexicon, text: str) -> dict[str, float]:
    """Every pattern run, in file order: the definition the indexed lookup must reproduce."""
    norm = normalize(text)
    out = {f: 0 for f in lexicon.terms}
    for f, ts in lexicon.terms.items():
        for t, w in ts.items():
            if re.search(r"(?<!\w)" + re.escape(normalize(t)) + r"(?!\w)", norm):
                out[f] += float(w)
    return out


def test_lexicon_scores_are_the_sums_of_every_pattern_run():
    lexicon = Lexicon.load()
    one_word = [t for ts in lexicon.terms.values() for t in ts if _WORDS.fullmatch(normalize(t))]
    assert one_word, "the shipped lexicon has one-word terms"
    texts = seed_blocks() + [f"They {t}; it was {t.upper()}-ish, not {t}ed or x{t}." for t in one_word[:200]]
    for text in texts:
        assert lexicon.scores(text) == reference_scores(lexicon, text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.integers(min_value=0, max_value=40))
def test_the_word_bound_never_changes_the_answer(text, n):
    assert more_words_than(text, n) == (count_words(text) > n)
