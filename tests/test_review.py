"""`stance review`: out-of-fold contradictions of gold ranked (a planted wrong label comes first),
the queue listed, and the labelling screen showing gold and the model's view and saving new
answers in the reviewer's own store, never in the shipped labels."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from stance.cli.main import app
from stance.codebook import load_codebook
from stance.errors import ShippedDataError, StanceError
from stance.model.pipeline import TrainConfig
from stance.labeling.session import Session, plain_prompt, run_plain
from stance.labeling.store import Event, LabelStore, current_labels, gold_labels
from stance.labeling.terminal import render
from stance.passage_text import MissingTextError, text_sha256
from stance.passages import passage_id
from stance.paths import shipped_annotations
from stance.review import (contradictions, rank_contradictions, review_items, review_queue, score_out_of_fold,
                           write_queue)

CC, OS, SK = "corporate_critical", "open_science", "scaling_skeptic"
runner = CliRunner()

# Text written for these tests: a small corpus with one clear voice per frame and flat news.
FIRMS = ["Halden Labs", "Norvik AI", "Quillstone", "Beacon Systems", "Tarrow Compute", "Ivel Research",
         "Marlow Data", "Corvane", "Pellin Robotics", "Ostra Cloud", "Velder", "Kestrel Works"]
FRAMED = {
    CC: ["Former staff accused {f} of a power grab that gutted its research lab, putting profit over safety "
         "while executives quietly sidelined the scientists who objected.",
         "Critics say {f} broke its promises again: the layoffs were a purge of dissenting researchers, and "
         "the company declined to explain why its leadership keeps chasing hype over its own mission.",
         "{f} came under fire for secrecy and for its treatment of staff; insiders describe a culture of "
         "fear in which management buried safety concerns to hit quarterly profit targets."],
    OS: ["Researchers at {f} argue that releasing model weights and training data lets outsiders inspect, "
         "audit and reproduce results, and that open publication keeps science honest.",
         "The {f} team published its code, its datasets and its open weights so that independent labs can "
         "check the findings, and they defend open access as the backbone of shared research.",
         "Open science is worth the cost, say engineers at {f}: preprints, open-source code and shared "
         "benchmarks let students and small labs reproduce and build on the work."],
    SK: ["Sceptics warn that simply scaling up {f}'s language models hits diminishing returns: bigger "
         "models still cannot reason or plan, and the gains on benchmarks are brittle.",
         "Critics of {f} say more compute will not bring general intelligence; the models remain stochastic "
         "parrots that fail at basic reasoning once the test moves off their training data.",
         "The scaling hypothesis is running out of road, researchers told {f}: larger models plateau, "
         "hallucinate as often as before and still lack any model of the physical world."],
}
NONE = ["{f} opened a new office this spring and said it expects to hire about forty engineers for its "
        "cloud team by the end of the year.",
        "The quarterly report from {f} showed revenue of two hundred million dollars, with most of it coming "
        "from enterprise software contracts signed in Europe.",
        "{f} will hold its annual developer conference in October, with sessions on databases, mobile apps "
        "and the company's new billing service."]
PLANTED = ("Insiders say {f} staged a power grab that gutted the research lab, accusing executives of "
           "putting profit over safety and quietly purging the researchers who raised alarms.")


def _corpus():
    """(article_id, text, gold frames) rows: 36 articles of three passages; one passage planted
    with a wrong gold label (an obvious corporate_critical passage labelled none)."""
    rows = []
    kinds = [CC, OS, SK]
    for a in range(36):
        firm = FIRMS[a % len(FIRMS)]
        art = f"art-{a:02d}"
        frame = kinds[a % 3]
        rows.append((art, FRAMED[frame][(a // 3) % 3].format(f=firm), [frame]))
        rows.append((art, NONE[a % 3].format(f=firm), []))
        rows.append((art, NONE[(a + 1) % 3].format(f=FIRMS[(a + 5) % len(FIRMS)]) + f" (Briefing {a}.)", []))
    rows.append(("art-planted", PLANTED.format(f="Ostra Cloud"), []))  # the wrong label
    rows.append(("art-planted", NONE[0].format(f="Velder"), []))
    return rows


def _write_store(directory, rows, annotator="alice", by_reference=False):
    cb = load_codebook()
    store = LabelStore(directory, cb)
    events = []
    for art, text, frames in rows:
        events.append(Event("answer", passage_id(art, text), annotator, art, "" if by_reference else text,
                            frames, cb.name, cb.version, text_sha256=text_sha256(text) if by_reference else ""))
    store.append(events)
    return store


@pytest.fixture(scope="module")
def gold_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("gold") / "annotations"
    _write_store(d, _corpus())
    return d


# Three folds keep the tests quick (the command's default is five).
CONFIG = TrainConfig(features="static+lexicon", classifier="logreg", cv=3)


@pytest.fixture(scope="module")
def scores(gold_dir):
    return score_out_of_fold({"mine": str(gold_dir)}, load_codebook(), config=CONFIG)


@pytest.fixture(scope="module")
def queue(scores):
    return rank_contradictions(scores, min_confidence=0.5)


def planted_id():
    return passage_id("art-planted", PLANTED.format(f="Ostra Cloud"))


def test_contradiction_is_distance_from_gold():
    Y = np.array([[1, 0], [0, 0]])
    proba = np.array([[0.1, 0.7], [0.4, 0.2]])
    assert np.allclose(contradictions(Y, proba), [[0.9, 0.7], [0.4, 0.2]])


def test_a_planted_wrong_label_is_ranked_first(queue):
    first = queue.entries[0]
    assert first.passage_id == planted_id()
    assert (first.frame, first.direction, first.gold) == (CC, "extra", [])
    assert first.probabilities[CC] >= 0.5 and CC in first.model_frames
    assert first.method == "single" and first.n_annotators == 1
    strengths = [e.contradiction for e in queue.entries]
    assert strengths == sorted(strengths, reverse=True) and min(strengths) >= 0.5
    assert [e.rank for e in queue.entries] == list(range(1, len(queue.entries) + 1))
    assert queue.scored == len(_corpus()) and queue.sources == {"mine": {"scored": queue.scored, "over": queue.over}}


def test_cut_offs(scores, queue, gold_dir):
    top = rank_contradictions(scores, top=1, min_confidence=0.5)
    assert [e.passage_id for e in top.entries] == [planted_id()] and top.over == queue.over
    looser = rank_contradictions(scores, min_confidence=0.2)
    assert looser.over > queue.over and looser.entries[:queue.over] == queue.entries
    strict = rank_contradictions(scores, min_confidence=1.0)
    assert strict.entries == [] and strict.scored == queue.scored
    with pytest.raises(StanceError, match="min-confidence"):  # refused before any scoring
        review_queue({"mine": str(gold_dir)}, load_codebook(), min_confidence=1.5)
    with pytest.raises(StanceError, match="--top"):
        rank_contradictions(scores, top=0)


def test_list_formats(queue):
    out = io.StringIO()
    write_queue(queue, out, "csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["passage_id"] == planted_id() and rows[0]["gold"] == "none"
    assert float(rows[0]["p_corporate_critical"]) >= 0.5 and rows[0]["text"].startswith("Insiders say")
    out = io.StringIO()
    write_queue(queue, out, "table")
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:6] == ["#", "passage_id", "article_id", "source", "gold", "model"]
    assert lines[1].split()[1] == planted_id() and "CC not in gold" in lines[1]
    assert "Insiders" not in out.getvalue()  # the table carries no text
    out = io.StringIO()
    write_queue(queue, out, "jsonl")
    first = json.loads(out.getvalue().splitlines()[0])
    assert first["passage_id"] == planted_id() and set(first["probabilities"]) == {CC, OS, SK}


def test_screen_shows_gold_and_model_view_and_saves_a_new_answer(queue, tmp_path):
    cb = load_codebook()
    mine = LabelStore(tmp_path / "reviewer", cb)
    # The reviewer also labelled the passage before: a review still asks again.
    mine.append([Event("answer", planted_id(), "rita", "art-planted", "old text", [], cb.name, cb.version)])
    events, _ = mine.read("rita")
    session = Session(review_items(queue), mine, "rita", events, "review")
    assert session.current.members[0].passage_id == planted_id()
    assert session.toggled == set()  # gold (none) is pre-selected: Enter keeps it
    screen = render(session, 100, color=False)
    assert "stance review" in screen and "gold: none (single, 1 annotator(s))" in screen
    p = queue.entries[0].probabilities[CC]
    assert f"corporate_critical  {p:.2f}  <- not in gold" in screen
    assert "gold: none" in plain_prompt(session)
    out = io.StringIO()
    run_plain(session, io.StringIO("1\nu\n1\nq\n"), out)  # correct, undo, correct again, quit
    events, _ = mine.read("rita")
    assert [(e.type, e.source) for e in events] == [("answer", "label"), ("answer", "review"), ("undo", "review"),
                                                   ("answer", "review")]
    assert events[0].frames == [] and events[-1].frames == [CC]  # nothing rewritten
    assert current_labels(events)[("rita", planted_id())].frames == [CC]


def test_a_correction_in_the_gold_store_becomes_a_tie_for_adjudication(queue, tmp_path):
    """In the store that holds the gold, a review answer is a vote: against a single annotator's
    label it makes a tie, which gold leaves out until `stance adjudicate` settles it."""
    rows = _corpus()
    store = _write_store(tmp_path / "gold", rows)
    events, _ = store.read("rita")
    session = Session(review_items(queue)[:1], store, "rita", events, "review")
    run_plain(session, io.StringIO("1\n"), io.StringIO())
    gold, ties = gold_labels(store.read_all()[0])
    assert planted_id() not in {g.passage_id for g in gold}
    assert [t.votes for t in ties if t.passage_id == planted_id()] == [{"alice": [], "rita": [CC]}]


def test_review_cli_lists_and_records(gold_dir, tmp_path):
    r = runner.invoke(app, ["review", "--labels", str(gold_dir), "--list", "--min-confidence", "0.5", "--top", "3",
                            "-f", "csv", "--folds", "3"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 3 and rows[0]["passage_id"] == planted_id()
    assert "contradict their gold label with probability >= 0.5" in r.stderr
    r = runner.invoke(app, ["review", "--labels", str(gold_dir), "--top", "1", "--min-confidence", "0.5", "-a", "rita",
                            "--labels-dir", str(tmp_path / "mine"), "--plain", "--folds", "3"], input="1\n")
    assert r.exit_code == 0, r.output
    assert "[1/1]" in r.stderr and "gold: none" in r.stderr
    events, _ = LabelStore(tmp_path / "mine", load_codebook()).read("rita")
    assert [(e.passage_id, e.frames, e.source) for e in events] == [(planted_id(), [CC], "review")]


def test_review_needs_a_name_unless_listing(gold_dir):
    r = runner.invoke(app, ["review", "--labels", str(gold_dir), "--plain"])
    assert r.exit_code == 2 and "--annotator" in r.output


def test_review_never_writes_into_the_shipped_labels(gold_dir):
    before = {p.name: p.stat().st_size for p in shipped_annotations().glob("*.jsonl")}
    r = runner.invoke(app, ["review", "--labels", str(gold_dir), "-a", "rita", "--labels-dir", "shipped", "--plain"],
                      input="1\n")
    assert isinstance(r.exception, ShippedDataError) and "shipped data" in str(r.exception)
    assert {p.name: p.stat().st_size for p in shipped_annotations().glob("*.jsonl")} == before
    assert not (shipped_annotations() / "rita.jsonl").exists()


def test_labels_by_reference_need_their_text(tmp_path):
    """Real labels keep ids and hashes; without the articles the review says how to point at them."""
    d = tmp_path / "refs"
    store = _write_store(d, _corpus()[:6], by_reference=True)
    for e in store.read("alice")[0]:
        assert e.text == ""
    r = runner.invoke(app, ["review", "--labels", str(d), "--list", "--texts", str(tmp_path / "missing.jsonl")])
    assert isinstance(r.exception, MissingTextError) and "--texts" in str(r.exception)
