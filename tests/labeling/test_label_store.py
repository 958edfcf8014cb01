"""The append-only store: durability, torn lines, validation, and state derived from events."""

from __future__ import annotations

import json
import os

import pytest
from label_helpers import answer, undo

from stance.errors import CodebookError, LabelStoreError
from stance.labeling.store import Event, current_labels, gold_labels


def frames_of(labels, annotator="alice"):
    return {pid: lab.frames for (ann, pid), lab in labels.items() if ann == annotator}


# --- files -----------------------------------------------------------------------------------

def test_append_then_read_round_trips_and_fsyncs(store, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    e1 = answer("alice", "p1", ["open_science"], article="a1")
    store.append([e1])
    assert synced, "append must fsync before returning"
    store.append([answer("alice", "p2", [])])
    events, warnings = store.read("alice")
    assert warnings == []
    assert [e.to_dict() for e in events][0] == e1.to_dict()
    assert [e.passage_id for e in events] == ["p1", "p2"]
    assert store.path("alice").read_bytes().endswith(b"\n")
    assert store.annotators() == ["alice"]


def test_torn_last_line_is_a_warning_and_the_next_append_starts_a_new_line(store):
    store.append([answer("alice", "p1", ["corporate_critical"]), answer("alice", "p2", [])])
    path = store.path("alice")
    whole = json.dumps(answer("alice", "p3", ["open_science"]).to_dict())
    with open(path, "ab") as fh:
        fh.write(whole[:37].encode())  # killed mid-write
    before = path.read_bytes()

    events, warnings = store.read("alice")
    assert [e.passage_id for e in events] == ["p1", "p2"]
    assert len(warnings) == 1 and f"{path}:3" in warnings[0] and "incomplete" in warnings[0]

    store.append([answer("alice", "p4", ["scaling_skeptic"])])
    after = path.read_bytes()
    assert after.startswith(before), "earlier bytes are never rewritten"
    assert after[len(before):len(before) + 1] == b"\n"
    events, warnings = store.read("alice")
    assert [e.passage_id for e in events] == ["p1", "p2", "p4"]
    assert len(warnings) == 1 and ":3:" in warnings[0]  # the torn line stays, still only a warning
    assert frames_of(current_labels(events))["p4"] == ["scaling_skeptic"]


def test_malformed_line_in_the_middle_is_an_error_naming_file_and_line(store):
    store.append([answer("alice", "p1", [])])
    path = store.path("alice")
    with open(path, "a") as fh:
        fh.write('{"type": "answer", "passage_id": oops}\n')
    store.append([answer("alice", "p2", [])])
    with pytest.raises(LabelStoreError, match=rf"{path.name}:2: malformed"):
        store.read("alice")


def test_frame_not_in_codebook_is_an_error_naming_file_and_line(store):
    path = store.path("alice")
    path.parent.mkdir(parents=True)
    lines = [answer("alice", "p1", []).to_dict(), answer("alice", "p2", ["open_science"]).to_dict()]
    lines[1]["frames"] = ["doom"]
    path.write_text("".join(json.dumps(d) + "\n" for d in lines))
    with pytest.raises(LabelStoreError, match=r"alice.jsonl:2: frame 'doom' is not in codebook"):
        store.read("alice")


def test_append_refuses_unknown_frames_and_bad_names(store):
    with pytest.raises(CodebookError):
        store.append([answer("alice", "p1", ["doom"])])
    assert not store.path("alice").exists()
    with pytest.raises(LabelStoreError, match="annotator name"):
        store.append([answer("../etc/x", "p1", [])])


def test_event_from_another_annotator_in_a_file_is_an_error(store):
    path = store.path("alice")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(answer("bob", "p1", []).to_dict()) + "\n")
    with pytest.raises(LabelStoreError, match="'bob' in a file named alice.jsonl"):
        store.read("alice")


# --- current_labels ----------------------------------------------------------------------------

def test_last_answer_wins_and_undo_restores_the_previous_answer():
    events = [answer("alice", "p1", ["corporate_critical"]), answer("alice", "p2", ["open_science"]),
              answer("alice", "p1", ["scaling_skeptic"])]
    assert frames_of(current_labels(events)) == {"p1": ["scaling_skeptic"], "p2": ["open_science"]}
    events.append(undo("alice"))  # withdraws p1 = scaling_skeptic: the earlier p1 answer stands again
    assert frames_of(current_labels(events)) == {"p1": ["corporate_critical"], "p2": ["open_science"]}
    events.append(undo("alice"))
    assert frames_of(current_labels(events)) == {"p1": ["corporate_critical"]}
    events += [undo("alice"), undo("alice")]  # more undos than answers: nothing left, no error
    assert frames_of(current_labels(events)) == {}
    events.append(answer("alice", "p3", []))
    assert frames_of(current_labels(events)) == {"p3": []}


def test_undo_only_touches_its_own_annotator():
    events = [answer("alice", "p1", ["open_science"]), answer("bob", "p1", []), undo("alice")]
    labels = current_labels(events)
    assert ("alice", "p1") not in labels and labels[("bob", "p1")].frames == []


def test_adjudications_are_a_lane_of_their_own():
    events = [answer("carol", "p1", ["open_science"]), answer("carol", "p1", [], source="adjudicate")]
    assert current_labels(events)[("carol", "p1")].frames == ["open_science"]
    assert current_labels(events, adjudication=True)[("carol", "p1")].frames == []
    events.append(undo("carol"))  # the ruling was the most recent answer
    assert current_labels(events, adjudication=True) == {}
    assert current_labels(events)[("carol", "p1")].frames == ["open_science"]


# --- gold_labels -------------------------------------------------------------------------------

def by_pid(gold):
    return {g.passage_id: g for g in gold}


def test_gold_adjudicated_beats_majority_beats_single_and_ties_are_reported():
    cc, os_, sk = "corporate_critical", "open_science", "scaling_skeptic"
    events = [
        answer("alice", "single", [sk]),
        # majority 2 of 3, frame order irrelevant
        answer("alice", "maj", [cc, os_]), answer("bob", "maj", [os_, cc]), answer("carol", "maj", []),
        # 1 vs 1: a tie, unresolved
        answer("alice", "tie", [cc]), answer("bob", "tie", []),
        # 1 vs 1 but adjudicated
        answer("alice", "adj", [cc]), answer("bob", "adj", [os_]), answer("dana", "adj", [cc, os_], source="adjudicate"),
        # majority overridden by adjudication
        answer("alice", "over", [sk]), answer("bob", "over", [sk]), answer("dana", "over", [], source="adjudicate"),
        # three different sets: no strict majority
        answer("alice", "three", [cc]), answer("bob", "three", [os_]), answer("carol", "three", [sk]),
    ]
    gold, unresolved = gold_labels(events)
    g = by_pid(gold)
    assert (g["single"].method, g["single"].frames, g["single"].n_annotators) == ("single", [sk], 1)
    assert (g["maj"].method, g["maj"].frames, g["maj"].n_annotators) == ("majority", [cc, os_], 3)
    assert (g["adj"].method, g["adj"].frames, g["adj"].n_annotators) == ("adjudicated", [cc, os_], 2)
    assert (g["over"].method, g["over"].frames) == ("adjudicated", [])
    assert "tie" not in g and "three" not in g
    assert {u.passage_id: u.votes for u in unresolved} == {
        "tie": {"alice": [cc], "bob": []}, "three": {"alice": [cc], "bob": [os_], "carol": [sk]}}


def test_gold_respects_undo_and_annotator_filter():
    events = [answer("alice", "p", ["open_science"]), answer("bob", "p", []), undo("bob")]
    gold, unresolved = gold_labels(events)
    assert by_pid(gold)["p"].method == "single" and unresolved == []
    events.append(answer("bob", "p", []))
    assert gold_labels(events)[1][0].passage_id == "p"  # now a 1-1 tie
    gold, unresolved = gold_labels(events, annotators=["bob"])
    assert by_pid(gold)["p"].frames == [] and unresolved == []


def test_latest_adjudication_wins():
    events = [answer("alice", "p", ["open_science"]), answer("bob", "p", []),
              answer("dana", "p", [], source="adjudicate", ts="2025-01-01T00:00:00+00:00"),
              answer("erin", "p", ["open_science"], source="adjudicate", ts="2025-02-01T00:00:00+00:00")]
    assert by_pid(gold_labels(events)[0])["p"].frames == ["open_science"]


def test_event_dict_round_trip():
    e = answer("alice", "p", ["open_science"])
    assert Event.from_dict(json.loads(json.dumps(e.to_dict()))) == e
