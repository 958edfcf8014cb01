"""The Dask engine on a real distributed.LocalCluster of two worker processes: the same records as
the local engine, a counting stage, resume, Parquet parts, a worker killed mid-run, the CLI and
`stance report` on a partitioned folder."""

import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

import stance
from stance.articles import Article, iter_articles
from stance.profiling.batch import profile_batch
from stance.profiling.output import ErrorReport
from stance.boilerplate import Boilerplate, detect_boilerplate
from stance.cli.main import app, main
from stance.errors import StanceError
from stance.profiling.partitions import part_files, parts_dir
from stance.profiling.report import ReportError

from test_partitions import make_corpus

NO_DASK = "Dask is an optional extra: pip install 'stance[dask]'"

SMALL = 3000  # bytes per partition: the small corpus is cut into many partitions of every kind


class ListWriter:
    def __init__(self):
        self.profiles = []

    def write(self, profile):
        self.profiles.append(profile.to_dict())

    def flush(self):
        pass


@pytest.fixture(scope="module")
def client():
    import logging

    distributed = pytest.importorskip("distributed", reason=NO_DASK)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                       silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    client.wait_for_workers(2, timeout=60)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def bundle():
    return stance.load_model()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("corpus"))


def local_run(bundle, inputs, transform=None, keep_boilerplate=None):
    writer, errors = ListWriter(), []
    report = ErrorReport(None)
    report.add = errors.append
    articles = iter_articles(inputs, on_error=report)
    if transform is not None:
        articles = transform(list(articles))
    keep = transform is not None if keep_boilerplate is None else keep_boilerplate
    boilerplate = Boilerplate(keep=True) if keep else detect_boilerplate(inputs)
    profile_batch(bundle, articles, writer, report, batch_size=16, boilerplate=boilerplate)
    return writer.profiles, errors


def read_parts(outdir: Path) -> list[dict]:
    return [json.loads(line) for f in part_files(outdir) for line in f.read_text(encoding="utf-8").splitlines()]


def read_errors(outdir: Path) -> list[dict]:
    return [json.loads(line) for line in (outdir / "errors.jsonl").read_text(encoding="utf-8").splitlines()]


def main_exit(args, monkeypatch, capsys) -> tuple[int, str]:
    """Run `stance ARGS` as the console script does (library errors become stderr and an exit code)."""
    monkeypatch.setattr(sys, "argv", ["stance", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return exc.value.code, capsys.readouterr().err


def test_dask_gives_the_local_engines_records(client, bundle, inputs, tmp_path):
    from stance.profiling.engine_dask import profile_dask

    local, local_errors = local_run(bundle, inputs)
    run = profile_dask(inputs, tmp_path / "out", client=client, target_bytes=SMALL, batch_size=5)
    assert run.partitions > 10
    assert read_parts(tmp_path / "out") == local  # record for record, in input order
    assert sorted((e["source"], e["kind"]) for e in read_errors(tmp_path / "out")) == \
           sorted((f.source, f.kind) for f in local_errors)
    assert any("duplicate article id 'j3'" in e["reason"] for e in read_errors(tmp_path / "out"))
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["profiled"] == run.stats.profiled == len(local)
    assert summary["failed"] == len(local_errors) and summary["partitions"] == run.partitions
    assert not list(parts_dir(tmp_path / "out").glob(".*"))  # no temporary file left


def test_resume_redoes_only_missing_partitions(client, bundle, inputs, tmp_path):
    from stance.profiling.engine_dask import profile_dask

    out = tmp_path / "out"
    first = profile_dask(inputs, out, client=client, target_bytes=SMALL)
    with pytest.raises(StanceError, match="--resume"):
        profile_dask(inputs, out, client=client, target_bytes=SMALL)
    complete = read_parts(out)
    parts = part_files(out)
    lost = [json.loads(line)["article_id"] for f in parts[2:4] for line in f.read_text().splitlines()]
    for f in parts[2:4]:
        f.unlink()  # as if the run was killed before these partitions finished
    (parts_dir(out) / ".part-00003.jsonl.dead.tmp").write_text('{"half": ', encoding="utf-8")
    again = profile_dask(inputs, out, client=client, target_bytes=SMALL, resume=True)
    assert again.resumed == first.partitions - 2
    assert again.stats.profiled == len(lost) and again.stats.skipped == first.stats.profiled - len(lost)
    assert read_parts(out) == complete
    assert not list(parts_dir(out).glob(".*"))
    with pytest.raises(StanceError, match="inputs"):
        profile_dask(inputs[:2], out, client=client, target_bytes=SMALL, resume=True)


def test_parquet_parts_hold_the_flat_rows(client, bundle, inputs, tmp_path):
    import pyarrow.parquet as pq

    from stance.profiling.engine_dask import profile_dask

    run = profile_dask(inputs[:2], tmp_path / "out", client=client, target_bytes=SMALL, fmt="parquet")
    rows = [r for f in part_files(tmp_path / "out") for r in pq.read_table(f).to_pylist()]
    local, _ = local_run(bundle, inputs[:2])
    assert len(rows) == run.stats.profiled == len(local)
    assert [r["article_id"] for r in rows] == [p["article_id"] for p in local]
    from stance.profiling.profile import Profile

    flat = [Profile.from_dict(p).to_flat() for p in local]
    assert [r["share_" + bundle.frames[0]] for r in rows] == [f["share_" + bundle.frames[0]] for f in flat]


# A counting stage as boilerplate detection will use it: paragraphs counted across the whole
# corpus, then dropped from articles where they are frequent. Pickled by value to the workers.
def count_paragraphs(articles):
    return Counter(p for a in articles for p in set(a.text.split("\n\n")))


def drop_frequent(article: Article, counts: Counter) -> Article:
    kept = [p for p in article.text.split("\n\n") if counts[p] < 4]
    return Article(**{**article.to_dict(), "text": "\n\n".join(kept) or " "})


def test_counting_stage_runs_on_the_cluster_with_corpus_wide_counts(client, bundle, inputs, tmp_path):
    import cloudpickle

    from stance.profiling.engine_dask import CountStage, profile_dask

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    stage = CountStage(count_paragraphs, drop_frequent)
    run = profile_dask(inputs[:3], tmp_path / "out", client=client, target_bytes=SMALL, stage=stage,
                       keep_boilerplate=True)

    def transform(articles):
        counts = count_paragraphs(articles)
        return [drop_frequent(a, counts) for a in articles]

    local, local_errors = local_run(bundle, inputs[:3], transform)
    plain, _ = local_run(bundle, inputs[:3], keep_boilerplate=True)
    assert read_parts(tmp_path / "out") == local != plain  # the counts changed the profiles, as locally
    assert run.stats.failed == len(local_errors)


def test_report_reads_a_partitioned_folder(client, bundle, inputs, tmp_path):
    from stance.profiling.engine_dask import profile_dask

    profile_dask(inputs, tmp_path / "out", client=client, target_bytes=SMALL)
    flat = tmp_path / "all.jsonl"
    flat.write_text("".join(json.dumps(p) + "\n" for p in read_parts(tmp_path / "out")), encoding="utf-8")
    from_folder = CliRunner().invoke(app, ["report", str(tmp_path / "out"), "-o", str(tmp_path / "r1")])
    from_file = CliRunner().invoke(app, ["report", str(flat), "-o", str(tmp_path / "r2")])
    assert from_folder.exit_code == 0, from_folder.output
    assert from_folder.stdout == from_file.stdout and "outlet-1" in from_folder.stdout
    bad = CliRunner().invoke(app, ["report", str(tmp_path / "r1"), "-o", str(tmp_path / "r3")])
    assert isinstance(bad.exception, ReportError) and "plan.json" in str(bad.exception)


def test_cli_starts_a_local_cluster_without_scheduler(inputs, tmp_path, monkeypatch, capsys):
    pytest.importorskip("distributed", reason=NO_DASK)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["profile", inputs[0], "--engine", "dask", "-w", "1", "-o", str(out),
                                 "--keep-boilerplate"])
    assert r.exit_code == 1, r.output  # finished, one input skipped: as the local engine
    assert "profiled 40 articles" in r.output and "1 unreadable" in r.output
    assert len(read_parts(out)) == 40 and len(read_errors(out)) == 1
    code, err = main_exit(["profile", inputs[0], "--engine", "dask", "-o", str(out), "--keep-boilerplate"],
                          monkeypatch, capsys)
    assert code == 2 and "pass --resume" in err
    no_out = CliRunner().invoke(app, ["profile", inputs[0], "--engine", "dask"])
    assert no_out.exit_code == 2 and "-o OUTDIR" in no_out.output
    one_file = CliRunner().invoke(app, ["profile", inputs[0], "--engine", "dask", "-o", str(tmp_path / "p.jsonl")])
    assert one_file.exit_code == 2 and "folder" in one_file.output and not (tmp_path / "p.jsonl").exists()


def test_a_killed_worker_loses_and_duplicates_nothing(client, bundle, inputs, tmp_path):
    """SIGKILL one worker process while it runs a partition: the scheduler reruns its tasks on the
    other worker (and the nanny's replacement); the output is complete, without duplicates."""
    from stance.profiling.engine_dask import profile_dask

    out = tmp_path / "out"
    expected, _ = local_run(bundle, inputs)
    result: dict = {}

    def run():
        try:
            result["run"] = profile_dask(inputs, out, client=client, target_bytes=800, batch_size=2)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertions below
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    pids = client.run(os.getpid)
    deadline, killed = time.monotonic() + 60, None
    while killed is None and time.monotonic() < deadline and thread.is_alive():
        busy = [addr for addr, tasks in client.processing().items() if tasks and addr in pids]
        if busy and len(part_files(out) if parts_dir(out).exists() else []) >= 2:
            killed = pids[busy[0]]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.01)
    thread.join(timeout=120)
    assert killed is not None, "the run ended before a worker could be killed"
    assert not thread.is_alive() and "error" not in result, result.get("error")
    profiles = read_parts(out)
    ids = [p["article_id"] for p in profiles]
    assert len(ids) == len(set(ids))
    assert profiles == expected
    assert result["run"].stats.profiled == len(expected)
    assert not list(parts_dir(out).glob(".*"))
    client.wait_for_workers(2, timeout=30)


def test_without_dask_the_error_says_how_to_install(inputs, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    code, err = main_exit(["profile", inputs[0], "--engine", "dask", "-o", str(tmp_path / "out")], monkeypatch, capsys)
    assert code == 2 and "pip install 'stance[dask]'" in err
    assert not (tmp_path / "out").exists()


def test_blocks_repeated_across_articles_are_dropped_on_the_cluster_as_locally(client, bundle, tmp_path):
    from stance.profiling.engine_dask import profile_dask

    box = "Sign up for our weekly briefing on research labs, chips and the people who fund them."
    bodies = ["The lab said its new model had been trained on licensed data only, a claim outside researchers "
              "could not check because the data set was never released.",
              "Engineers described a rushed launch in which safety reviews were cut short to meet a date set by "
              "the sales team rather than by the researchers.",
              "A university group rebuilt the system from the published paper and found it far less capable than "
              "the demonstration had suggested.",
              "Regulators asked the company how it tested the model before release, and it answered with a list "
              "of internal benchmarks it declined to publish."]
    corpus = tmp_path / "news.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"a{i}", "outlet": "Ledger", "text": f"{body}\n\n{box}"}) + "\n"
                              for i, body in enumerate(bodies)), encoding="utf-8")
    run = profile_dask([str(corpus)], tmp_path / "out", client=client, target_bytes=200)
    assert run.partitions > 1  # the counts must cross partitions to find the repeated box
    local, _ = local_run(bundle, [str(corpus)])
    kept, _ = local_run(bundle, [str(corpus)], keep_boilerplate=True)
    profiles = read_parts(tmp_path / "out")
    assert profiles == local
    assert [p["n_passages"] for p in profiles] == [1] * 4 and [p["n_passages"] for p in kept] == [2] * 4
