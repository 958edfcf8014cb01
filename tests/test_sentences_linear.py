"""The linear sentence splitter gives exactly the spans of the original (quadratic) one, and
huge paragraphs and lines segment in linear time."""

import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from stance.passages import _ABBREVIATIONS, segment_text, sentence_spans

_OLD_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")


def reference_sentence_spans(text):
    """The splitter as it was before it was made linear (it rescanned the sentence so far)."""
    spans, start = [], 0
    for m in _OLD_END.finditer(text):
        end = m.end()
        if text[m.start()] == ".":
            token = re.search(r"(\S+)$", text[start : m.start()])
            word = token.group(1).lstrip("\"'(\u201c").lower() if token else ""
            if word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", word) or re.fullmatch(r"([a-z]\.)+[a-z]", word):
                continue
        spans.append((start, end))
        start = end
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


PIECES = list("aAzZ09 .!?\"'\u201c\u201d\u2019()[]\n\t\u00a0") + ["U.S.", "Dr.", "e.g.", "J.", "3.5", "...", "\n\n", "Mr. "]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_same_spans_as_the_original_splitter(text):
    assert sentence_spans(text) == reference_sentence_spans(text)


def test_same_spans_on_long_random_prose():
    rng = random.Random(7)
    words = ["The", "lab", "U.S.", "Dr.", "Smith", "paid", "3.5", "billion.", "\"We", "left.\"", "Why?", "J.", "e.g.",
             "(see", "Fig.", "2).", "It", "ended!", "\u201cNo.\u201d", "i.e.", "a.m.", "Then"]
    for _ in range(50):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 400)))
        assert sentence_spans(text) == reference_sentence_spans(text)


def test_a_200000_word_paragraph_segments():
    sentence = "The lab released another model of 3.5 billion parameters and Dr. Lee said it works. "
    text = sentence * (200_000 // 15)
    spans = segment_text(text)
    assert len(spans) > 1000
    assert all(text[s:e].strip() == text[s:e] for s, e in spans)


def test_a_5_mb_line_segments():
    line = ("word " * 1_000_000)[:5_000_000] + ". ....." * 10 + "x"
    spans = segment_text(line)
    assert spans and spans[0][0] == 0
    dots = "." * 5_000_000
    assert sentence_spans(dots + " A") == [(0, len(dots)), (len(dots) + 1, len(dots) + 2)]
