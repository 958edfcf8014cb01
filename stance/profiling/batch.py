"""Profiling many articles: streaming, worker processes, stable order.

Articles stream from the readers in chunks of `batch_size`; at most two chunks per worker are in
flight, and each profile is written as soon as its chunk is done, so memory stays flat however
large the corpus. Results come back in input order whatever the number of workers, because
chunks are collected in the order they were sent. Each worker process loads the model once (the
pool initializer). An article that cannot be profiled becomes a `Failure` in the error report
and the batch goes on. Writers, the error report and resume are in `output.py`.
"""

from __future__ import annotations

import os
import signal
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..articles import HTML_SUFFIXES, TEXT_SUFFIXES, Article
from .output import ErrorReport, Failure
from .profile import MAX_ARTICLE_WORDS, Profile, ProfileError, article_passages, build_profile

DEFAULT_BATCH_SIZE = 128  # articles per chunk sent to a worker


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
