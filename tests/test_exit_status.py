"""One exit-status rule for every command that reads articles (README, "Exit status"):
0 every input read and processed, 1 output written but some inputs or articles skipped (each
named), 2 nothing usable (or a bad option), 130 interrupted."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.cli.main import app

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "articles"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


def folder(tmp_path: Path, good: bool = True, bad: bool = True) -> Path:
    """A folder as a researcher's scrape leaves it: a good article, a dangling link and a PDF."""
    d = tmp_path / "in"
    d.mkdir()
    if good:
        (d / "good.md").write_text((SEEDS / "lab-exodus.md").read_text(encoding="utf-8"), encoding="utf-8")
    if bad:
        (d / "paper.pdf").write_bytes(PDF)
        os.symlink(tmp_path / "nowhere.txt", d / "gone.txt")
    return d


def run(tmp_path: Path, command: str, inputs: Path, stdin=None):
    out = tmp_path / ("profiles.jsonl" if command == "profile" else "out.jsonl")
    args = {"segment": ["segment", str(inputs), "-o", str(out)],
            "tag": ["tag", str(inputs), "-o", str(out), "--no-evidence"],
            "profile": ["profile", str(inputs), "-o", str(out), "--workers", "1"],
            "label": ["label", str(inputs), "-a", "alice", "--labels-dir", str(tmp_path / "labels"), "--plain",
                      "--no-suggest"]}[command]
    result = CliRunner().invoke(app, args, input="q\n" if stdin is None else stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result, out


def written_ids(command: str, out: Path) -> set[str]:
    if command == "label":
        return set()
    return {json.loads(line)["article_id"] for line in out.read_text(encoding="utf-8").splitlines()}


COMMANDS = ["segment", "tag", "profile", "label"]


@pytest.mark.parametrize("command", COMMANDS)
def test_good_files_and_bad_ones_exit_1_with_the_good_ones_written_and_the_bad_ones_named(tmp_path, command):
    result, out = run(tmp_path, command, folder(tmp_path))
    assert result.exit_code == 1, result.output
    stderr = result.stderr
    assert "paper.pdf" in stderr and "pdftotext" in stderr and "gone.txt" in stderr and "dangling" in stderr
    assert "Traceback" not in stderr
    if command == "label":
        assert "answered" in stderr  # the session ran on the good article
    else:
        assert written_ids(command, out) == {"good.md"}
    if command == "profile":  # the error report holds them too
        report = [json.loads(line) for line in (tmp_path / "profiles.errors.jsonl").read_text().splitlines()]
        assert {Path(r["source"]).name for r in report} == {"paper.pdf", "gone.txt"}


@pytest.mark.parametrize("command", COMMANDS)
def test_all_good_exits_0(tmp_path, command):
    result, out = run(tmp_path, command, folder(tmp_path, bad=False))
    assert result.exit_code == 0, result.output
    assert "stance: skipped" not in result.stderr and "input problem" not in result.stderr
    assert command == "label" or written_ids(command, out) == {"good.md"}


@pytest.mark.parametrize("command", COMMANDS)
def test_nothing_readable_exits_2_and_says_so(tmp_path, command):
    result, out = run(tmp_path, command, folder(tmp_path, good=False))
    assert result.exit_code == 2, result.output
    assert "paper.pdf" in result.stderr and "gone.txt" in result.stderr
    assert "no article" in result.stderr


@pytest.mark.parametrize("command", ["segment", "tag", "profile"])
def test_an_input_without_articles_is_nothing_usable(tmp_path, command):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result, _ = run(tmp_path, command, empty)
    assert result.exit_code == 2 and "no article could be" in result.stderr
    assert "the inputs hold no articles" in result.stderr


def test_profile_counts_an_article_it_could_not_profile_as_skipped(tmp_path):
    """Skipped articles, not only unreadable files: one article is only a heading."""
    corpus = tmp_path / "in.jsonl"
    good = (SEEDS / "lab-exodus.md").read_text(encoding="utf-8")
    corpus.write_text(json.dumps({"id": "good", "text": good}) + "\n"
                      + json.dumps({"id": "heading", "text": "# Only a heading"}) + "\n", encoding="utf-8")
    result, out = run(tmp_path, "profile", corpus)
    assert result.exit_code == 1 and "heading" in result.stderr
    assert written_ids("profile", out) == {"good"}


@pytest.mark.parametrize("command", ["segment", "tag"])
def test_ctrl_c_exits_130_without_a_traceback(tmp_path, command):
    """Articles keep coming on stdin; Ctrl-C once output has been written."""
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "stance", command, "-", "-o", str(out)], stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    text = (SEEDS / "lab-exodus.md").read_text(encoding="utf-8")

    def feed():
        try:
            for i in range(1_000_000):
                proc.stdin.write(json.dumps({"id": f"a{i}", "text": f"Article {i}.\n\n{text}"}) + "\n")
        except (BrokenPipeError, ValueError, OSError):
            pass  # the process stopped reading

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and (not out.exists() or out.stat().st_size == 0):
        time.sleep(0.1)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    stderr = proc.stderr.read()
    proc.wait(timeout=60)
    try:
        proc.stdin.close()
    except OSError:
        pass
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr and "Aborted" not in stderr
