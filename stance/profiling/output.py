"""Where profiles and failures go: the writers (JSON Lines, CSV, Parquet) chosen by the output's
extension, the error report, and resume.

Resume (JSON Lines output only): the ids already in the output are skipped and a torn last line
(from a run that was killed mid-write) is cut away first, so no profile is ever written twice.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import InputError, StanceError
from ..jsonl import JsonLine, iter_lines
from .profile import Profile

OUTPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


@dataclass
class Failure:
    """An article that was not profiled, and why. `kind`: empty, no_passages, too_long,
    unreadable (the reader could not make an article of it) or error (an unexpected crash)."""

    article_id: str | None
    source: str
    kind: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Failure":  # a Dask partition's error report, read back
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__})



# --- the error report -------------------------------------------------------------------

class ErrorReport:
    """Failures written one JSON line each as they happen (the file is created on the first one),
    counted by kind for the summary. Pass it as `on_error` to `iter_articles` for unreadable input."""

    def __init__(self, path: Path | None):
        self.path = Path(path) if path else None
        self.counts: Counter[str] = Counter()
        self.first: list[Failure] = []  # a few, for the summary on stderr
        self._fh: IO[str] | None = None
        if self.path is not None and self.path.exists():
            self.path.unlink()  # from an earlier run: its articles are retried now

    def add(self, failure: Failure) -> None:
        self.counts[failure.kind] += 1
        if len(self.first) < 5:
            self.first.append(failure)
        if self.path is not None:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.path, "w", encoding="utf-8")
            self._fh.write(json.dumps(failure.to_dict(), ensure_ascii=False) + "\n")
            self._fh.flush()

    def __call__(self, error: InputError) -> None:
        self.add(Failure(error.article_id, error.source, error.kind, error.reason))

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def errors_path_for(output: Path) -> Path:
    """profiles.jsonl -> profiles.errors.jsonl, next to the output."""
    return output.with_name(output.stem + ".errors.jsonl")


# --- writers ----------------------------------------------------------------------------

def stdout_or_path(path: Path | str | None) -> Path | None:
    """None for standard output (no -o, or -o -), else the path."""
    return None if path is None or str(path) == "-" else Path(path)


def output_target(path: Path | str | None) -> tuple[Path | None, str]:
    """The output path (None: stdout) and its format by extension (stdout is JSON Lines): the one
    place that decides both."""
    path = stdout_or_path(path)
    if path is None:
        return None, "jsonl"
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise StanceError(f"{path}: unknown output type {path.suffix or '(no extension)'}; "
                          "end the -o file name with .jsonl, .csv or .parquet")
    return path, fmt


class JsonlWriter:
    """One profile per line, nested as in Profile.to_dict (evidence included)."""

    def __init__(self, stream: IO[str], close: bool = False):
        self.stream, self._close = stream, close

    def write(self, profile: Profile) -> None:
        self.stream.write(json.dumps(profile.to_dict(), ensure_ascii=False) + "\n")

    def flush(self) -> None:
        self.stream.flush()

    def close(self) -> None:
        self.flush()
        if self._close:
            self.stream.close()


class CsvWriter:
    """Flat columns (Profile.to_flat); the header comes from the first profile."""

    def __init__(self, path: Path):
        self.fh = open(path, "w", encoding="utf-8", newline="")
        self.writer: csv.DictWriter | None = None

    def write(self, profile: Profile) -> None:
        row = profile.to_flat()
        if self.writer is None:
            self.writer = csv.DictWriter(self.fh, fieldnames=list(row))
            self.writer.writeheader()
        self.writer.writerow(row)

    def flush(self) -> None:
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


class ParquetWriter:
    """Flat columns (Profile.to_flat), written a row group at a time so memory stays flat."""

    ROW_GROUP = 2000
    STRINGS = {"article_id", "title", "outlet", "date", "url", "model_id", "dominant", "meta"}
    INTEGERS = {"n_passages", "n_words", "format_version"}

    def __init__(self, path: Path):
        self.path = path
        self.rows: list[dict[str, Any]] = []
        self.writer = None

    def write(self, profile: Profile) -> None:
        self.rows.append(profile.to_flat())
        if len(self.rows) >= self.ROW_GROUP:
            self.flush()

    def _type(self, pa, column: str):
        if column in self.STRINGS:
            return pa.string()
        if column in self.INTEGERS or column.startswith("passages_"):
            return pa.int64()
        return pa.float64()

    def flush(self) -> None:
        if not self.rows:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(c, self._type(pa, c)) for c in self.rows[0]])
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, schema)
        self.writer.write_table(pa.Table.from_pylist(self.rows, schema=schema))
        self.rows = []

    def close(self) -> None:
        self.flush()
        if self.writer is not None:
            self.writer.close()


def open_writer(path: Path | str | None, stdout: IO[str], append: bool = False):
    """A writer for the output's format (by extension; stdout is JSON Lines)."""
    path, fmt = output_target(path)
    if path is None:
        return JsonlWriter(stdout)
    if append and fmt != "jsonl":
        raise StanceError(f"{path}: --resume needs JSON Lines output; write to a .jsonl file "
                          "(convert it to CSV or Parquet in a last run without --resume)")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        return JsonlWriter(open(path, "a" if append else "w", encoding="utf-8"), close=True)
    return CsvWriter(path) if fmt == "csv" else ParquetWriter(path)


# --- resume -----------------------------------------------------------------------------

@dataclass
class ResumeState:
    done: set[str]  # article ids already profiled
    model_ids: set[str]
    repaired_bytes: int  # size of the torn last line that was cut away (0: none)


def prepare_resume(path: Path) -> ResumeState:
    """Read the ids already in a JSON Lines output and cut away a torn last line.

    Only the last line can be torn (a killed write leaves a prefix without its newline); a bad
    line before it means the file is not stance output, and is an error rather than data loss.
    """
    path = Path(path)
    state = ResumeState(set(), set(), 0)
    if not path.exists():
        return state
    if output_target(path)[1] != "jsonl":
        raise StanceError(f"{path}: --resume needs JSON Lines output; write to a .jsonl file")
    good_end, bad_line = 0, None
    with open(path, "rb") as fh:
        for line in iter_lines(fh, str(path)):
            if bad_line is not None:
                raise StanceError(f"{bad_line}: not a stance profile; is this the output of `stance profile`? "
                                  "Fix or remove that line, or write to a new file")
            record = _parse_profile_line(line) if line.complete else None
            if record is None:
                bad_line = line.where  # fine only if it is the last line
                continue
            state.done.add(record["article_id"])
            state.model_ids.add(record.get("model_id", ""))
            good_end = line.start + len(line.raw)
    size = path.stat().st_size
    if good_end < size:
        with open(path, "r+b") as fh:
            fh.truncate(good_end)
        state.repaired_bytes = size - good_end
    return state


def _parse_profile_line(line: JsonLine) -> dict | None:
    try:
        record = line.value()
    except InputError:
        return None
    return record if isinstance(record, dict) and "article_id" in record and "frames" in record else None
