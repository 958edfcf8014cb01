"""Profiling many articles: streaming, worker processes, stable order, resume, an error report.

Articles stream from the readers in chunks of `batch_size`; at most two chunks per worker are in
flight, and each profile is written as soon as its chunk is done, so memory stays flat however
large the corpus. Results come back in input order whatever the number of workers, because
chunks are collected in the order they were sent. Each worker process loads the model once (the
pool initializer). An article that cannot be profiled becomes a `Failure` in the error report
and the batch goes on.

Resume (JSON Lines output only): the ids already in the output are skipped and a torn last line
(from a run that was killed mid-write) is cut away first, so no profile is ever written twice.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

from ..articles import HTML_SUFFIXES, TEXT_SUFFIXES, Article
from ..errors import InputError, StanceError
from ..jsonl import JsonLine, iter_lines
from .profile import MAX_ARTICLE_WORDS, Profile, ProfileError, article_passages, build_profile

DEFAULT_BATCH_SIZE = 128  # articles per chunk sent to a worker
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


@dataclass
class BatchStats:
    profiled: int = 0
    failed: int = 0
    skipped: int = 0  # already in the output (--resume)
    seconds: float = 0.0
    failures_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return self.profiled + self.failed + self.skipped

    def to_dict(self) -> dict[str, Any]:  # the Dask engine's summary.json
        return asdict(self)


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

def output_format(path: Path | None) -> str:
    if path is None or str(path) == "-":
        return "jsonl"
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise StanceError(f"{path}: unknown output type {path.suffix or '(no extension)'}; "
                          "end the -o file name with .jsonl, .csv or .parquet")
    return fmt


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


def open_writer(path: Path | None, stdout: IO[str], append: bool = False):
    """A writer for the output's format (by extension; stdout is JSON Lines)."""
    fmt = output_format(path)
    if path is None or str(path) == "-":
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
    if output_format(path) != "jsonl":
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


# --- progress estimate ------------------------------------------------------------------

def estimate_total(inputs: Iterable[str | Path]) -> int | None:
    """How many articles the inputs hold, when it can be counted cheaply (JSON Lines lines,
    Parquet row counts, one per text or HTML file); None when it cannot (CSV, JSON, datasets, stdin).
    Used only for the ETA, so blank or bad lines may make it a little high."""
    total = 0
    for item in inputs:
        path = Path(item)
        if str(item) == "-" or not path.exists():
            return None
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            try:
                n = _count_file(file)
            except OSError:  # unreadable: reported by the real pass; the count is only for the ETA
                n = 0
            if n is None:
                return None
            total += n
    return total


def _count_file(file: Path) -> int | None:
    suffix = file.suffix.lower()
    if any(part.startswith(".") for part in file.parts[-1:]):
        return 0
    if suffix in TEXT_SUFFIXES | HTML_SUFFIXES:
        return 1
    if suffix in {".jsonl", ".ndjson"}:
        n, last = 0, b"\n"
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                n += block.count(b"\n")
                last = block[-1:]
        return n + (last != b"\n")
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(file).metadata.num_rows
        except Exception:
            return None
    return None if suffix in {".csv", ".json", ".arrow"} or file.name == "dataset_info.json" else 0


# --- profiling chunks, in this process or in workers ------------------------------------

def profile_chunk(bundle, articles: list[Article], max_words: int = MAX_ARTICLE_WORDS,
                  boilerplate=None) -> list[Profile | Failure]:
    """Profile a chunk of articles with one model call for all their passages (`boilerplate`:
    what segmenting drops, see `boilerplate.detect_boilerplate`)."""
    results: list[Profile | Failure | None] = [None] * len(articles)
    ready: list[tuple[int, list]] = []  # (position, passages)
    for i, article in enumerate(articles):
        try:
            ready.append((i, article_passages(article, max_words, boilerplate)))
        except ProfileError as exc:
            results[i] = Failure(article.id, article.source, exc.kind, str(exc))
    texts = [p.text for _, passages in ready for p in passages]
    try:
        proba = bundle.predict_proba(texts)
    except Exception:  # find the article that breaks the model, and profile the rest
        proba = None
    row = 0
    for i, passages in ready:
        article = articles[i]
        try:
            if proba is None:
                part = bundle.predict_proba([p.text for p in passages])
            else:
                part = proba[row: row + len(passages)]
            results[i] = build_profile(bundle, article, passages, part)
        except ProfileError as exc:
            results[i] = Failure(article.id, article.source, exc.kind, str(exc))
        except Exception as exc:  # noqa: BLE001 - one odd article must not stop a batch of thousands
            results[i] = Failure(article.id, article.source, "error", f"{type(exc).__name__}: {exc}")
        row += len(passages)
    return results


_WORKER: dict[str, Any] = {}


def _init_worker(model_path: str, max_words: int, boilerplate=None) -> None:
    """Pool initializer: load the model once per worker. An error is kept and raised by the first
    task, because an initializer that raises makes the pool restart workers forever."""
    from ..model.bundle import load_bundle

    # Ctrl-C is the parent's to handle: it stops the pool. Workers that caught it too would each
    # print a traceback, and the semaphores of a worker dying mid-task leak.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # tqdm (progress bars inside model loading) would make a multiprocessing lock here; a worker
    # stopped by Pool.terminate() never frees it, and Python warns of "leaked semaphore objects".
    try:
        import threading

        from tqdm import tqdm

        tqdm.set_lock(threading.RLock())
    except ImportError:
        pass
    # Parallelism comes from the worker processes; the tokenizer's and BLAS's own threads would
    # compete with them for the same cores.
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    _WORKER["max_words"] = max_words
    _WORKER["boilerplate"] = boilerplate
    try:
        _WORKER["bundle"] = load_bundle(model_path)
    except Exception as exc:  # noqa: BLE001
        _WORKER["error"] = exc


def _worker_chunk(articles: list[Article]) -> list[Profile | Failure]:
    if "error" in _WORKER:
        raise _WORKER["error"]
    return profile_chunk(_WORKER["bundle"], articles, _WORKER["max_words"], _WORKER["boilerplate"])


def _chunks(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    chunk: list[Article] = []
    for article in articles:
        chunk.append(article)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def profile_stream(bundle, articles: Iterable[Article], workers: int = 1, batch_size: int = DEFAULT_BATCH_SIZE,
                   max_words: int = MAX_ARTICLE_WORDS, boilerplate=None) -> Iterator[list[Profile | Failure]]:
    """Profiles and failures, one list per chunk, in input order.

    With several workers, chunks go to a process pool (spawned, so it behaves the same on every OS)
    and are collected oldest first; at most 2 x workers chunks are in flight.
    """
    chunks = _chunks(articles, max(1, batch_size))
    if workers <= 1:
        for chunk in chunks:
            yield profile_chunk(bundle, chunk, max_words, boilerplate)
        return
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    pool = ctx.Pool(workers, initializer=_init_worker, initargs=(str(bundle.path), max_words, boilerplate))
    try:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_worker_chunk, (chunk,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
    except BaseException:  # an error, Ctrl-C, or the caller stopped early: stop the workers now
        pool.terminate()
        raise
    else:
        pool.close()  # let the workers exit normally (terminating them leaks their semaphores)
    finally:
        pool.join()


def profile_batch(bundle, articles: Iterable[Article], writer, errors: ErrorReport, workers: int = 1,
                  batch_size: int = DEFAULT_BATCH_SIZE, max_words: int = MAX_ARTICLE_WORDS,
                  skip: set[str] | None = None, boilerplate=None,
                  on_progress: Callable[[BatchStats], None] | None = None,
                  on_profile: Callable[[Profile], None] | None = None) -> BatchStats:
    """Profile every article into `writer`, failures into `errors`; return the counts.

    `skip`: ids already profiled (resume). `on_progress` is called after every chunk;
    `on_profile` with each profile (e.g. to plot the first few).
    """
    stats = BatchStats()
    skip = skip or set()
    start = time.monotonic()

    def todo() -> Iterator[Article]:
        for article in articles:
            if article.id in skip:
                stats.skipped += 1
            else:
                yield article

    for results in profile_stream(bundle, todo(), workers, batch_size, max_words, boilerplate):
        for result in results:
            if isinstance(result, Failure):
                errors.add(result)
            else:
                stats.profiled += 1
                writer.write(result)
                if on_profile is not None:
                    on_profile(result)
        writer.flush()
        stats.seconds = time.monotonic() - start
        stats.failed = sum(errors.counts.values())  # reader failures included
        if on_progress is not None:
            on_progress(stats)
    stats.seconds = time.monotonic() - start
    stats.failed = sum(errors.counts.values())
    stats.failures_by_kind = dict(errors.counts)
    return stats


SMALL_RUN = 64  # articles: fewer run faster in this process than in workers that each load the model first


def default_workers(total: int | None, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Workers for `total` articles (None: not countable): one for a small run, else no more than
    there are chunks to hand out, and no more than the CPUs."""
    cpus = os.cpu_count() or 1
    if total is None:
        return cpus
    if total < SMALL_RUN:
        return 1
    return max(1, min(cpus, -(-total // batch_size)))
