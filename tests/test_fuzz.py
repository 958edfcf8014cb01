"""Property tests: every reader and the segmenter on random bytes and random structures.

Never a traceback (a bad file or record becomes an `InputError` handed to `on_error`), the
same input always gives the same result, and passage offsets slice the article text back.
The long run outside CI is `benchmarks/fuzz_long.py` (same properties, a large budget).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stance.articles import Article, ReadOptions, iter_articles
from stance.boilerplate import Boilerplate, count_repeats
from stance.errors import InputError
from stance.passages import segment_article, sentence_spans

SUFFIXES = [".txt", ".md", ".html", ".jsonl", ".json", ".csv", ".parquet", ".pdf", ""]
SCALE = int(os.environ.get("STANCE_FUZZ_SCALE", "1"))  # benchmarks/fuzz_long.py raises it
FAST = settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text that looks like articles: words, punctuation, markup, blank lines, odd characters.
PIECES = ["The", "lab", "said", "U.S.", "Dr.", "3.5", ".", "?", "!", ":", '"', "\u201c", "\u201d", "#", "##", "*",
          "[link](http://x)", "![img](y.png)", "<p>", "</p>", "<script>", "<h1>", "&amp;", "{fill:#fff;}", ".st0",
          "By Jane Doe", "Share", "Subscribe to our newsletter", "title: T", "id: 7", "\n", "\n\n", " ", "\t",
          "\r\n", "\u00a0", "\u200b", "\ufeff", "é", "\U0001f600", ",", ";", "\x0b", "\x1c"]
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=80).map(" ".join)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                           max_leaves=10)
records = st.dictionaries(st.sampled_from(["id", "text", "title", "outlet", "date", "url", "x"]),
                          json_values | texts, max_size=7)


def read(path: Path, **opts):
    problems: list[InputError] = []
    arts = list(iter_articles([path], ReadOptions(**opts), on_error=problems.append))
    assert all(isinstance(p, InputError) and str(p) for p in problems)
    return [a.to_dict() for a in arts], [str(p) for p in problems]


def check_file(path: Path, **opts):
    first = read(path, **opts)
    assert read(path, **opts) == first  # deterministic
    for a in first[0]:
        check_segments(Article(**a))
    return first


def check_segments(article: Article):
    for seg in (segment_article(article), Boilerplate().segment(article)):
        for p in seg:
            assert article.text[p.start:p.end] == p.text and p.text.strip() == p.text
    assert [p.to_dict() for p in Boilerplate().segment(article)] == [p.to_dict() for p in Boilerplate().segment(article)]


@FAST
@given(data=st.binary(max_size=400), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_in_every_format(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"f{suffix}"
    path.write_bytes(data)
    check_file(path)
    check_file(path, encoding="latin-1")


@FAST
@given(text=texts, suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_random_text_documents(tmp_path_factory, text, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"doc{suffix}"
    path.write_text(text, encoding="utf-8")
    check_file(path)


@FAST
@given(rows=st.lists(records | json_values, max_size=6), torn=st.booleans())
def test_random_json_lines_and_json(tmp_path_factory, rows, torn):
    folder = tmp_path_factory.mktemp("fuzz")
    lines = "".join(json.dumps(r) + "\n" for r in rows)
    (folder / "a.jsonl").write_text(lines[:-3] if torn and lines else lines, encoding="utf-8")
    (folder / "b.json").write_text(json.dumps(rows), encoding="utf-8")
    check_file(folder / "a.jsonl")
    check_file(folder / "b.json")
    check_file(folder)


@FAST
@given(rows=st.lists(st.lists(st.text(max_size=30) | texts, min_size=1, max_size=4), max_size=6),
       header=st.lists(st.sampled_from(["id", "text", "title", "x", "", "text"]), min_size=1, max_size=4))
def test_random_csv(tmp_path_factory, rows, header):
    import csv

    path = tmp_path_factory.mktemp("fuzz") / "c.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    check_file(path)


@settings(max_examples=25 * SCALE, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries({"text": st.none() | texts}, optional={"id": st.none() | st.integers(0, 5) | st.text(max_size=4),
                                                                                  "outlet": st.none() | st.text(max_size=5)}),
                     max_size=6))
def test_random_parquet(tmp_path_factory, rows):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path_factory.mktemp("fuzz") / "p.parquet"
    columns = {"text": [r.get("text") for r in rows], "id": [None if r.get("id") is None else str(r.get("id")) for r in rows],
               "outlet": [r.get("outlet") for r in rows]}
    pq.write_table(pa.table(columns, schema=pa.schema([("text", pa.string()), ("id", pa.string()), ("outlet", pa.string())])), path)
    check_file(path)


@settings(max_examples=5 * min(SCALE, 10), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries({"text": texts, "id": st.text(max_size=4)}), min_size=1, max_size=4))
def test_random_saved_datasets(tmp_path_factory, rows):
    import datasets

    path = tmp_path_factory.mktemp("fuzz") / "ds"
    datasets.Dataset.from_list(rows).save_to_disk(str(path))
    check_file(path)


@settings(max_examples=200 * SCALE, deadline=None)
@given(text=texts, outlet=st.sampled_from([None, "o"]), copies=st.integers(1, 4))
def test_segmenter_with_repetition_on_random_texts(text, outlet, copies):
    arts = [Article(id=f"a{i}", text=text + f"\n\nStory {i} is different from the others here.", outlet=outlet)
            for i in range(copies)]
    bp = Boilerplate(count_repeats(arts))
    for a in arts:
        seg = bp.segment(a)
        assert [p.to_dict() for p in seg] == [p.to_dict() for p in bp.segment(a)]
        assert all(a.text[p.start:p.end] == p.text for p in seg)
        assert len({p.passage_id for p in seg}) == len(seg)


@settings(max_examples=300 * SCALE, deadline=None)
@given(text=st.text(max_size=300) | texts)
def test_sentence_spans_cover_the_text_in_order(text):
    spans = sentence_spans(text)
    assert all(0 <= s < e <= len(text) for s, e in spans)
    assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:]))
