"""Labels stored by reference: ids and text hashes in the store, the text read back from the corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stance.articles import iter_articles
from stance.codebook import load_codebook
from stance.labeling.store import Event, LabelStore, gold_labels
from stance.passage_text import (REAL_COVERAGE_ENV, MissingTextError, TextRef, default_real_coverage, resolve_texts,
                                 text_sha256, with_texts)
from stance.passages import iter_passages

REPO = Path(__file__).resolve().parents[1]

# Written for this test: two short articles of our own.
ARTICLES = [
    {"id": "t-1", "title": "Quiet exits", "text": "The lab lost three senior researchers in a month, and former staff "
     "blame a product push that starved the research group.\n\nThe company said its plans had not changed and "
     "that hiring would resume in the spring."},
    {"id": "t-2", "title": "Open weights", "text": "Researchers argue that releasing model weights lets outsiders "
     "audit and reproduce the results, which closed releases never allow.\n\nThe weights were published on a "
     "Tuesday alongside a short technical report."},
]


@pytest.fixture
def corpus(tmp_path) -> Path:
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    return path


def run(*args, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stance", *args], input=stdin, capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=120)


def test_label_by_reference_stores_no_text_and_reads_it_back(tmp_path, corpus):
    store_dir = tmp_path / "labels"
    r = run("label", str(corpus), "-a", "ann", "--plain", "--no-suggest", "--by-reference", "--labels-dir",
            str(store_dir), stdin="1\n0\n2\n0\n")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in (store_dir / "ann.jsonl").read_text().splitlines()]
    assert len(lines) == 4
    passages = {p.passage_id: p for p in iter_passages(iter_articles([corpus]))}
    for line in lines:
        assert line["text"] == "" and line["text_sha256"] == text_sha256(passages[line["passage_id"]].text)
    raw = (store_dir / "ann.jsonl").read_text()
    assert "researchers" not in raw and "weights" not in raw  # no word of the text reached the store

    events, _ = LabelStore(store_dir, load_codebook()).read_all()
    gold, _ = gold_labels(events)
    filled = with_texts(gold, corpus=corpus)
    assert {g.passage_id: g.text for g in filled} == {pid: p.text for pid, p in passages.items()}
    assert sorted(f for g in filled for f in g.frames) == ["corporate_critical", "open_science"]


def test_a_changed_id_is_found_by_its_hash(corpus):
    p = next(iter_passages(iter_articles([corpus])))
    texts = resolve_texts([TextRef("stale-id", p.article_id, text_sha256(p.text))], corpus)
    assert texts == {"stale-id": p.text}


def test_text_that_is_not_in_the_corpus_is_an_error(corpus):
    with pytest.raises(MissingTextError, match="1 of 1 labelled passages are not in this corpus"):
        resolve_texts([TextRef("nope", "t-1", "0" * 64)], corpus)


def test_a_missing_corpus_says_how_to_point_at_it(tmp_path, monkeypatch):
    monkeypatch.setenv(REAL_COVERAGE_ENV, str(tmp_path / "absent"))
    with pytest.raises(MissingTextError, match="--texts"):
        resolve_texts([TextRef("p", "a", "0" * 64)])


def test_adjudicating_by_reference_labels_writes_no_text(tmp_path, corpus):
    store = LabelStore(tmp_path / "labels", load_codebook())
    p = next(iter_passages(iter_articles([corpus])))
    for who, frames in (("a", ["corporate_critical"]), ("b", [])):
        store.append([Event("answer", p.passage_id, who, p.article_id, "", frames, "tech-framing", "1.2",
                            text_sha256=text_sha256(p.text))])
    r = run("adjudicate", "-a", "judge", "--plain", "--labels-dir", str(store.directory), "--texts", str(corpus),
            stdin="1\n")
    assert r.returncode == 0, r.stderr
    ruling = json.loads((store.directory / "judge.jsonl").read_text().splitlines()[0])
    assert ruling["text"] == "" and ruling["text_sha256"] == text_sha256(p.text)
    assert ruling["frames"] == ["corporate_critical"] and ruling["source"] == "adjudicate"


REAL = default_real_coverage()


@pytest.mark.data
@pytest.mark.skipif(REAL is None, reason="needs ../shared/real-coverage (third-party text, not shipped); "
                    f"set {REAL_COVERAGE_ENV} to its folder")
def test_every_shipped_real_label_resolves_to_its_text():
    events, _ = LabelStore(REPO / "labels" / "real" / "annotations", load_codebook()).read_all()
    assert events and all(e.text == "" and len(e.text_sha256) == 64 for e in events if e.type == "answer")
    refs = {e.passage_id: TextRef(e.passage_id, e.article_id, e.text_sha256) for e in events}
    texts = resolve_texts(refs.values())
    assert all(text_sha256(texts[pid]) == r.text_sha256 for pid, r in refs.items())
