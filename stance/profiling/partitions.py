"""Cutting inputs into partitions that are profiled independently, and the partitioned output folder.

A partition is a small picklable description of part of the input: a group of whole files, a byte
range of a large JSON Lines file cut on line boundaries, consecutive Parquet row groups, or one shard
of a saved Hugging Face dataset. Reading a partition yields exactly the articles (ids, sources,
metadata) that `iter_articles` yields for that part of the input, so a partitioned run equals a
local one record for record. Planning reads no article text except to find line boundaries in
large JSON Lines files (one sequential pass that also numbers the lines for error messages).

The output folder (written by engine_dask.py, read by `stance report`):

    OUTDIR/plan.json                   the partitions, the model and the reader options
    OUTDIR/parts/part-00000.jsonl      profiles of partition 0 (or .parquet), in input order
    OUTDIR/parts/part-00000.errors.jsonl, part-00000.stats.json
    OUTDIR/errors.jsonl, summary.json  the merged error report and the run's counts

A part file appears (by rename) only after its errors and stats are in place, so a part file
that exists is complete; `--resume` skips those partitions.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..articles import (Article, ReadOptions, _is_hf_dataset, _is_readable_member, _read_jsonl_stream, _read_parquet,
                       _read_path, _record_to_article)
from ..errors import InputError, StanceError

TARGET_BYTES = 16 << 20  # input per partition: about 5,000 short articles, 10 s of one worker
MAX_FILES = 500  # whole files grouped into one partition at most
PART_FORMATS = ("jsonl", "parquet")


@dataclass(frozen=True)
class Partition:
    """`kind`: files (whole files, read as `iter_articles` reads them), jsonl (bytes start..stop
    of one file, whose first line is line `first`), parquet (row groups start..stop, first row
    `first`), hf_shard (one .arrow shard of a saved dataset's split, first row `first`)."""

    index: int
    kind: str
    paths: tuple[str, ...]
    root: str = ""  # files: ids of text/HTML files are relative to it; hf_shard: the dataset folder
    start: int = 0
    stop: int = 0
    first: int = 0
    split: str | None = None

    @property
    def name(self) -> str:
        return f"part-{self.index:05d}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["paths"] = list(self.paths)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Partition":
        return cls(**{**d, "paths": tuple(d["paths"])})


# --- planning ---------------------------------------------------------------------------

def plan_partitions(inputs: Iterable[str | Path], target_bytes: int = TARGET_BYTES, max_files: int = MAX_FILES,
                    on_error: Callable[[InputError], None] | None = None) -> list[Partition]:
    """Partitions of the inputs, in input order. A missing input or an empty folder goes to
    `on_error` (raised without it), as in `iter_articles`."""
    plan: list[Partition] = []
    group: list[str] = []
    group_root, group_bytes = "", 0

    def report(err: InputError) -> None:
        if on_error is None:
            raise err
        on_error(err)

    def close_group() -> None:
        nonlocal group, group_bytes
        if group:
            plan.append(Partition(len(plan), "files", tuple(group), group_root))
        group, group_bytes = [], 0

    def add(kind: str, path: Path, **kw) -> None:
        close_group()
        plan.append(Partition(len(plan), kind, (str(path),), **kw))

    def plan_file(path: Path, root: Path) -> None:
        nonlocal group_root, group_bytes
        if _is_hf_dataset(path):
            shards = _hf_shards(path)
            if shards is not None:
                for split, shard, first in shards:
                    add("hf_shard", Path(shard), root=str(path), first=first, split=split)
                return
        else:
            size = _size(path)
            suffix = path.suffix.lower()
            if size > target_bytes and suffix in {".jsonl", ".ndjson"}:
                for start, stop, first in _jsonl_ranges(path, target_bytes):
                    add("jsonl", path, start=start, stop=stop, first=first)
                return
            if size > target_bytes and suffix == ".parquet":
                ranges = _parquet_ranges(path, target_bytes)
                if ranges is not None:
                    for start, stop, first in ranges:
                        add("parquet", path, start=start, stop=stop, first=first)
                    return
            if group and (str(root) != group_root or len(group) >= max_files or group_bytes + size > target_bytes):
                close_group()
            group_bytes += size
        if not group:
            group_root = str(root)
        group.append(str(path))  # read whole, as iter_articles reads it (errors included)

    for item in inputs:
        item = str(item)
        if item == "-":
            raise StanceError("stdin (-) cannot be split across workers; save it to a .jsonl file first")
        path = Path(item)
        if not path.exists():
            report(InputError(item, "no such file or directory"))
        elif path.is_dir() and not _is_hf_dataset(path):
            files = sorted(p for p in path.rglob("*") if _is_readable_member(p, path))
            if not files:
                report(InputError(item, "directory holds no readable articles (.txt .md .html .jsonl .json .csv .parquet)"))
            for file in files:
                plan_file(file, path)
        else:
            plan_file(path, path.parent)
    close_group()
    return plan


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _jsonl_ranges(path: Path, target_bytes: int) -> list[tuple[int, int, int]]:
    """(start byte, stop byte, first line number) of consecutive ranges of about `target_bytes`,
    each starting at the beginning of a line."""
    ranges, start, first, line, pos = [], 0, 1, 1, 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            begin = 0
            while True:
                cut = start + target_bytes - pos  # where, in this block, the range would end
                if cut >= len(block):
                    break
                nl = block.find(b"\n", max(cut - 1, begin))
                if nl < 0:
                    break
                line += block.count(b"\n", begin, nl + 1)
                stop = pos + nl + 1
                ranges.append((start, stop, first))
                start, first, begin = stop, line, nl + 1
            line += block.count(b"\n", begin)
            pos += len(block)
    if start < pos:
        ranges.append((start, pos, first))
    return ranges


def _parquet_ranges(path: Path, target_bytes: int) -> list[tuple[int, int, int]] | None:
    """(first row group, end row group, first row) of runs of row groups of about `target_bytes`;
    None when the file cannot be read (it is then read whole, which reports why)."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception:  # noqa: BLE001 - pyarrow raises several types for a bad file
        return None
    ranges, start, first, row, size = [], 0, 0, 0, 0
    for i in range(meta.num_row_groups):
        rg = meta.row_group(i)
        if i > start and size + rg.total_byte_size > target_bytes:
            ranges.append((start, i, first))
            start, first, size = i, row, 0
        size += rg.total_byte_size
        row += rg.num_rows
    if meta.num_row_groups > start:
        ranges.append((start, meta.num_row_groups, first))
    return ranges


def _hf_shards(path: Path) -> list[tuple[str | None, str, int]] | None:
    """(split, shard file, first row) of a saved dataset, in the order `load_from_disk` reads
    them; None when the layout is not the one `save_to_disk` writes (it is then read whole)."""
    import pyarrow as pa

    try:
        if (path / "dataset_dict.json").exists():
            splits = json.loads((path / "dataset_dict.json").read_text(encoding="utf-8"))["splits"]
            folders = [(s, path / s) for s in splits]
        else:
            folders = [(None, path)]
        shards = []
        for split, folder in folders:
            state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
            if state.get("_indices_data_files"):
                return None
            row = 0
            for entry in state["_data_files"]:
                file = folder / entry["filename"]
                with pa.memory_map(str(file)) as source:
                    rows = pa.ipc.open_stream(source).read_all().num_rows
                shards.append((split, str(file), row))
                row += rows
        return shards
    except Exception:  # noqa: BLE001 - any surprise: read the dataset whole
        return None


# --- reading ----------------------------------------------------------------------------

def read_partition(part: Partition, options: ReadOptions, on_error: Callable[[InputError], None]) -> Iterator[Article]:
    """The partition's articles, with the ids and sources `iter_articles` gives them. A duplicate
    id inside the partition is an error, as in `iter_articles` (across partitions: engine_dask)."""
    seen: dict[str, str] = {}
    for article in _read(part, options, on_error):
        if article.id in seen:
            on_error(InputError(article.source, f"duplicate article id {article.id!r}, first seen in {seen[article.id]}"))
            continue
        seen[article.id] = article.source
        yield article


def _read(part: Partition, options: ReadOptions, report) -> Iterator[Article]:
    if part.kind == "files":
        for path in part.paths:
            yield from _read_path(Path(path), Path(part.root), options, report)
        return
    path = part.paths[0]
    try:
        if part.kind == "jsonl":
            with open(path, "rb") as fh:
                fh.seek(part.start)
                yield from _read_jsonl_stream(_lines(fh, part.stop - part.start), path, options, report,
                                              first_line=part.first, first_byte=part.start)
        elif part.kind == "parquet":
            yield from _read_parquet(Path(path), options, report, range(part.start, part.stop), part.first)
        elif part.kind == "hf_shard":
            yield from _read_hf_shard(part, options, report)
        else:
            raise StanceError(f"unknown partition kind {part.kind!r}")
    except InputError as err:
        report(err)
    except OSError as exc:
        report(InputError(path, exc.strerror or str(exc)))


def _lines(fh, length: int) -> Iterator[bytes]:
    left = length
    while left > 0:
        line = fh.readline(left)
        if not line:
            return
        left -= len(line)
        yield line


def _read_hf_shard(part: Partition, options: ReadOptions, report) -> Iterator[Article]:
    import datasets

    ds = datasets.Dataset.from_file(part.paths[0])
    split = part.split
    for i, rec in enumerate(ds, part.first):
        name = f"{part.root}[{split + ', ' if split else ''}row {i}]"
        try:
            yield _record_to_article(rec, name, options)
        except InputError as err:
            report(err)


# --- the output folder ------------------------------------------------------------------

def parts_dir(outdir: Path) -> Path:
    return Path(outdir) / "parts"


def part_path(outdir: Path, part: Partition, fmt: str) -> Path:
    return parts_dir(outdir) / f"{part.name}.{fmt}"


def part_files(outdir: Path) -> list[Path]:
    """The finished part files of a partitioned output folder, in partition order."""
    folder = parts_dir(outdir)
    files = [p for p in folder.glob("part-*") if p.suffix in {".jsonl", ".parquet"} and not p.name.endswith(".errors.jsonl")]
    return sorted(files)


def is_partitioned_output(path: Path) -> bool:
    return Path(path).is_dir() and (Path(path) / "plan.json").exists()


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` on a hidden temporary name next to `path`, then rename it to `path`, so
    a reader (or a resumed run) never sees a half-written file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
