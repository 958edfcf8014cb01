"""Every reader and every bad-input case of the article layer."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from stance.articles import ReadOptions, iter_articles
from stance.errors import InputError

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "articles"


def read_all(inputs, **opts):
    problems = []
    arts = list(iter_articles(inputs, ReadOptions(**opts), on_error=problems.append))
    return arts, problems


def test_markdown_header_title_and_markup(tmp_path):
    arts, problems = read_all([SEEDS / "lab-exodus.md"])
    assert not problems
    (a,) = arts
    assert a.title == "The quiet exodus from Corvane's research floor"
    assert a.outlet == "The Ledger Review" and a.date == "2025-03-14"
    assert a.url.endswith("corvane-exodus")
    assert a.id == "lab-exodus.md"
    assert not a.text.startswith("#") and "Corvane built its reputation" in a.text


def test_plain_text_title_from_first_line(tmp_path):
    p = tmp_path / "story.txt"
    p.write_text("A short headline\n\nFirst paragraph of the story, long enough to count.\n\nSecond one.\n")
    (a,), _ = read_all([p])
    assert a.title == "A short headline"
    assert a.text.startswith("First paragraph")


def test_markdown_links_and_emphasis_are_stripped(tmp_path):
    p = tmp_path / "post.md"
    p.write_text("# Title\n\nThe **lab** said [in a post](https://x.org) that it was ![img](a.png)*closing*.\n")
    (a,), _ = read_all([p])
    assert a.text == "The lab said in a post that it was closing."


def test_html_visible_text_only():
    (a,), problems = read_all([SEEDS / "open-weights-bill.html"])
    assert not problems
    assert a.title == "Lawmakers weigh limits on open model weights"
    assert a.outlet == "Northgate Tech Policy" and a.date == "2025-06-02"
    assert "window.analytics" not in a.text and "font-family" not in a.text
    assert "Home" not in a.text and "Most read" not in a.text and "Sign up" not in a.text
    assert "The state senate chamber" not in a.text  # caption dropped
    assert "A draft bill circulating" in a.text
    assert "\n\n" in a.text  # paragraph by paragraph


def test_jsonl_records_and_fields(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text(json.dumps({"doc": "x1", "body": "Some text here.", "outlet": "O", "extra": 3}) + "\n\n"
                 + json.dumps({"body": "Other text."}) + "\n")
    arts, problems = read_all([p], text_field="body", id_field="doc")
    assert not problems
    assert [a.id for a in arts][0] == "x1" and arts[0].outlet == "O" and arts[0].meta == {"extra": 3}
    assert arts[1].id.startswith("sha1-")  # no id: content hash


def test_json_array_csv_parquet_and_hf_dataset(tmp_path):
    recs = [{"id": f"a{i}", "text": f"Article number {i} has some text.", "outlet": "Desk"} for i in range(3)]
    (tmp_path / "arr.json").write_text(json.dumps(recs))
    import csv
    with open(tmp_path / "t.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["id", "text", "outlet"])
        w.writeheader()
        w.writerows([{**r, "id": "c" + r["id"]} for r in recs])
    import pyarrow as pa
    import pyarrow.parquet as pq
    pq.write_table(pa.Table.from_pylist([{**r, "id": "p" + r["id"]} for r in recs]), tmp_path / "t.parquet")
    import datasets
    datasets.Dataset.from_list([{**r, "id": "h" + r["id"]} for r in recs]).save_to_disk(str(tmp_path / "hfds"))
    arts, problems = read_all([tmp_path])
    assert not problems
    ids = [a.id for a in arts]
    assert ids == ["a0", "a1", "a2", "ha0", "ha1", "ha2", "ca0", "ca1", "ca2", "pa0", "pa1", "pa2"]
    assert all(a.outlet == "Desk" for a in arts)


def test_directory_is_recursive_and_stable(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("Title\n\nBody of z with enough words in it.")
    (tmp_path / "a.txt").write_text("Title\n\nBody of a with enough words in it.")
    (tmp_path / ".hidden.txt").write_text("nope")
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01")
    ids = [a.id for a in read_all([tmp_path])[0]]
    assert ids == ["a.txt", "b/z.txt"]
    assert ids == [a.id for a in read_all([tmp_path])[0]]


def test_stdin_jsonl():
    code = ("import sys, json; from stance.articles import iter_articles; "
            "print(json.dumps([a.id for a in iter_articles(['-'])]))")
    out = subprocess.run([sys.executable, "-c", code], input=b'{"id": "s1", "text": "hello there"}\n',
                         capture_output=True, check=True)
    assert json.loads(out.stdout) == ["s1"]


def test_missing_path_is_reported_and_others_go_through(tmp_path):
    good = tmp_path / "ok.txt"
    good.write_text("Title\n\nA body.")
    arts, problems = read_all([tmp_path / "missing.txt", good])
    assert [a.id for a in arts] == ["ok.txt"]
    assert "missing.txt: no such file or directory" in str(problems[0])


def test_binary_file(tmp_path):
    p = tmp_path / "x.txt"
    p.write_bytes(b"abc\x00def")
    _, problems = read_all([p])
    assert "binary" in str(problems[0])


def test_non_utf8_names_byte_offset_and_encoding_fixes_it(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("Title\n\nCaf\u00e9 society.".encode("latin-1"))
    _, problems = read_all([p])
    assert "byte offset 10" in str(problems[0]) and "--encoding" in str(problems[0])
    (a,), problems = read_all([p], encoding="latin-1")
    assert not problems and "Caf\u00e9" in a.text


def test_non_utf8_jsonl_line(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_bytes(b'{"id": "1", "text": "fine"}\n{"id": "2", "text": "bad \xff"}\n')
    arts, problems = read_all([p])
    assert [a.id for a in arts] == ["1"]
    assert f"{p}: line 2, byte offset 53" in str(problems[0])


def test_malformed_json_line_names_file_and_line(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text('{"id": "1", "text": "ok"}\n{"id": "2", "text": \n{"id": "3", "text": "ok too"}\n')
    arts, problems = read_all([p])
    assert [a.id for a in arts] == ["1", "3"]
    assert str(problems[0]).startswith(f"{p}:2: malformed JSON")


def test_record_without_text(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text('{"id": "1", "body": "no text field"}\n{"id": "2", "text": "   "}\n')
    arts, problems = read_all([p])
    assert arts == []
    assert "has no 'text' field" in str(problems[0]) and "--text-field" in str(problems[0])
    assert "is empty" in str(problems[1])


def test_duplicate_ids_name_both_sources(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"id": "dup", "text": "one"}\n')
    (tmp_path / "b.jsonl").write_text('{"id": "dup", "text": "two"}\n')
    arts, problems = read_all([tmp_path])
    assert len(arts) == 1
    msg = str(problems[0])
    assert "b.jsonl:1" in msg and "a.jsonl:1" in msg and "duplicate article id 'dup'" in msg


def test_without_handler_first_problem_raises(tmp_path):
    with pytest.raises(InputError):
        list(iter_articles([tmp_path / "nope.jsonl"]))


def test_jsonl_streams_without_reading_everything(tmp_path):
    """The reader yields the first article before the rest of the stream exists."""
    class Endless(io.RawIOBase):
        def __init__(self):
            self.n = 0
        def readable(self):
            return True
        def readinto(self, b):
            line = json.dumps({"id": str(self.n), "text": "x " * 50}).encode() + b"\n"
            self.n += 1
            b[: len(line)] = line
            return len(line)
    from stance.articles import _read_jsonl_stream
    stream = io.BufferedReader(Endless(), buffer_size=4096)
    gen = _read_jsonl_stream(stream, "endless", ReadOptions(), lambda e: None)
    first = [next(gen) for _ in range(3)]
    assert [a.id for a in first] == ["0", "1", "2"]


def test_cli_segment_reports_bad_files_and_exits_1(tmp_path):
    good = tmp_path / "ok.txt"
    good.write_text("Title\n\nThe company said on Tuesday that it would release the model next month.")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    r = subprocess.run([sys.executable, "-m", "stance", "segment", str(good), str(bad)], capture_output=True, text=True)
    assert r.returncode == 1  # finished, with a bad input skipped (README, Exit status)
    assert json.loads(r.stdout.splitlines()[0])["article_id"] == "ok.txt"
    assert f"{bad}:1: malformed JSON" in r.stderr
