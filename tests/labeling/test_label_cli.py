"""The labelling commands end to end: label --plain, labels stats, agreement, adjudicate, export
(all four formats, read back) and import."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from stance.cli.main import app
from stance.errors import InputError
from stance.labeling.export import hash_split
from stance.labeling.store import LabelStore, current_labels, gold_labels
from stance.passages import passage_id

runner = CliRunner()
CC, OS, SK = "corporate_critical", "open_science", "scaling_skeptic"


def run(*args, input=None):
    result = runner.invoke(app, [str(a) for a in args], input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def label(articles, annotator, labels_dir, keys):
    """`stance label --plain` with one answer per line (no lexicon, so nothing is pre-selected)."""
    return run("label", articles, "-a", annotator, "--labels-dir", labels_dir, "--plain", "--no-suggest", input=keys)


@pytest.fixture
def two_annotators(articles, store):
    """alice and bob label the five items; they differ on items 2 and 4 (item 3 is shared text)."""
    d = store.directory
    assert label(articles, "alice", d, "1\n0\n1\n2\n3\n").exit_code == 0
    assert label(articles, "bob", d, "1\n2\n1\n23\n3\n").exit_code == 0
    return store


def test_label_plain_writes_answers_and_resumes(articles, store):
    d = store.directory
    first = label(articles, "alice", d, "1,3\ns\nq\n")
    assert first.exit_code == 0 and first.stdout == ""  # the session talks on stderr only
    assert "[1/5] Lab exodus at Halden 1/3" in first.stderr
    assert "1 answered, 1 skipped" in first.stderr and "4 to go" in first.stderr
    second = label(articles, "alice", d, "0\n")
    assert "[2/5] Lab exodus at Halden 2/3" in second.stderr  # the skipped passage, not the answered one
    events, _ = store.read("alice")
    assert [(e.type, e.frames) for e in events] == [("answer", [CC, SK]), ("skip", []), ("answer", [])]


def test_label_reports_a_torn_last_line_and_carries_on(articles, store):
    d = store.directory
    label(articles, "alice", d, "0\n")
    with open(store.path("alice"), "ab") as fh:
        fh.write(b'{"type": "answer", "passage_id": "abc')
    result = label(articles, "alice", d, "1\n")
    assert f"warning: {store.path('alice')}:2: incomplete line" in result.stderr
    events, warnings = store.read("alice")
    assert len(events) == 2 and events[1].frames == [CC] and len(warnings) == 1


def test_stats(two_annotators):
    out = run("labels", "stats", "--labels-dir", two_annotators.directory).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["annotator", "passages", "none", "skipped", "imported", "adjudicated"]
    assert lines[1].split() == ["alice", "6", "1", "0", "0", "0"]
    assert lines[2].split() == ["bob", "6", "0", "0", "0", "0"]
    assert lines[5].split() == ["annotator", CC, OS, SK]
    assert lines[6].split() == ["alice", "3", "1", "1"] and lines[7].split() == ["bob", "3", "2", "2"]
    assert max(map(len, lines)) <= 80
    assert "6 distinct passages labelled; 6 by two or more annotators." in out
    matrix = {line.split()[0]: line.split()[1:] for line in lines[-3:]}
    assert matrix[OS] == ["0", "3", "1"]  # open_science 3 times, once with scaling_skeptic


def test_stats_counts_a_skip_only_until_the_passage_is_answered(articles, store):
    d = store.directory
    label(articles, "alice", d, "s\ns\nq\n")  # skip the first two passages
    label(articles, "alice", d, "1\nq\n")  # the first skipped one comes back and is answered
    out = run("labels", "stats", "--labels-dir", d).stdout
    assert out.splitlines()[1].split() == ["alice", "1", "0", "1", "0", "0"]


def test_agreement_table_fits_80_columns_with_many_annotators(articles, store):
    d = store.directory
    for name in ("alice", "bob", "carol", "dmitri", "eleanor", "francesca"):
        label(articles, name, d, "1\n0\n1\n2\n3\n")
    text = run("agreement", "--labels-dir", d, "--disagreements").stdout
    assert max(map(len, text.splitlines())) <= 80
    assert "eleanor/francesca 1.000" in text.replace("\n    ", " ")


def test_agreement_table_json_and_disagreements(two_annotators):
    d = two_annotators.directory
    text = run("agreement", "--labels-dir", d, "--disagreements").stdout
    assert "Agreement over 6 passages" in text
    row = next(line for line in text.splitlines() if line.startswith(CC))
    assert row.split()[1:4] == ["6", "100.0%", "1.000"]  # both chose cc on the same 3 of 6 passages
    sk_row = next(line for line in text.splitlines() if line.startswith(SK))
    assert sk_row.split()[1:3] == ["6", "83.3%"]  # they differ on one passage of six
    doc = json.loads(run("agreement", "--labels-dir", d, "--json", "--disagreements").stdout)
    rows = {r["frame"]: r for r in doc["frames"]}
    # open_science: alice on item 4 only, bob on items 2 and 4: they differ on one passage of six.
    # Hand-computed alpha: values per passage (alice, bob): 4 x (0,0), (0,1), (1,1).
    # o00 = 8, o11 = 2, o01 = o10 = 1; n0 = 9, n1 = 3, n = 12; D_o = 2; D_e = (144-81-9)/11 = 54/11.
    assert rows[OS]["n"] == 6 and rows[OS]["percent"] == pytest.approx(5 / 6)
    assert rows[OS]["alpha"] == pytest.approx(1 - 2 * 11 / 54)
    # kappa: p_o = 5/6; alice yes 1/6, bob yes 2/6: p_e = 1/6*2/6 + 5/6*4/6 = 22/36; (5/6-22/36)/(14/36) = 4/7
    assert rows[OS]["kappas"][0]["kappa"] == pytest.approx(4 / 7)
    assert rows[OS]["kappas"][0]["n"] == 6
    assert {tuple(sorted(x["votes"]["bob"])) for x in doc["disagreements"]} == {(OS,), (OS, SK)}
    assert "Disagreements (2):" in text and "    bob: open_science" in text


def test_agreement_needs_two_annotators(articles, store):
    label(articles, "alice", store.directory, "1\n")
    result = run("agreement", "--labels-dir", store.directory)
    assert result.exit_code == 1 and "two or more annotators" in result.stderr


def test_adjudicate_decides_disagreements_and_they_become_gold(two_annotators, articles):
    d = two_annotators.directory
    first = run("adjudicate", "-a", "carol", "--labels-dir", d, "--plain", input="2\nq\n")
    assert "annotators: alice: none · bob: open_science" in first.stderr
    second = run("adjudicate", articles, "-a", "carol", "--labels-dir", d, "--plain", input="\n")
    assert "alice: open_science · bob: open_science,scaling_skeptic" in second.stderr
    assert "Open weights, open questions 1/3" in second.stderr  # context from the articles given
    assert "[Enter = 2 (pre-selected)]" in second.stderr  # the frame both chose
    assert "alice: none" not in second.stderr  # the decided one is not shown again
    third = run("adjudicate", "-a", "carol", "--labels-dir", d, "--plain")
    assert "all 2 disagreements" in third.stderr and "are adjudicated" in third.stderr
    events, _ = two_annotators.read_all()
    assert {e.source for e in events if e.annotator == "carol"} == {"adjudicate"}
    gold, unresolved = gold_labels(events)
    methods = sorted(g.method for g in gold)
    assert unresolved == [] and methods == ["adjudicated"] * 2 + ["majority"] * 4
    assert sorted(g.frames for g in gold if g.method == "adjudicated") == [[OS], [OS]]


def export_rows(store, fmt, tmp_path, *extra):
    out = tmp_path / ("gold" if fmt == "hf" else f"gold.{fmt}")
    result = run("export", "--format", fmt, "-o", out, "--labels-dir", store.directory, *extra)
    assert result.exit_code == 0, result.stderr
    return out, result


@pytest.fixture
def gold_store(two_annotators):
    d = two_annotators.directory
    run("adjudicate", "-a", "carol", "--labels-dir", d, "--plain", input="2\n")  # one tie left
    return two_annotators


def expected_rows(store):
    gold, unresolved = gold_labels(store.read_all()[0])
    assert len(unresolved) == 1
    return {g.passage_id: g for g in gold}


def check_rows(rows, expected):
    assert {r["passage_id"] for r in rows} == set(expected)
    for r in rows:
        g = expected[r["passage_id"]]
        assert (r["article_id"], r["text"], list(r["frames"]), r["method"]) == (g.article_id, g.text, g.frames, g.method)
        assert [int(r[k]) for k in (CC, OS, SK)] == [int(k in g.frames) for k in (CC, OS, SK)]
        assert r["split"] == hash_split(g.article_id)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_flat_formats_round_trip(gold_store, tmp_path, fmt):
    out, result = export_rows(gold_store, fmt, tmp_path)
    assert "exported 5 gold labels" in result.stderr and "left out 1 tied" in result.stderr
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    elif fmt == "csv":
        with open(out, newline="") as fh:
            rows = [{**r, "frames": [f for f in r["frames"].split(";") if f]} for r in csv.DictReader(fh)]
    else:
        import pyarrow.parquet as pq
        rows = pq.read_table(out).to_pylist()
    check_rows(rows, expected_rows(gold_store))


def test_export_hf_loads_with_class_labels_and_a_card(gold_store, tmp_path, codebook):
    from datasets import load_from_disk

    splits = tmp_path / "splits.csv"
    splits.write_text("article_id,split\na.txt,train\nb.txt,test\n")
    out, _ = export_rows(gold_store, "hf", tmp_path, "--splits", splits)
    ds = load_from_disk(str(out))
    assert set(ds) == {"train", "test"}
    assert ds["train"].features["frames"].feature.names == codebook.frame_keys
    expected = expected_rows(gold_store)
    for split, article in (("train", "a.txt"), ("test", "b.txt")):
        part = ds[split]
        assert set(part["article_id"]) == {article}
        for r in part:
            g = expected[r["passage_id"]]
            assert [codebook.frame_keys[i] for i in r["frames"]] == g.frames and r["method"] == g.method
    card = (out / "README.md").read_text()
    assert f"{codebook.name} {codebook.version}" in card
    assert "| train | 3 |" in card and "| all | 5 |" in card
    assert "Krippendorff" in card and "| open_science | 6 |" in card
    # exporting again into the same folder works; into a foreign folder does not
    export_rows(gold_store, "hf", tmp_path, "--splits", splits)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not an exported dataset"):
        run("export", "--format", "hf", "-o", tmp_path / "other", "--labels-dir", gold_store.directory)


def test_export_splits_file_json_and_missing_article(gold_store, tmp_path):
    splits = tmp_path / "splits.json"
    splits.write_text(json.dumps({"a.txt": "test", "b.txt": "train"}))
    out, _ = export_rows(gold_store, "jsonl", tmp_path, "--splits", splits)
    assert {(json.loads(x)["article_id"], json.loads(x)["split"]) for x in out.read_text().splitlines()} == {
        ("a.txt", "test"), ("b.txt", "train")}
    splits.write_text(json.dumps({"a.txt": "test"}))
    with pytest.raises(InputError, match="1 labelled article.*'b.txt'"):
        run("export", "-o", tmp_path / "x.jsonl", "--labels-dir", gold_store.directory, "--splits", splits)


def test_hash_split_is_deterministic_and_about_a_fifth():
    ids = [f"article-{i}" for i in range(2000)]
    tests = sum(hash_split(a) == "test" for a in ids)
    assert 300 < tests < 500 and [hash_split(a) for a in ids] == [hash_split(a) for a in ids]


def test_import_csv_with_frame_lists_and_with_0_1_columns(tmp_path, store):
    lists = tmp_path / "labels.csv"
    lists.write_text("index,text,frames,article_id,notes\n"
                     "0,First passage about labs.,corporate_critical;open_science,art1,x\n"
                     "1,Second passage.,open_science|scaling_skeptic,,\n"
                     "2,Third passage.,,art1,\n")
    result = run("import", lists, "-a", "old", "--labels-dir", store.directory)
    assert result.exit_code == 0 and "imported 3 label(s)" in result.stderr
    events, _ = store.read("old")
    assert {e.source for e in events} == {"import"}
    by_text = {e.text: e for e in events}
    assert by_text["First passage about labs."].frames == [CC, OS]
    assert by_text["First passage about labs."].passage_id == passage_id("art1", "First passage about labs.")
    assert by_text["Second passage."].frames == [OS, SK]
    assert by_text["Second passage."].article_id.startswith("sha1-")  # content hash when absent
    assert by_text["Third passage."].frames == []

    flags = tmp_path / "flags.csv"
    flags.write_text("text,passage_id,corporate_critical,open_science,scaling_skeptic\n"
                     "Fourth.,p4,1,0,1\nFifth.,p5,0,0,0\n")
    run("import", flags, "-a", "old2", "--labels-dir", store.directory)
    assert {e.passage_id: e.frames for e in store.read("old2")[0]} == {"p4": [CC, SK], "p5": []}
    again = run("import", flags, "-a", "old2", "--labels-dir", store.directory)
    assert "imported 0 label(s)" in again.stderr and "2 already there" in again.stderr


def test_import_jsonl_and_unknown_frame_writes_nothing(tmp_path, store):
    good = tmp_path / "l.jsonl"
    good.write_text(json.dumps({"body": "A.", "tags": ["open_science"]}) + "\n")
    run("import", good, "-a", "x", "--labels-dir", store.directory, "--text-field", "body", "--frames-field", "tags")
    assert store.read("x")[0][0].frames == [OS]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "A.", "frames": []}) + "\n" + json.dumps({"text": "B.", "frames": ["doom"]}) + "\n")
    with pytest.raises(InputError, match=rf"{bad}:2: frame 'doom' is not in codebook"):
        run("import", bad, "-a", "y", "--labels-dir", store.directory)
    assert not store.path("y").exists()


def test_export_then_import_round_trips(gold_store, tmp_path, store):
    out, _ = export_rows(gold_store, "jsonl", tmp_path)
    run("import", out, "-a", "gold", "--labels-dir", tmp_path / "again")
    again = LabelStore(tmp_path / "again", store.codebook)
    imported = {pid: lab.frames for (_, pid), lab in current_labels(again.read("gold")[0]).items()}
    assert imported == {pid: g.frames for pid, g in expected_rows(gold_store).items()}


def test_errors_reach_the_user_as_one_line_with_an_exit_code(tmp_path, store):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,frames\nA.,doom\n")
    run_ = subprocess.run([sys.executable, "-m", "stance", "import", str(bad), "-a", "z",
                           "--labels-dir", str(store.directory)], capture_output=True, text=True)
    assert run_.returncode == 2
    assert run_.stderr.strip() == (f"stance: error: {bad}:2: frame 'doom' is not in codebook 'tech-framing' "
                                   "(frames: corporate_critical, open_science, scaling_skeptic); "
                                   "pass --codebook or fix the file")
