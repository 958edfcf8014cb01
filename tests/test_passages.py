"""Segmenting: boilerplate, merging, splitting, stable ids, and properties that must always hold."""

from hypothesis import given, settings
from hypothesis import strategies as st

from stance.articles import Article
from stance.passages import (count_words, is_boilerplate, passage_id, segment_article, segment_text,
                             sentence_spans, split_blocks)

ARTICLE = """# Lab in turmoil

By Jane Doe and Li Wei, Staff Writers

March 3, 2025

Meta said on Tuesday that it would cut 600 jobs from its research unit. The U.S. company, led by Dr. Smith, cited costs of 3.5 billion dollars.

Not so fast.

Photo: Getty Images

Related articles

"We are tired of reorganisations," one researcher said. It was the third in six months, and staff have started to leave.

Share this article"""


def spans(text):
    return [text[s:e] for s, e in segment_text(text)]


def test_boilerplate_lines_are_dropped_and_short_fragments_merged():
    got = spans(ARTICLE)
    assert len(got) == 2
    assert got[0].startswith("Meta said") and got[0].endswith("Not so fast.")
    assert got[1].startswith('"We are tired')
    assert not any("Staff Writers" in p or "Getty" in p or "Related" in p or "Share" in p for p in got)


def test_boilerplate_detection():
    for line in ["By Jane Doe", "Related articles", "Photo: Reuters", "Subscribe to our newsletter",
                 "Updated 5 min ago", "2025-03-01", "Advertisement", "© 2025 The Ledger", "A heading without a period"]:
        assert is_boilerplate(line), line
    for line in ["By Tuesday, engineers at two labs had rebuilt the training pipeline from scratch.",
                 "The company said it would share the weights.", "Is this the end of open research?"]:
        assert not is_boilerplate(line), line


def test_single_newline_text_is_split_per_line():
    text = "First line is a full sentence about the lab.\nSecond line is another full sentence about the lab."
    assert spans(text) == ["First line is a full sentence about the lab.", "Second line is another full sentence about the lab."]


def test_sentence_boundaries_know_abbreviations_decimals_and_quotes():
    text = 'The U.S. firm, led by Dr. Smith, paid 3.5 billion. "We are done." Then J. R. Doe left. Why? Nobody knows.'
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == ["The U.S. firm, led by Dr. Smith, paid 3.5 billion.", '"We are done."', "Then J. R. Doe left.",
                   "Why?", "Nobody knows."]


def test_long_paragraphs_split_at_sentences():
    sentence = "The lab published another long report on its training runs and the costs involved in them. "
    text = (sentence * 30).strip()
    parts = spans(text)
    assert len(parts) > 1
    assert all(count_words(p) <= 150 for p in parts)
    assert all(p.endswith(".") for p in parts)


def test_passage_records_and_stable_ids():
    a = Article(id="x", text=ARTICLE)
    ps = segment_article(a)
    assert [p.index for p in ps] == [0, 1]
    for p in ps:
        assert a.text[p.start:p.end] == p.text
        assert p.n_words == len(p.text.split())
        assert p.passage_id == passage_id("x", p.text)
    # Re-segmenting the same text with other boilerplate around it keeps the ids.
    b = Article(id="x", text="Subscribe now\n\n" + ARTICLE.replace("Share this article", "Follow us"))
    assert [p.passage_id for p in segment_article(b)] == [p.passage_id for p in ps]
    assert segment_article(Article(id="y", text=ARTICLE))[0].passage_id != ps[0].passage_id


def test_repeated_paragraph_gets_distinct_ids():
    para = "The same paragraph appears twice in this article, word for word."
    ps = segment_article(Article(id="r", text=f"{para}\n\n{para}"))
    assert len({p.passage_id for p in ps}) == 2


words = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x24F), min_size=1, max_size=9)
paragraph = st.lists(words, min_size=1, max_size=60).map(" ".join)
texts = st.lists(st.one_of(paragraph, st.sampled_from(["By Jane Doe", "Share this", "Related articles", "Photo: AP"])),
                 min_size=0, max_size=12).flatmap(
    lambda paras: st.sampled_from(["\n\n", "\n", "\n \n\n"]).map(lambda sep: sep.join(paras)))


@settings(max_examples=200, deadline=None)
@given(texts)
def test_offsets_slice_back_and_segmenting_is_deterministic(text):
    a = Article(id="p", text=text)
    first, second = segment_article(a), segment_article(a)
    assert [p.to_dict() for p in first] == [p.to_dict() for p in second]
    for p in first:
        assert text[p.start:p.end] == p.text
    starts = [p.start for p in first]
    assert starts == sorted(starts)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_no_non_boilerplate_text_is_lost(text):
    """Every non-space character outside boilerplate blocks ends up in some passage."""
    covered = [False] * len(text)
    for p in segment_article(Article(id="p", text=text)):
        for i in range(p.start, p.end):
            covered[i] = True
    for b in split_blocks(text):
        if not b.boilerplate:
            missing = [i for i in range(b.start, b.end) if not covered[i] and not text[i].isspace()]
            assert not missing, (text[b.start:b.end], missing)
