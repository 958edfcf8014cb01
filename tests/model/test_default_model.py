"""The shipped default model: fresh, usable from Python, and explaining itself."""

import json

import pytest

import stance
from stance.paths import default_model


@pytest.mark.data
def test_default_model_was_trained_on_the_shipped_gold_labels(gold):
    meta = json.loads((default_model() / "model.json").read_text())
    assert meta["training_data"]["sha256"] == gold.sha256(), (
        "models/default is stale: rebuild it with STANCE_WRITE_SHIPPED=1 stance train --labels shipped "
        "--out models/default")
    assert meta["config"]["features"] == "static"
    assert meta["embeddings"]["path"] == "static-minilm-256"


def test_python_api_tags_texts_with_evidence():
    model = stance.load_model()
    texts = ["Critics said the company gutted its research lab to chase quarterly profits, sidelining the "
             "scientists who built its reputation and silencing those who objected.",
             "The conference will be held in Vienna in July, with registration opening next week."]
    first, second = model.tag(texts)
    assert "corporate_critical" in first.frames
    assert first.evidence["corporate_critical"] and all(e["weight"] > 0 for e in first.evidence["corporate_critical"])
    assert second.frames == [] and second.evidence == {}
    assert set(first.probabilities) == set(model.frames)


@pytest.mark.data
def test_default_model_report_holds_honest_scores():
    report = json.loads((default_model() / "report.json").read_text())
    assert {"grouped_cv", "held_out", "leave_one_writer_out"} <= set(report)
    cv = report["grouped_cv"]
    assert cv["model"]["macro_f1"] > cv["lexicon_baseline"]["macro_f1"] > cv["prior_baseline"]["macro_f1"]
