"""train -> tag -> evaluate through the real command line."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds" / "articles"


def stance(*args, cwd=None, check=True):
    r = subprocess.run([sys.executable, "-m", "stance", *map(str, args)], capture_output=True, text=True, cwd=cwd)
    if check:
        assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def trained(tmp_path_factory, small, gold):
    """A label store made with `stance import` from a quarter of the gold corpus, and a model trained on it."""
    work = tmp_path_factory.mktemp("work")
    rows = [{"passage_id": p, "article_id": a, "text": t, "frames": [f for f, y in zip(small.frames, ys) if y]}
            for p, a, t, ys in zip(small.passage_ids, small.article_ids, small.texts, small.Y)]
    (work / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    stance("import", work / "labels.jsonl", "--annotator", "me", "--labels-dir", work / "annotations")
    r = stance("train", "--labels", work / "annotations", "--out", work / "models" / "mine", "--seed", "1")
    assert "grouped_cv: macro-F1" in r.stderr
    # Unseen passages for evaluation: gold passages of articles the small set does not have.
    held = [i for i, a in enumerate(gold.article_ids) if a not in set(small.article_ids)][:300]
    with open(work / "heldout.csv", "w") as fh:
        import csv
        w = csv.writer(fh)
        w.writerow(["article_id", "text", *gold.frames])
        for i in held:
            w.writerow([gold.article_ids[i], gold.texts[i], *gold.Y[i]])
    return work


def test_train_writes_a_complete_bundle(trained):
    out = trained / "models" / "mine"
    for name in ("model.skops", "model.json", "MODEL_CARD.md", "report.json", "report.md",
                 "plots/precision_recall.png", "plots/reliability.png", "plots/cooccurrence.png"):
        assert (out / name).exists(), name
    meta = json.loads((out / "model.json").read_text())
    assert meta["config"]["seed"] == 1 and meta["training_data"]["counts"]["passages"] > 300
    assert (out / "plots" / "reliability.png").read_bytes()[:4] == b"\x89PNG"
    card = (out / "MODEL_CARD.md").read_text()
    assert "Trained on your own labels" in card and "written for this project" not in card
    assert meta["training_data"]["shipped_gold"] is False


def test_model_warnings_for_few_labels_and_losing_to_the_lexicon():
    from stance.model.card import model_warnings
    frames, counts = ["a", "b"], {"passages": 31, "a": 12, "b": 40, "none": 5}
    cv = {"grouped_cv": {"model": {"macro_f1": 0.21}, "lexicon_baseline": {"macro_f1": 0.30}}}
    few, loses = model_warnings(frames, counts, cv)
    assert "only 31 labelled passages" in few and "a 12" in few and "b 40" not in few
    assert "no better than the seed-lexicon baseline" in loses and "0.21 vs 0.30" in loses
    counts = {"passages": 900, "a": 300, "b": 200, "none": 400}
    good = {"grouped_cv": {"model": {"macro_f1": 0.6}, "lexicon_baseline": {"macro_f1": 0.2}}}
    assert model_warnings(frames, counts, good) == []
    assert "not evaluated" in model_warnings(frames, counts, {})[0]


def test_training_is_deterministic(trained, tmp_path):
    stance("train", "--labels", trained / "annotations", "--out", tmp_path / "again", "--seed", "1", "--no-evaluate")
    from stance.model.bundle import load_bundle

    a, b = load_bundle(trained / "models" / "mine"), load_bundle(tmp_path / "again")
    assert list(a.thresholds) == list(b.thresholds)
    texts = [line for line in (SEEDS / "benchmark-season.txt").read_text().split("\n\n") if line.strip()]
    assert (a.predict_proba(texts) == b.predict_proba(texts)).all()


def test_tag_jsonl_and_table(trained):
    model = trained / "models" / "mine"
    r = stance("tag", SEEDS, "--model", model)
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) > 20 and {"passage_id", "frames", "probabilities", "evidence"} <= set(rows[0])
    assert any(row["frames"] for row in rows)
    for row in rows:
        assert set(row["evidence"]) == set(row["frames"])
    table = stance("tag", SEEDS / "benchmark-season.txt", "--model", model, "--format", "table").stdout
    assert "benchmark-season.txt #0" in table


def test_evaluate_on_unseen_labels(trained):
    r = stance("evaluate", trained / "heldout.csv", "--model", trained / "models" / "mine", "-o", trained / "eval")
    assert "On 300 labelled passages" in r.stdout and "| frame | precision | recall |" in r.stdout
    assert not re.search(r"\d\.\d{5,}", r.stdout)  # readable numbers, not 16-digit floats
    for name in ("report.md", "report.json", "precision_recall.png"):  # what --help promises
        assert (trained / "eval" / name).exists()
    assert (trained / "eval" / "report.md").read_text() == r.stdout
    report = json.loads(stance("evaluate", trained / "heldout.csv", "--model", trained / "models" / "mine",
                               "--json").stdout)
    assert report["n"] == 300 and 0 < report["macro_f1"] <= 1
    assert all(len(repr(v).split(".")[-1]) <= 4 for v in report["per_frame"][report_frame(report)].values()
               if isinstance(v, float))


def report_frame(report):
    return next(iter(report["per_frame"]))


def test_evaluate_refuses_training_passages(trained):
    r = stance("evaluate", trained / "annotations", "--model", trained / "models" / "mine", check=False)
    assert r.returncode != 0 and "was used to train" in r.stderr


def test_tampered_model_is_a_one_line_error(trained, tmp_path):
    import shutil
    bad = tmp_path / "bad"
    shutil.copytree(trained / "models" / "mine", bad)
    with open(bad / "model.skops", "ab") as fh:
        fh.write(b"x")
    r = stance("tag", SEEDS, "--model", bad, check=False)
    assert r.returncode == 3
    assert r.stderr.strip().count("\n") == 0 and "does not match model.json" in r.stderr
