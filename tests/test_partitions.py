"""Partitions: reading every partition of a plan gives exactly what `iter_articles` gives (ids,
sources, text, metadata, errors), whatever the cut; no Dask needed."""

import json
from pathlib import Path

import pytest

from stance.articles import ReadOptions, iter_articles
from stance.errors import StanceError
from stance.profiling.partitions import _jsonl_ranges, plan_partitions, read_partition
from stance.paths import shipped_root

SEEDS = shipped_root() / "seeds" / "articles"


def make_corpus(folder: Path, n_jsonl: int = 40) -> list[str]:
    """Inputs in four layouts, built from the seed articles' paragraphs (our own text): a JSON Lines
    file with a malformed line, a Parquet file of several row groups, a saved dataset of two shards,
    and the folder of seed articles. One Parquet row repeats a JSON Lines id."""
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    paragraphs = [p for a in iter_articles([SEEDS]) for p in a.text.split("\n\n") if len(p.split()) > 8]
    folder.mkdir(parents=True, exist_ok=True)

    def text(i: int) -> str:
        return "\n\n".join(paragraphs[(i * 7 + k) % len(paragraphs)] for k in range(1 + i % 4))

    with open(folder / "news.jsonl", "w", encoding="utf-8") as fh:
        for i in range(n_jsonl):
            fh.write(json.dumps({"id": f"j{i}", "text": text(i), "outlet": f"outlet-{i % 3}",
                                 "date": f"2025-{1 + i % 12:02d}-03", "desk": "tech"}) + "\n")
            if i == 11:
                fh.write('{"id": "broken", "text": \n')
            if i == 17:
                fh.write("\n")
    rows = [{"id": f"q{i}", "text": text(i + 100), "outlet": "parquet-desk"} for i in range(30)]
    rows[5]["id"] = "j3"  # seen first in news.jsonl: a duplicate across partitions
    pq.write_table(pa.Table.from_pylist(rows), folder / "archive.parquet", row_group_size=6)
    ds = datasets.Dataset.from_list([{"id": f"h{i}", "text": text(i + 200)} for i in range(20)])
    ds.save_to_disk(str(folder / "saved"), num_shards=2)
    return [str(folder / "news.jsonl"), str(folder / "archive.parquet"), str(folder / "saved"), str(SEEDS)]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("corpus"))


def read_all(inputs, target_bytes):
    errors = []
    plan = plan_partitions(inputs, target_bytes=target_bytes)
    arts = [a for p in plan for a in read_partition(p, ReadOptions(), errors.append)]
    return plan, arts, errors


@pytest.mark.parametrize("target_bytes", [1, 3000, 40_000, 1 << 30])
def test_partitions_read_what_iter_articles_reads(inputs, target_bytes):
    errors = []
    expected = list(iter_articles(inputs, on_error=errors.append))
    plan, got, got_errors = read_all(inputs, target_bytes)
    kinds = {p.kind for p in plan}
    if target_bytes == 3000:
        assert {"jsonl", "parquet", "hf_shard", "files"} <= kinds and len(plan) > 10
    # The cross-partition duplicate is the engine's job (see test_engine_dask); inside one read it is the same.
    dup = [a for a in got if a.id == "j3"]
    if len(dup) == 2:
        got = [a for a in got if not (a.id == "j3" and "parquet" in a.source)]
    assert [a.to_dict() for a in got] == [a.to_dict() for a in expected]
    assert [str(e) for e in got_errors if "duplicate" not in str(e)] == \
           [str(e) for e in errors if "duplicate" not in str(e)]
    assert any("news.jsonl:13: malformed JSON" in str(e) for e in got_errors)


def test_jsonl_ranges_cut_on_line_starts_and_number_lines(tmp_path):
    path = tmp_path / "lines.jsonl"
    lines = [("x" * (i % 17)) + "\n" for i in range(500)]
    path.write_text("".join(lines) + "tail-without-newline", encoding="utf-8")
    data = path.read_bytes()
    for target in (1, 10, 64, 1000, 10**6):
        ranges = _jsonl_ranges(path, target)
        assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
        for (start, stop, first), nxt in zip(ranges, ranges[1:] + [None]):
            assert start == 0 or data[start - 1:start] == b"\n"
            assert first == data[:start].count(b"\n") + 1
            if nxt is not None:
                assert nxt[0] == stop


def test_stdin_cannot_be_partitioned():
    with pytest.raises(StanceError, match="stdin"):
        plan_partitions(["-"])


def test_a_missing_input_is_reported_and_planning_goes_on(tmp_path, inputs):
    errors = []
    plan = plan_partitions([str(tmp_path / "nope.jsonl"), inputs[0]], on_error=errors.append)
    assert [e.source for e in errors] == [str(tmp_path / "nope.jsonl")]
    assert plan and all(p.paths[0] == inputs[0] for p in plan)
