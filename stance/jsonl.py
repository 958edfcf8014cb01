"""The one JSON Lines reader and writer, so every file of records reports a bad line the same way:
`FILE:LINE: reason`, and a last line cut short by a killed write is recognised as such.

`iter_lines` gives each non-blank line with where it sits; callers that go on past a bad line
(article readers, resume, the label store) parse it with `JsonLine.value()` and decide. `read_jsonl`
is the strict reader: the first bad line is an `InputError` naming file and line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, Iterable, Iterator

from .errors import InputError


@dataclass(frozen=True)
class JsonLine:
    where: str  # "file:line"
    lineno: int
    start: int  # byte offset of the line in the file
    raw: bytes

    @property
    def complete(self) -> bool:
        """False for a last line without its newline: what a write cut short leaves behind."""
        return self.raw.endswith(b"\n")

    def value(self, text: str | None = None, encoding: str = "utf-8") -> Any:
        """The line's JSON value; `text` is the line already decoded (by a caller with its own
        encoding rules). Raises InputError naming file and line."""
        if text is None:
            try:
                text = self.raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(self.where, f"not {encoding} text (byte {self.start + exc.start})") from None
        if self.lineno == 1:
            text = text.lstrip("\ufeff")  # a byte-order mark some editors write
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            if not self.complete:
                raise InputError(self.where, "the last line is cut short (a write was interrupted)") from None
            raise InputError(self.where, f"malformed JSON ({exc.msg} at column {exc.colno})") from None


def iter_lines(fh: Iterable[bytes], name: str, first_line: int = 1, first_byte: int = 0) -> Iterator[JsonLine]:
    """The non-blank lines of a binary stream, with file:line and byte offset. `first_line` and
    `first_byte`: where `fh` starts in the file (a byte range of it, see partitions.py)."""
    offset = first_byte
    for lineno, raw in enumerate(fh, first_line):
        start, offset = offset, offset + len(raw)
        if raw.strip():
            yield JsonLine(f"{name}:{lineno}", lineno, start, raw)


def read_jsonl(path: str | Path, encoding: str = "utf-8", objects: bool = True) -> Iterator[tuple[str, Any]]:
    """(file:line, value) for every record of a JSON Lines file; the first bad line raises
    InputError naming file and line. `objects`: each line must be a JSON object."""
    path = Path(path)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    with fh:
        for line in iter_lines(fh, str(path)):
            value = line.value(encoding=encoding)
            if objects and not isinstance(value, dict):
                raise InputError(line.where, "expected a JSON object on each line")
            yield line.where, value


def write_jsonl(records: Iterable[Any], stream: IO[str]) -> int:
    """One JSON value per line (UTF-8, not ASCII-escaped); returns how many were written."""
    n = 0
    for rec in records:
        stream.write(json.dumps(rec, ensure_ascii=False) + "\n")
        n += 1
    return n
