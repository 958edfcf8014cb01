"""The real terminal path: `python -m stance label` in a pseudo-terminal, keys in, screen out,
lines on disk; a session killed with SIGKILL loses nothing and resumes at the next passage."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pexpect
import pytest

from stance.labeling.store import current_labels

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


def spawn(articles, labels_dir, annotator="alice", shell_suffix=""):
    cmd = f"{sys.executable} -m stance label {articles} --annotator {annotator} --labels-dir {labels_dir} --no-suggest"
    child = pexpect.spawn("/bin/bash", ["-c", cmd + shell_suffix], encoding="utf-8", timeout=15,
                          dimensions=(40, 100), env={**os.environ, "TERM": "xterm"})
    return child


def screen(child, *texts):
    """Wait until a redrawn screen shows each text, in order, ending with the key line."""
    for text in texts:
        child.expect_exact(text)
    child.expect_exact("q quit")


def answers(store, annotator="alice"):
    events, _ = store.read(annotator)
    return events, {lab.text[:20]: lab.frames for (a, _), lab in current_labels(events).items() if a == annotator}


def test_keys_in_screen_out_lines_on_disk(articles, store):
    child = spawn(articles, store.directory)
    screen(child, "stance label", "0/5 done", "“Lab exodus at Halden” — The Ledger · passage 1/3",
           "Halden Labs lost four senior", "[ ] 1  Corporate-critical")
    child.send("1")
    screen(child, "[x] 1  Corporate-critical")
    child.send("\r")
    screen(child, "1/5 done", "corporate_critical 1", "passage 2/3", "Halden Labs lost", "Former staff say")
    events, labels = answers(store)
    assert labels == {"Halden Labs lost fou": ["corporate_critical"]}

    child.send("0")
    screen(child, "passage 3/3", "same text in 1 more passage(s)")
    child.send("u")
    screen(child, "passage 2/3", "Former staff say", "undone: answer again")
    assert len(answers(store)[1]) == 1
    child.send("2")
    screen(child, "[x] 2  Open science")
    child.send("\r")
    screen(child, "passage 3/3")
    child.send("?")
    child.expect_exact("Codebook tech-framing")
    child.expect_exact("any key")
    child.send("q")  # back from the codebook to the passage
    screen(child, "passage 3/3")
    child.send("s")
    screen(child, "Open weights, open questions", "Researchers argue")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "2 answered, 1 skipped, 1 undone this session; 2 of 5 done" in child.before

    events, labels = answers(store)
    assert [e.type for e in events] == ["answer", "answer", "undo", "answer", "skip", "skip"]
    assert labels == {"Halden Labs lost fou": ["corporate_critical"], "Former staff say the": ["open_science"]}


@pytest.mark.parametrize("leave", ["q", "\x03"])
def test_terminal_is_restored_on_quit_and_on_ctrl_c(articles, store, leave):
    child = spawn(articles, store.directory, shell_suffix="; stty -a")
    screen(child, "passage 1/3")
    child.send(leave)
    child.expect(pexpect.EOF)
    out = child.before
    assert "\x1b[?1049l" in out  # left the alternate screen
    stty = out[out.rfind("speed"):]
    assert re.search(r"(?<!-)\bicanon\b", stty) and re.search(r"(?<!-)\becho\b", stty), stty


def test_sigkill_between_answers_loses_nothing_and_resume_shows_the_next_passage(articles, store):
    child = spawn(articles, store.directory)
    screen(child, "passage 1/3")
    child.send("0")
    screen(child, "passage 2/3")
    child.send("1")
    screen(child, "[x] 1")
    child.send("\r")
    screen(child, "passage 3/3", "The company said")
    child.kill(signal.SIGKILL)
    child.close()

    events, labels = answers(store)
    assert labels == {"Halden Labs lost fou": [], "Former staff say the": ["corporate_critical"]}
    assert store.read("alice")[1] == []  # no torn line either

    child = spawn(articles, store.directory)
    screen(child, "2/5 done", "passage 3/3", "The company said the reorganisation")
    child.send("q")
    child.expect(pexpect.EOF)


def test_without_a_tty_it_says_so_and_fails(articles, store):
    run = subprocess.run([sys.executable, "-m", "stance", "label", str(articles), "-a", "alice",
                          "--labels-dir", str(store.directory)], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True)
    assert run.returncode != 0
    assert "not a terminal" in run.stderr and "--plain" in run.stderr
    assert not store.path("alice").exists()
