"""The Dask engine: `stance profile --engine dask` profiles partitions of the input on a Dask cluster.

Each partition (partitions.py) is one task that reads its articles on the worker, profiles them
with the local engine's `batch.profile_chunk`, and writes its part file atomically; the client only
plans, submits and merges the counts and error reports. The model is loaded once per worker
process (a cache keyed by the bundle's path and model id, warmed at the start of a run), from a path every worker can
read. When a worker dies, the scheduler reruns its tasks elsewhere; since a part file appears only
by rename, a rerun replaces nothing half-written and no profile is written twice. `--resume` skips
the partitions whose part file exists.

An optional counting stage (`CountStage`) runs first as its own Dask stage: counts per partition,
merged by a tree reduction, then handed to every profiling task (boilerplate detection needs
corpus-wide counts of repeated paragraphs).

Dask is an optional extra: it is imported only here, inside functions.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from ..articles import Article, ReadOptions
from .batch import DEFAULT_BATCH_SIZE, BatchStats, _chunks, profile_chunk
from .output import ErrorReport, Failure, JsonlWriter, ParquetWriter
from ..errors import InputError, ModelError, StanceError
from .partitions import (PART_FORMATS, TARGET_BYTES, Partition, part_path, parts_dir, plan_partitions,
                         read_partition, write_text_atomic)
from .profile import MAX_ARTICLE_WORDS

INSTALL_HINT = "pip install 'stance[dask]'"


def require_dask() -> None:
    """Fail with the install command when the extra is missing."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise StanceError(f"--engine dask needs Dask, which is not installed; install it with {INSTALL_HINT} "
                          "(or use the local engine)") from None


@dataclass
class CountStage:
    """A corpus-wide counting pass that runs before profiling, as its own Dask stage.

    `count(articles) -> Counter` sees one partition's articles; the partitions' counters are
    summed; `apply(article, counts) -> Article` then prepares each article for profiling (for
    boilerplate: drop paragraphs seen in too many articles). Both must be module-level functions
    (they are pickled to the workers)."""

    count: Callable[[Iterable[Article]], Counter]
    apply: Callable[[Article, Counter], Article]


# --- on the workers ---------------------------------------------------------------------

_BUNDLES: dict[tuple[str, str], Any] = {}
_LOCK = threading.Lock()


def worker_bundle(path: str | None, model_id: str):
    """The bundle at `path` (None: the shipped model), loaded once per worker process; it must be
    the model the client planned with (every machine must see the same bundle at that path)."""
    key = (path, model_id)
    with _LOCK:
        if key not in _BUNDLES:
            from ..model.bundle import load_bundle

            # Parallelism comes from the workers; BLAS and tokenizer threads would compete with them.
            os.environ["TOKENIZERS_PARALLELISM"] = "false"
            from threadpoolctl import threadpool_limits

            threadpool_limits(1)
            bundle = load_bundle(path)
            if bundle.model_id != model_id:
                raise ModelError(f"{bundle.path}: this worker sees model {bundle.model_id}, the client {model_id}; "
                                 "every worker must read the same model bundle (a shared path)")
            _BUNDLES[key] = bundle
        return _BUNDLES[key]


def warm_worker(path: str | None, model_id: str) -> None:
    """Load the model now on a worker (client.run at the start of a run), not in its first task;
    a worker that joins later loads it in its first task."""
    try:
        worker_bundle(path, model_id)
    except Exception:  # noqa: BLE001 - the first task raises it again, with the reason
        pass


def count_partition(part: Partition, options: ReadOptions, stage: CountStage) -> Counter:
    return Counter(stage.count(read_partition(part, options, lambda err: None)))


def count_blocks(part: Partition, options: ReadOptions, duplicates: dict[int, int] | None = None) -> tuple[bytes, bytes]:
    """The boilerplate counting pass over one partition: (block keys, article counts) as bytes.
    An article whose id an earlier partition holds is not counted (as `iter_articles` skips it)."""
    from ..boilerplate import RepeatCounter

    counter = RepeatCounter()
    articles = read_partition(part, options, lambda err: None)
    for article in _drop_duplicates(articles, part, duplicates, []) if duplicates else articles:
        counter.add(article)
    keys, counts = counter.counts()
    return keys.tobytes(), counts.tobytes()


def merge_block_bytes(*parts: tuple[bytes, bytes]) -> tuple[bytes, bytes]:
    import numpy as np

    from ..boilerplate import merge_block_counts

    keys, counts = merge_block_counts((np.frombuffer(k, dtype=np.uint32), np.frombuffer(c, dtype=np.uint32))
                                      for k, c in parts)
    return keys.tobytes(), counts.tobytes()


def merge_counts(*counters: Counter) -> Counter:
    total: Counter = Counter()
    for c in counters:
        total.update(c)
    return total


def id_key(article_id: str) -> int:
    """A 64-bit hash of an article id: the ids stage ships these, not the ids."""
    return int.from_bytes(hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def partition_ids(part: Partition, options: ReadOptions) -> bytes:
    """The id hashes of a partition's articles (int64, native order): a cheap reading pass."""
    import numpy as np

    return np.fromiter((id_key(a.id) for a in read_partition(part, options, lambda err: None)), dtype=np.int64).tobytes()


def duplicate_owners(id_hashes: list[bytes]) -> dict[int, int]:
    """Id hashes found in more than one partition -> the first partition holding it (which keeps it;
    the others report a duplicate, as `iter_articles` does for the second occurrence)."""
    import numpy as np

    arrays = [np.frombuffer(b, dtype=np.int64) for b in id_hashes]
    if not arrays:
        return {}
    keys = np.concatenate(arrays)
    owner = np.concatenate([np.full(len(a), i, dtype=np.int64) for i, a in enumerate(arrays)])
    order = np.lexsort((owner, keys))
    keys, owner = keys[order], owner[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    group_first_owner = owner[first][np.cumsum(first) - 1]
    dup = ~first & (owner != group_first_owner)
    return {int(k): int(o) for k, o in zip(keys[dup], group_first_owner[dup])}


def profile_partition(part: Partition, outdir: str, model_path: str | None, model_id: str, options: ReadOptions,
                      fmt: str = "jsonl", batch_size: int = DEFAULT_BATCH_SIZE, max_words: int = MAX_ARTICLE_WORDS,
                      stage: CountStage | None = None, counts: Counter | None = None,
                      duplicates: dict[int, int] | None = None, boilerplate=None) -> dict[str, Any]:
    """Profile one partition into its part file (errors and stats first, the part file last,
    each by rename); return its stats. `duplicates`: id hashes owned by an earlier partition."""
    start = time.monotonic()
    bundle = worker_bundle(model_path, model_id)
    failures: list[Failure] = []
    articles: Iterable[Article] = read_partition(
        part, options, lambda err: failures.append(Failure(None, err.source, "unreadable", err.reason)))
    if duplicates:
        articles = _drop_duplicates(articles, part, duplicates, failures)
    if stage is not None:
        articles = (stage.apply(a, counts or Counter()) for a in articles)
    out = part_path(Path(outdir), part, fmt)
    profiled = 0

    def write(tmp: Path) -> None:
        nonlocal profiled
        writer = JsonlWriter(open(tmp, "w", encoding="utf-8"), close=True) if fmt == "jsonl" else ParquetWriter(tmp)
        for chunk in _chunks(articles, max(1, batch_size)):
            for result in profile_chunk(bundle, chunk, max_words, boilerplate):
                if isinstance(result, Failure):
                    failures.append(result)
                else:
                    writer.write(result)
                    profiled += 1
        writer.close()
        if not tmp.exists():  # Parquet with no profile: an empty table, so the part still reads
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({}), tmp)

    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        stats = {"partition": part.index, "profiled": profiled, "failed": len(failures),
                 "failures_by_kind": dict(Counter(f.kind for f in failures)),
                 "seconds": time.monotonic() - start, "worker": os.getpid()}
        errors_text = "".join(json.dumps(f.to_dict(), ensure_ascii=False) + "\n" for f in failures)
        write_text_atomic(out.with_name(f"{part.name}.errors.jsonl"), errors_text)
        write_text_atomic(out.with_name(f"{part.name}.stats.json"), json.dumps(stats))
        os.replace(tmp, out)  # the partition is done once its part file has its name
    finally:
        if tmp.exists():
            tmp.unlink()
    return stats


def _drop_duplicates(articles, part: Partition, owners: dict[int, int], failures: list[Failure]):
    for article in articles:
        owner = owners.get(id_key(article.id))
        if owner is not None and owner < part.index:
            failures.append(Failure(None, article.source, "unreadable",
                                    f"duplicate article id {article.id!r}, first seen in partition {owner} "
                                    f"(see plan.json)"))
        else:
            yield article


# --- on the client ----------------------------------------------------------------------

@dataclass
class DaskRun:
    stats: BatchStats
    report: ErrorReport  # the merged error report (path, counts, the first few failures)
    outdir: Path
    partitions: int
    resumed: int  # partitions already done before this run


def profile_dask(inputs: list[str], outdir: Path, model: Path | None = None, scheduler: str | None = None,
                 workers: int | None = None, options: ReadOptions | None = None, fmt: str = "jsonl",
                 batch_size: int = DEFAULT_BATCH_SIZE, max_words: int = MAX_ARTICLE_WORDS, resume: bool = False,
                 target_bytes: int = TARGET_BYTES, stage: CountStage | None = None,
                 on_progress: Callable[[BatchStats], None] | None = None, client=None,
                 keep_boilerplate: bool = False) -> DaskRun:
    """Profile `inputs` into the partitioned folder `outdir` on a Dask cluster: `client` (an open
    distributed.Client), else the scheduler at `scheduler`, else a local cluster of `workers`
    processes started for this run."""
    require_dask()
    from ..model.bundle import load_bundle

    if fmt not in PART_FORMATS:
        raise StanceError(f"unknown part format {fmt!r}; use one of {', '.join(PART_FORMATS)}")
    options = options or ReadOptions()
    outdir = Path(outdir)
    bundle = load_bundle(model)
    # The shipped model is loaded from each worker's own installation (checked by its hash); a
    # --model bundle from the same path on every worker.
    model_path, model_id = (str(Path(model).resolve()) if model is not None else None), bundle.model_id
    planning: list[InputError] = []
    plan = plan_partitions(inputs, target_bytes, on_error=planning.append)
    record = {"model_id": model_id, "format": fmt, "options": asdict(options), "max_words": max_words,
              "keep_boilerplate": keep_boilerplate,
              "inputs": [str(i) for i in inputs], "partitions": [p.to_dict() for p in plan],
              "unreadable": [{"source": e.source, "reason": e.reason} for e in planning]}
    _check_outdir(outdir, record, resume)
    parts_dir(outdir).mkdir(parents=True, exist_ok=True)
    write_text_atomic(outdir / "plan.json", json.dumps(record, indent=1))
    for stale in parts_dir(outdir).glob(".part-*"):  # temporary files of a killed run
        stale.unlink()

    stats = BatchStats()
    done = [p for p in plan if part_path(outdir, p, fmt).exists()]
    for p in done:
        stats.skipped += _part_stats(outdir, p)["profiled"]
    todo = [p for p in plan if not part_path(outdir, p, fmt).exists()]
    start = time.monotonic()
    if todo:
        with _connect(scheduler, workers, client) as dask_client:
            _run(dask_client, todo, outdir, model_path, model_id, options, fmt, batch_size, max_words, stage,
                 plan, stats, start, on_progress, keep_boilerplate)
        for stale in parts_dir(outdir).glob(".part-*"):  # half-written by a worker killed in this run
            stale.unlink()
    report = _merge_errors(outdir, plan, planning, fmt)
    stats.seconds = time.monotonic() - start
    stats.failed = sum(report.counts.values())
    stats.failures_by_kind = dict(report.counts)
    summary = {"engine": "dask", "scheduler": scheduler or "local", "model_id": model_id, "format": fmt,
               "partitions": len(plan), "partitions_resumed": len(done), **stats.to_dict(),
               "articles_per_s": (stats.profiled + stats.failed) / stats.seconds if stats.seconds > 0 else 0.0,
               "errors": "errors.jsonl"}
    write_text_atomic(outdir / "summary.json", json.dumps(summary, indent=1))
    return DaskRun(stats, report, outdir, len(plan), len(done))


def _check_outdir(outdir: Path, record: dict, resume: bool) -> None:
    plan_file = outdir / "plan.json"
    if outdir.exists() and not outdir.is_dir():
        raise StanceError(f"{outdir}: not a folder; --engine dask writes a folder of part files (-o OUTDIR)")
    if not plan_file.exists():
        if outdir.exists() and any(outdir.iterdir()):
            raise StanceError(f"{outdir}: folder is not empty and holds no stance run; choose a new -o folder")
        return
    if not resume:
        raise StanceError(f"{outdir}: holds a partitioned run already; pass --resume to finish it, "
                          "or choose a new -o folder")
    old = json.loads(plan_file.read_text(encoding="utf-8"))
    if old.get("model_id") != record["model_id"]:
        raise StanceError(f"{outdir}: was profiled with model {old.get('model_id')}, not {record['model_id']}; "
                          "resume with that --model or choose a new -o folder")
    for key, what in (("format", "--part-format"), ("options", "reader options"), ("max_words", "--max-words"),
                      ("partitions", "inputs")):
        if old.get(key) != record[key]:
            raise StanceError(f"{outdir}: the {what} differ from the run being resumed (inputs must be "
                              "unchanged); resume with the same ones or choose a new -o folder")


class _connect:
    """A client: the one given, one to `scheduler`, or a local cluster of worker processes."""

    def __init__(self, scheduler: str | None, workers: int | None, client):
        self.scheduler, self.workers, self.given = scheduler, workers, client
        self.client = self.cluster = None

    def __enter__(self):
        import logging

        from distributed import Client, LocalCluster

        if self.given is not None:
            return self.given
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout=30)
            except OSError as exc:
                raise StanceError(f"cannot reach the Dask scheduler at {self.scheduler} ({exc}); start one with "
                                  "`dask scheduler` and check the address") from None
            return self.client
        n = self.workers or min(os.cpu_count() or 1, 8)
        self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                    silence_logs=logging.ERROR)
        self.client = Client(self.cluster)
        return self.client

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _run(client, todo, outdir, model_path, model_id, options, fmt, batch_size, max_words, stage, plan, stats,
         start, on_progress, keep_boilerplate: bool = False) -> None:
    from distributed import as_completed

    from ..boilerplate import Boilerplate, repeated_from_counts

    client.run(warm_worker, model_path, model_id)
    counts = None
    if stage is not None:
        partials = [client.submit(count_partition, p, options, stage, pure=False) for p in plan]
        while len(partials) > 1:  # a tree: no task sums more than 16 counters
            partials = [client.submit(merge_counts, *partials[i:i + 16], pure=False)
                        for i in range(0, len(partials), 16)]
        counts = partials[0]
    # Ids stage: an article id in two partitions is profiled once, in the first, as iter_articles does.
    hashes = client.gather([client.submit(partition_ids, p, options, pure=False) for p in plan])
    duplicates = duplicate_owners(hashes)
    # Boilerplate: blocks repeated across articles, counted over every partition as its own stage
    # (the same first counting pass as the local engine), merged in a tree, sent to each worker once.
    boilerplate = Boilerplate(keep=True)
    if not keep_boilerplate:
        import numpy as np

        partial = [client.submit(count_blocks, p, options, duplicates, pure=False) for p in plan]
        while len(partial) > 1:
            partial = [client.submit(merge_block_bytes, *partial[i:i + 16], pure=False)
                       for i in range(0, len(partial), 16)]
        block_keys, block_counts = partial[0].result() if partial else (b"", b"")
        boilerplate = Boilerplate(repeated_from_counts(np.frombuffer(block_keys, dtype=np.uint32),
                                                       np.frombuffer(block_counts, dtype=np.uint32)))
    [boilerplate] = client.scatter([boilerplate], broadcast=True)
    if duplicates:
        [duplicates] = client.scatter([duplicates], broadcast=True)  # one copy per worker, not per task
    futures = [client.submit(profile_partition, p, str(outdir), model_path, model_id, options, fmt, batch_size,
                             max_words, stage, counts, duplicates, boilerplate,
                             key=f"stance-profile-{p.name}-{os.urandom(4).hex()}")
               for p in todo]
    names = {f.key: p.name for f, p in zip(futures, todo)}
    try:
        for future in as_completed(futures):
            try:
                result = future.result()
            except StanceError:
                raise
            except Exception as exc:  # e.g. KilledWorker: the partition killed its workers again and again
                raise StanceError(f"partition {names[future.key]} (see {outdir / 'plan.json'}) failed on the cluster: "
                                  f"{type(exc).__name__}: {exc}; finished partitions are kept: fix the cause "
                                  "and rerun with --resume") from exc
            stats.profiled += result["profiled"]
            stats.failed += result["failed"]
            stats.seconds = time.monotonic() - start
            if on_progress is not None:
                on_progress(stats)
    except BaseException:
        client.cancel(futures)
        raise


def _part_stats(outdir: Path, part: Partition) -> dict[str, Any]:
    return json.loads((parts_dir(outdir) / f"{part.name}.stats.json").read_text(encoding="utf-8"))


def _merge_errors(outdir: Path, plan: list[Partition], planning: list[InputError], fmt: str) -> ErrorReport:
    """errors.jsonl: inputs that could not be planned, then each partition's failures in order."""
    report = ErrorReport(outdir / "errors.jsonl")
    for err in planning:
        report(err)
    for part in plan:
        path = parts_dir(outdir) / f"{part.name}.errors.jsonl"
        if part_path(outdir, part, fmt).exists() and path.exists():
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    report.add(Failure.from_dict(json.loads(line)))
    report.close()
    if not report.counts:
        (outdir / "errors.jsonl").write_text("", encoding="utf-8")
    return report
