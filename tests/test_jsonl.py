"""The one JSON Lines reader: file:line errors, a torn last line told apart, offsets for resume."""

import io

import pytest

from stance.errors import InputError
from stance.hashing import file_sha256
from stance.jsonl import iter_lines, read_jsonl, write_jsonl


def test_records_with_where_they_come_from(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\n\n{"a": "\xc3\xa9"}\n')
    assert list(read_jsonl(path)) == [(f"{path}:1", {"a": 1}), (f"{path}:3", {"a": "é"})]


@pytest.mark.parametrize("body, line, reason", [
    (b'{"a": 1}\n{"a": \n{"b": 2}\n', 2, "malformed JSON"),
    (b'{"a": 1}\n{"a": 2', 2, "the last line is cut short"),
    (b'{"a": 1}\n[1, 2]\n', 2, "expected a JSON object"),
    (b'{"a": "\xff"}\n', 1, "not utf-8 text"),
])
def test_bad_lines_name_file_and_line(tmp_path, body, line, reason):
    path = tmp_path / "r.jsonl"
    path.write_bytes(body)
    with pytest.raises(InputError, match=f"^{path}:{line}: {reason}"):
        list(read_jsonl(path))


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(read_jsonl(tmp_path / "gone.jsonl"))


def test_lines_carry_offsets_and_completeness():
    data = b'{"a": 1}\n\n{"a": 2}\n{"a": '
    lines = list(iter_lines(io.BytesIO(data), "s"))
    assert [(x.lineno, x.start, x.complete) for x in lines] == [(1, 0, True), (3, 10, True), (4, 19, False)]
    assert data[lines[1].start:lines[1].start + len(lines[1].raw)] == b'{"a": 2}\n'


def test_write_then_read_round_trip(tmp_path):
    path = tmp_path / "w.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        assert write_jsonl([{"t": "naïve"}, {"t": 2}], fh) == 2
    assert [r for _, r in read_jsonl(path)] == [{"t": "naïve"}, {"t": 2}]
    assert len(file_sha256(path)) == 64 and file_sha256(path) == file_sha256(str(path))
