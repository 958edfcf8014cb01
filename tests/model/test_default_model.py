"""The shipped default model: fresh, usable from Python, and explaining itself."""

import json

import pytest

import stance
from stance.passage_text import default_real_coverage
from stance.paths import default_model


REBUILD = ("rebuild it with the command in models/default/MODEL_CARD.md (STANCE_WRITE_SHIPPED=1 stance train "
           "--labels shipped --labels shipped-real ...)")


@pytest.mark.data
def test_default_model_was_trained_on_the_shipped_written_and_real_labels(gold):
    meta = json.loads((default_model() / "model.json").read_text())
    sources = meta["training_data"]["sources"]
    assert sources["written"]["sha256"] == gold.sha256(), f"models/default is stale: {REBUILD}"
    assert meta["config"]["features"] == "static+lexicon" and meta["config"]["tune_on"] == "real"
    assert meta["embeddings"]["path"] == "static-minilm-256"


@pytest.mark.data
@pytest.mark.skipif(default_real_coverage() is None, reason="needs ../shared/real-coverage (the text of the real "
                    "labels is third-party and not shipped); set STANCE_REAL_COVERAGE to its folder")
def test_default_model_real_labels_are_the_shipped_ones():
    from stance.codebook import load_codebook
    from stance.sources import load_sources

    meta = json.loads((default_model() / "model.json").read_text())
    real = load_sources({"real": "shipped-real"}, load_codebook())
    assert meta["training_data"]["sources"]["real"]["sha256"] == real.sha256(), f"models/default is stale: {REBUILD}"


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
def test_default_model_report_leads_with_real_text_and_holds_honest_scores():
    report = json.loads((default_model() / "report.json").read_text())
    real = report["target_text"]
    assert real["source"] == "real"
    held = real["held_out"]
    assert held["model"]["macro_f1"] > held["lexicon_baseline"]["macro_f1"]
    lo, hi = held["model"]["macro_f1_interval"]
    assert lo < held["model"]["macro_f1"] < hi
    assert real["other_to_target"]["trained_on"]["passages"] < held["trained_on"]["passages"]
    assert {"grouped_cv", "held_out", "leave_one_writer_out"} <= set(report)
    md = (default_model() / "MODEL_CARD.md").read_text()
    assert md.index("On real text first") < md.index("Grouped 5-fold")
