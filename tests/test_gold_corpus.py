"""The shipped gold corpus: it parses, it agrees with the codebook, its split is by article, and the
targets it was built to meet still hold."""

import collections
import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from stance.articles import iter_articles
from stance.codebook import load_codebook
from stance.labeling.store import LabelStore, current_labels, gold_labels
from stance.labeling.export import gold_records
from stance.model.data import training_set
from stance.passages import iter_passages

pytestmark = pytest.mark.data  # tests of the shipped corpus: `-m 'not data'` leaves them out

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "labels"


@pytest.fixture(scope="module")
def codebook():
    return load_codebook()


@pytest.fixture(scope="module")
def events(codebook):
    events, warnings = LabelStore(LABELS / "annotations", codebook).read_all()
    assert warnings == []
    return events


@pytest.fixture(scope="module")
def gold(codebook):
    return training_set(gold_records(LABELS / "annotations", codebook), codebook.frame_keys, LABELS / "corpus")


@pytest.fixture(scope="module")
def articles():
    return [json.loads(line) for line in open(LABELS / "corpus" / "articles.jsonl", encoding="utf-8")]


def test_codebook_matches_the_definitions_of_record(codebook):
    assert codebook.frame_keys == ["corporate_critical", "open_science", "scaling_skeptic"]
    assert codebook.multi_label


def test_articles_have_metadata_and_6_to_15_passages(articles):
    assert len(articles) >= 150
    ids = [p.article_id for p in iter_passages(iter_articles([LABELS / "corpus" / "articles.jsonl"]))]
    sizes = collections.Counter(ids)
    assert all(6 <= n <= 15 for n in sizes.values())
    for a in articles:
        assert a["title"] and a["outlet"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", a["date"]) and a["writer"]


def test_every_passage_is_labelled_and_ids_match_segmenting(events, articles):
    segmented = {p.passage_id for p in iter_passages(iter_articles([LABELS / "corpus" / "articles.jsonl"]))}
    labelled = {e.passage_id for e in events}
    assert segmented == labelled


def test_writers(articles):
    per_writer = collections.Counter(a["writer"] for a in articles)
    assert len(per_writer) >= 6
    assert max(per_writer.values()) <= 0.25 * len(articles)


def test_double_annotation_and_full_adjudication(events):
    labels = current_labels(events)
    per_passage = collections.Counter(pid for (_ann, pid) in labels)
    assert min(per_passage.values()) >= 2
    gold, unresolved = gold_labels(events)
    assert unresolved == []
    by_pid = collections.defaultdict(dict)
    for (ann, pid), lab in labels.items():
        by_pid[pid][ann] = sorted(lab.frames)
    for g in gold:
        votes = list(by_pid[g.passage_id].values())
        if any(v != votes[0] for v in votes):
            assert g.method == "adjudicated", g.passage_id


def test_label_targets(gold):
    n = len(gold)
    assert n >= 1500
    for j, f in enumerate(gold.frames):
        assert gold.Y[:, j].sum() >= 300, f
    none = gold.Y.sum(axis=1) == 0
    assert none.mean() >= 0.35
    assert (gold.Y.sum(axis=1) >= 2).mean() >= 0.12


def test_topic_matched_hard_negatives(gold):
    topics = np.array([t or "" for t in gold.topics])
    none = gold.Y.sum(axis=1) == 0
    for j, f in enumerate(gold.frames):
        assert ((topics == f) & none).sum() >= 0.75 * gold.Y[:, j].sum(), f


def test_split_is_by_article_and_about_80_20(gold):
    with open(LABELS / "corpus" / "splits.csv", newline="") as fh:
        split = {r["article_id"]: r["split"] for r in csv.DictReader(fh)}
    assert set(split.values()) == {"train", "test"}
    assert set(gold.article_ids) <= set(split)
    test_share = sum(v == "test" for v in split.values()) / len(split)
    assert 0.17 <= test_share <= 0.23
    assert all(s in ("train", "test") for s in gold.splits)


def test_passages_read_like_news(gold):
    words = np.array([len(t.split()) for t in gold.texts])
    assert 40 <= np.median(words) <= 60 and (words > 150).mean() < 0.01
    quoted = np.mean([bool(re.search(r'["\u201c\u201d]', t)) for t in gold.texts])
    assert 0.2 <= quoted <= 0.4


def test_shared_8_word_runs_are_rare(gold):
    seen = collections.defaultdict(set)
    for i, t in enumerate(gold.texts):
        w = re.findall(r"\w+", t.lower())
        for k in range(len(w) - 7):
            seen[" ".join(w[k:k + 8])].add(i)
    shared = set().union(*[ix for ix in seen.values() if len(ix) > 1])
    assert len(shared) <= 0.02 * len(gold)


def test_shipped_export_is_current(gold):
    """labels/gold.jsonl and labels/gold_hf are `stance export` of the store as it is now."""
    rows = [json.loads(line) for line in open(LABELS / "gold.jsonl", encoding="utf-8")]
    exported = {r["passage_id"]: (sorted(r["frames"]), r["split"]) for r in rows}
    current = {pid: (sorted(f for f, y in zip(gold.frames, ys) if y), split)
               for pid, ys, split in zip(gold.passage_ids, gold.Y, gold.splits)}
    assert exported == current, "re-run `stance export` (see labels/README.md)"
    import datasets
    ds = datasets.load_from_disk(str(LABELS / "gold_hf"))
    assert set(ds) == {"train", "test"} and ds["train"].num_rows + ds["test"].num_rows == len(gold)
    assert ds["train"].features["frames"].feature.names == gold.frames
