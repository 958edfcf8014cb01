"""Batch profiling: input order with workers, the error report, resume after a torn line, CSV/Parquet,
and the exit codes of `stance profile`."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import stance
from stance.articles import iter_articles
from stance.profiling.batch import SMALL_RUN, default_workers, profile_batch
from stance.profiling.output import ErrorReport, output_target, prepare_resume
from stance.profiling.run import profile_corpus
from stance.cli.main import app, main
from stance.errors import InputError, StanceError
from stance.paths import shipped_root

SEEDS = shipped_root() / "seeds" / "articles"


class ListWriter:
    def __init__(self):
        self.profiles = []

    def write(self, profile):
        self.profiles.append(profile)

    def flush(self):
        pass


@pytest.fixture(scope="module")
def bundle():
    return stance.load_model()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """24 articles as JSON Lines, built from the seed articles' paragraphs in different orders.
    Each has its own outlet: paragraphs repeated in 3+ articles of one outlet would be dropped
    as boilerplate, and these stand for distinct articles."""
    paragraphs = [a.text for a in iter_articles([SEEDS])]
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(24):
            text = "\n\n".join(paragraphs[(i + k) % len(paragraphs)] for k in range(1 + i % 3))
            fh.write(json.dumps({"id": f"art-{i:02d}", "text": text, "outlet": f"outlet-{i:02d}",
                                 "date": f"2025-{1 + i % 6:02d}-01"}) + "\n")
    return path


def run(args):
    result = CliRunner().invoke(app, args)
    return result


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_two_workers_keep_input_order_and_results(bundle, corpus):
    one, two = ListWriter(), ListWriter()
    profile_batch(bundle, iter_articles([corpus]), one, ErrorReport(None), workers=1, batch_size=5)
    stats = profile_batch(bundle, iter_articles([corpus]), two, ErrorReport(None), workers=2, batch_size=2)
    ids = [f"art-{i:02d}" for i in range(24)]
    assert [p.article_id for p in two.profiles] == ids
    assert stats.profiled == 24 and stats.failed == 0
    assert [p.to_dict() for p in two.profiles] == [p.to_dict() for p in one.profiles]


def test_bad_articles_go_to_the_error_report_and_the_batch_goes_on(tmp_path, corpus):
    good = corpus.read_text(encoding="utf-8").splitlines()[:3]
    bad = tmp_path / "mixed.jsonl"
    bad.write_text("\n".join([
        good[0],
        '{"id": "broken", "text": ',  # malformed JSON
        json.dumps({"id": "blank", "text": "   "}),  # the reader rejects empty text
        json.dumps({"id": "headings", "text": "# A heading\n\nShare this article"}),  # no passages
        good[1],
        json.dumps({"id": "huge", "text": "word " * 3000 + "."}),
        good[2],
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "profiles.jsonl"
    result = run(["profile", str(bad), "-o", str(out), "--workers", "1", "--max-words", "2000"])
    assert result.exit_code == 1, result.output  # finished, 4 articles skipped
    assert [r["article_id"] for r in read_jsonl(out)] == ["art-00", "art-01", "art-02"]
    errors = read_jsonl(tmp_path / "profiles.errors.jsonl")
    kinds = {(e["article_id"], e["kind"]) for e in errors}
    assert kinds == {(None, "unreadable"), ("blank", "empty"), ("headings", "no_passages"), ("huge", "too_long")}
    assert len(errors) == 4
    assert any(e["source"].endswith("mixed.jsonl:2") for e in errors)
    assert "4 articles not profiled" in result.output


def test_resume_after_a_torn_last_line_writes_no_duplicates(tmp_path, corpus):
    out = tmp_path / "profiles.jsonl"
    first = tmp_path / "first.jsonl"
    first.write_text("".join(corpus.read_text(encoding="utf-8").splitlines(keepends=True)[:10]), encoding="utf-8")
    assert run(["profile", str(first), "-o", str(out), "--workers", "1"]).exit_code == 0
    data = out.read_bytes()
    out.write_bytes(data[: len(data) - 40])  # killed mid-write: the 10th profile is torn
    state = prepare_resume(out)
    assert len(state.done) == 9 and state.repaired_bytes > 0
    out.write_bytes(data[: len(data) - 40])
    result = run(["profile", str(corpus), "-o", str(out), "--resume", "--workers", "1"])
    assert result.exit_code == 0, result.output
    ids = [r["article_id"] for r in read_jsonl(out)]  # every line parses
    assert ids == [f"art-{i:02d}" for i in range(24)]  # the torn one redone, none twice, input order
    again = run(["profile", str(corpus), "-o", str(out), "--resume", "--workers", "1"])
    assert again.exit_code == 0 and len(read_jsonl(out)) == 24


def test_resume_refuses_a_file_that_is_not_profiles(tmp_path, corpus):
    out = tmp_path / "profiles.jsonl"
    out.write_text('{"something": "else"}\n{"article_id": "a", "frames": {}}\n', encoding="utf-8")
    with pytest.raises(stance.errors.StanceError, match="not a stance profile"):
        prepare_resume(out)
    assert out.read_text(encoding="utf-8").count("\n") == 2  # left as it was


def test_csv_and_parquet_outputs(tmp_path, corpus, bundle):
    import csv

    import pyarrow.parquet as pq

    assert run(["profile", str(corpus), "-o", str(tmp_path / "p.csv"), "--workers", "1"]).exit_code == 0
    assert run(["profile", str(corpus), "-o", str(tmp_path / "p.parquet"), "--workers", "1"]).exit_code == 0
    rows = list(csv.DictReader(open(tmp_path / "p.csv", encoding="utf-8")))
    table = pq.read_table(tmp_path / "p.parquet")
    assert len(rows) == table.num_rows == 24
    for f in bundle.frames:
        for col in (f"share_{f}", f"expected_{f}", f"lo_{f}", f"hi_{f}"):
            assert col in rows[0] and col in table.column_names
    assert table.schema.field(f"share_{bundle.frames[0]}").type == "double"
    assert rows[0]["article_id"] == "art-00" and table.column("article_id")[23].as_py() == "art-23"
    assert float(rows[5][f"share_{bundle.frames[0]}"]) == table.column(f"share_{bundle.frames[0]}")[5].as_py()


def test_plots_per_article_up_to_the_limit(tmp_path, corpus):
    result = run(["profile", str(corpus), "-o", str(tmp_path / "p.jsonl"), "--plots", str(tmp_path / "plots"),
                  "--max-plots", "3", "--workers", "1"])
    assert result.exit_code == 0
    pngs = sorted((tmp_path / "plots").glob("*.png"))
    assert [p.name for p in pngs] == ["0001-art-00.png", "0002-art-01.png", "0003-art-02.png"]
    assert pngs[0].read_bytes()[:4] == b"\x89PNG"


def test_exit_codes(tmp_path, monkeypatch, corpus):
    empty = tmp_path / "empty.jsonl"
    empty.write_text(json.dumps({"id": "h", "text": "# Heading only"}) + "\n", encoding="utf-8")
    nothing = run(["profile", str(empty), "--workers", "1"])
    assert nothing.exit_code == 2 and "no article could be profiled" in nothing.output
    assert run(["profile", str(corpus), "--resume"]).exit_code == 2  # resume needs -o
    for args, code in ([str(corpus), "-o", str(tmp_path / "p.txt")], 2), ([str(corpus), "--model", str(tmp_path)], 3):
        monkeypatch.setattr(sys, "argv", ["stance", "profile", *args])
        with pytest.raises(SystemExit) as exc:
            main()
        assert exc.value.code == code
    out = tmp_path / "p.csv"
    out.write_text("x\n", encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["stance", "profile", str(corpus), "-o", str(out), "--resume"])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2 and out.read_text(encoding="utf-8") == "x\n"  # not overwritten


def test_csv_errors_name_the_record_first_line_its_id_and_empty_kind(tmp_path, corpus):
    good = read_jsonl(corpus)[0]
    table = tmp_path / "articles.csv"
    with open(table, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        w.writerow([good["id"], good["text"]])  # spans several lines (paragraphs)
        w.writerow(["no-text", ""])
    first_line_of_bad = 2 + good["text"].count("\n") + 1
    out = tmp_path / "p.jsonl"
    result = run(["profile", str(table), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 1, result.output  # the record without text was skipped
    (error,) = read_jsonl(tmp_path / "p.errors.jsonl")
    assert error["kind"] == "empty" and error["article_id"] == "no-text"
    assert error["source"] == f"{table}:{first_line_of_bad}"


def test_summary_line_counts_profiled_articles_only(tmp_path):
    bad = tmp_path / "one.jsonl"
    bad.write_text(json.dumps({"id": "h", "text": "# Heading only"}) + "\n", encoding="utf-8")
    result = run(["profile", str(bad), "--workers", "1"])
    assert "profiled 0 articles in" in result.output and "articles/s" not in result.output
    assert "1 article not profiled" in result.output


def test_profile_corpus_writes_the_file_and_its_error_report(tmp_path, corpus):
    """The library call behind `stance profile`: output format from the extension, the error
    report next to it, and a resume under another model refused before anything is written."""
    bad = tmp_path / "in.jsonl"
    bad.write_text(corpus.read_text(encoding="utf-8") + json.dumps({"id": "blank", "text": "  "}) + "\n",
                   encoding="utf-8")
    run = profile_corpus([bad], tmp_path / "p.csv", workers=1)
    assert run.output == tmp_path / "p.csv" and run.stats.profiled == 24 and run.stats.failed == 1
    with open(run.output, encoding="utf-8", newline="") as fh:
        assert [r["article_id"] for r in csv.DictReader(fh)] == [f"art-{i:02d}" for i in range(24)]
    assert json.loads(run.report.path.read_text(encoding="utf-8"))["article_id"] == "blank"
    out = tmp_path / "p.jsonl"
    out.write_text(json.dumps({"article_id": "art-00", "frames": {}, "model_id": "someone-else"}) + "\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match="someone-else") as exc:
        profile_corpus([corpus], out, resume=True, workers=1)
    assert exc.value.exit_code == 2 and out.read_text(encoding="utf-8").count("\n") == 1
    with pytest.raises(StanceError, match="needs an output file"):
        profile_corpus([corpus], "-", resume=True)


def test_output_target_reads_dash_as_stdout_and_the_format_from_the_extension(tmp_path):
    assert output_target(None) == (None, "jsonl") and output_target("-") == (None, "jsonl")
    assert output_target(tmp_path / "p.PARQUET") == (tmp_path / "p.PARQUET", "parquet")
    assert output_target(str(tmp_path / "p.ndjson"))[1] == "jsonl"
    with pytest.raises(StanceError, match="unknown output type .txt"):
        output_target(tmp_path / "p.txt")


def test_default_workers_follow_the_input_size():
    cpus = os.cpu_count() or 1
    assert default_workers(5) == 1 and default_workers(SMALL_RUN - 1) == 1
    assert default_workers(None) == cpus  # not countable: as many as there are CPUs
    assert default_workers(10_000, batch_size=128) == min(cpus, 79)
    assert default_workers(200, batch_size=128) == min(cpus, 2)


def test_ctrl_c_with_workers_says_how_to_resume_and_leaks_nothing(tmp_path):
    paragraph = ("The lab said its new model was trained on public data, and critics asked the company to "
                 "publish the weights so that outside researchers could check the claims. ")
    corpus = tmp_path / "many.jsonl"
    with open(corpus, "w", encoding="utf-8") as fh:
        for i in range(4000):
            # each article its own text: a paragraph in 3+ articles would be dropped as boilerplate
            fh.write(json.dumps({"id": f"a{i}", "text": (f"Report {i}: " + paragraph * (1 + i % 3) + "\n\n") * 3})
                     + "\n")
    out = tmp_path / "p.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "stance", "profile", str(corpus), "-o", str(out), "-w", "2",
                             "--batch-size", "16"], stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and (not out.exists() or out.stat().st_size == 0):
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "--resume" in stderr and "interrupted" in stderr
    assert "leaked" not in stderr and "Traceback" not in stderr
