"""The session state machine, the screen it renders, suggestions and orderings (no terminal)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from label_helpers import answer

from stance.articles import ReadOptions, iter_articles
from stance.errors import CodebookError
from stance.codebook import parse_codebook
from stance.labeling.session import Session, codebook_help, items_from_articles, run_plain
from stance.labeling.terminal import render
from stance.labeling.store import LabelStore, current_labels
from stance.labeling.suggest import load_lexicon_suggester, order_items


class FixedSuggester:
    def __init__(self, frames):
        self.frames = frames

    def suggest(self, passage_text):
        return list(self.frames)

    def scores(self, passage_text):
        return {f: 1.0 for f in self.frames}


def new_session(store, articles, annotator="alice", **kw):
    items = items_from_articles(iter_articles([articles]))
    events, _ = store.read(annotator)
    return Session(items, store, annotator, events, **kw)


def mine(store, annotator="alice"):
    events, _ = store.read(annotator)
    return {pid: lab.frames for (a, pid), lab in current_labels(events).items() if a == annotator}


def test_same_text_is_shown_once_and_answered_for_every_passage(store, articles):
    s = new_session(store, articles)
    assert len(s.items) == 5 and sum(len(it.members) for it in s.items) == 6
    for key in ["\n", "1", "\n", "1", "3", "3", "\n"]:  # none; cc; cc (shared text)
        s.press(key)
    events, _ = store.read("alice")
    assert [e.type for e in events] == ["answer"] * 4
    shared = [e for e in events if e.text.startswith("The company said")]
    assert len(shared) == 2 and {e.article_id for e in shared} == {"a.txt", "b.txt"}
    assert all(e.frames == ["corporate_critical"] for e in shared)
    assert events[0].frames == [] and events[0].seconds is not None and events[0].suggestion_accepted is None
    assert s.progress() == (3, 5)


def test_resume_skips_answered_passages_and_skip_comes_back_next_time(store, articles):
    s = new_session(store, articles)
    s.press("0")
    s.press("s")
    third = s.current.text
    s.press("2")
    s.press("\n")
    assert s.skipped == 1 and s.answered == 2
    resumed = new_session(store, articles)
    assert resumed.current.text.startswith("Former staff")  # the skipped one, first again
    resumed.press("n")
    assert resumed.current.text.startswith("Researchers argue")
    assert third.startswith("The company said")
    assert resumed.progress() == (3, 5)


def test_undo_shows_the_passage_again_with_its_answer_preselected(store, articles):
    s = new_session(store, articles)
    s.press("0")
    first, second = s.items[0], s.items[1]
    s.press("1")
    s.press("\n")
    assert s.current is s.items[2]
    s.press("u")
    assert s.current is second and s.toggled == {"corporate_critical"} and "undone" in s.message
    assert mine(store) == {first.members[0].passage_id: []}
    s.press("1")  # untoggle: answer none instead
    s.press("\n")
    assert mine(store)[second.members[0].passage_id] == []
    assert s.current is s.items[2]


def test_undo_of_a_shared_text_withdraws_every_passage_and_works_after_resume(store, articles):
    s = new_session(store, articles)
    for key in "00":
        s.press(key)
    s.press("3")
    s.press("\n")  # the text shared by two passages
    assert len(mine(store)) == 4
    resumed = new_session(store, articles)  # quit and come back
    assert resumed.current.text.startswith("Researchers argue")
    resumed.press("u")
    assert resumed.current.text.startswith("The company said")
    assert len(mine(store)) == 2
    resumed.press("u")
    resumed.press("u")
    assert mine(store) == {} and resumed.current is resumed.items[0]
    resumed.press("u")
    assert resumed.message == "nothing to undo"


def test_undo_refuses_an_answer_outside_this_session(store, articles):
    store.append([answer("alice", "elsewhere", ["open_science"])])
    s = new_session(store, articles)
    s.press("u")
    assert "not one of these passages" in s.message and mine(store) == {"elsewhere": ["open_science"]}


def test_suggestions_are_preselected_and_acceptance_is_recorded(store, articles):
    s = new_session(store, articles, suggester=FixedSuggester(["open_science"]))
    assert s.toggled == {"open_science"}
    screen = render(s, 80, color=False)
    assert "[x] 2  Open science  (suggested)" in screen
    s.press("\n")
    s.press("1")
    s.press("\n")  # open_science + corporate_critical: not the suggestion
    s.suggester = FixedSuggester([])  # nothing suggested: nothing pre-selected, acceptance unknown
    s.press("u")
    assert s.toggled == {"corporate_critical", "open_science"} and s.suggested is None
    s.press("0")
    assert "(suggested)" not in render(s, 80, color=False)
    events, _ = store.read("alice")
    answers = [e for e in events if e.type == "answer"]
    assert [e.suggestion_accepted for e in answers] == [True, False, None]


def test_screen_shows_context_progress_counts_and_toggles(store, articles):
    s = new_session(store, articles)
    s.press("1")
    s.press("\n")
    s.press("2")
    screen = render(s, 60, color=True)
    plain = render(s, 60, color=False)
    assert "“Lab exodus at Halden” — The Ledger · passage 2/3" in plain
    assert "1/5 done" in plain
    assert "corporate_critical 1 · open_science 0 · scaling_skeptic 0 · none 0" in plain
    assert "\x1b[2m  Halden Labs lost four senior" in screen  # previous passage, dimmed
    assert "[x] 2  Open science" in plain and "[ ] 1  Corporate-critical" in plain
    assert all(len(line) <= 60 for line in plain.splitlines()[3:-6])  # wrapped to the width
    s.press("\n")
    assert "same text in 1 more passage(s)" in render(s, 80, color=False)


def test_help_lists_definitions_with_include_and_exclude(codebook):
    text = "\n".join(codebook_help(codebook, 80))
    for frame in codebook.frames:
        assert f"[{frame.hotkey}] {frame.name}" in text
    assert "+ " + codebook.frames[0].include[0][:30] in text
    assert "- " + codebook.frames[0].exclude[0][:30] in text
    examples = [e for frame in codebook.frames for e in frame.examples]
    assert examples, "the shipped codebook has examples to show"
    flat = " ".join(text.split())
    assert all(" ".join(e.split())[:40] in flat for e in examples)


def test_plain_lines(store, articles):
    s = new_session(store, articles)
    out = io.StringIO()
    run_plain(s, io.StringIO("1,3\n13\nx\ncorporate_critical open_science\ns\nq\n"), out)
    events, _ = store.read("alice")
    answers = [e.frames for e in events if e.type == "answer"]
    assert answers == [["corporate_critical", "scaling_skeptic"], ["corporate_critical", "scaling_skeptic"],
                       ["corporate_critical", "open_science"], ["corporate_critical", "open_science"]]
    assert [e.type for e in events][-1] == "skip"
    prompt = out.getvalue()
    assert "[1/5] Lab exodus at Halden 1/3" in prompt and "'x' is not a frame" in prompt
    assert "1 corporate_critical" in prompt


def test_single_label_codebook_answers_on_the_hotkey(tmp_path, articles):
    cb = parse_codebook({"name": "one", "version": "1", "multi_label": False, "frames": [
        {"key": "pro", "name": "Pro", "hotkey": "a", "definition": "for"},
        {"key": "con", "name": "Con", "hotkey": "b", "definition": "against"}]})
    store = LabelStore(tmp_path / "one", cb)
    s = new_session(store, articles)
    s.press("b")
    assert mine(store) == {s.items[0].members[0].passage_id: ["con"]}
    assert s.enter_line("a,b") is None and "one frame" in s.message


def test_seed_lexicon_orders_and_suggests(tmp_path, store, articles, codebook):
    lexicon = tmp_path / "lexicon.toml"
    lexicon.write_text('[frames.scaling_skeptic]\nterms = {"cannot plan" = 2.0, "reason" = 0.5}\n'
                       '[frames.open_science]\nterms = {"inspect" = 1.0}\n')
    sug = load_lexicon_suggester(codebook, lexicon)
    items = items_from_articles(iter_articles([articles]))
    ordered = order_items(items, "seeds", lambda it: it.text, sug)
    assert ordered[0].text.startswith("Critics reply") and ordered[1].text.startswith("Researchers argue")
    assert [it.text for it in ordered[2:]] == [it.text for it in items[:3]]  # unscored keep input order
    assert sug.suggest(ordered[0].text) == ["scaling_skeptic"]
    assert sug.suggest("They can INSPECT it.") == ["open_science"]
    assert sug.suggest("inspection") == []  # whole words only
    with pytest.raises(CodebookError, match="seed lexicon"):
        order_items(items, "seeds", lambda it: it.text, None)
    bad = tmp_path / "bad.toml"
    bad.write_text('[frames.doom]\nterms = {"x" = 1}\n')
    with pytest.raises(CodebookError, match="doom"):
        load_lexicon_suggester(codebook, bad)


def test_random_order_is_reproducible_with_a_seed(articles):
    items = items_from_articles(iter_articles([articles]))
    a = order_items(items, "random", lambda it: it.text, seed=3)
    b = order_items(items, "random", lambda it: it.text, seed=3)
    assert [it.text for it in a] == [it.text for it in b] and sorted(it.text for it in a) == sorted(it.text for it in items)


def test_passages_from_stance_segment_keep_their_ids(tmp_path, articles):
    seg = subprocess.run([sys.executable, "-m", "stance", "segment", str(articles)], capture_output=True,
                         text=True, check=True).stdout
    path = tmp_path / "passages.jsonl"
    path.write_text(seg)
    items = items_from_articles(iter_articles([path], ReadOptions(id_field="passage_id")))
    want = {json.loads(line)["passage_id"] for line in seg.splitlines()}
    assert {m.passage_id for it in items for m in it.members} == want
    assert len(items) == 5


def test_model_suggestions_and_uncertainty_order(tmp_path, articles):
    """A trained model pre-selects its predicted frames and can order passages by uncertainty."""
    import stance
    from stance.model.suggest import ModelSuggester

    model = ModelSuggester(stance.load_model())
    items = items_from_articles(iter_articles([articles]))
    ordered = order_items(items, "uncertain", lambda it: it.text, model)
    gaps = [model.uncertainty(it.text) for it in ordered]
    assert gaps == sorted(gaps) and len(ordered) == len(items)
    text = ("The company gutted its research lab and broke its promise to publish, sidelining the scientists "
            "who built its name to chase quarterly product deadlines.")
    assert "corporate_critical" in model.suggest(text)
    r = subprocess.run([sys.executable, "-m", "stance", "label", str(articles), "-a", "m", "--labels-dir",
                        str(tmp_path), "--plain", "--model", str(stance.paths.default_model()), "--order", "uncertain"],
                       input="\nq\n", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "(suggested)" in r.stderr or "Enter = 0" in r.stderr
    line = json.loads((tmp_path / "m.jsonl").read_text().splitlines()[0])
    assert line["frames"] == model.suggest(line["text"])
