"""`stance adapt`: a bundle moved onto one corpus, recorded in model.json, refused on other inputs."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stance.errors import ModelError, ShippedDataError
from stance.model.adapt import CorpusError, adapt_bundle, check_corpus, corpus_identity, corpus_passages
from stance.model.bundle import load_bundle
from stance.passage_text import default_real_coverage

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds" / "articles"  # written for the project


def stance(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "stance", *map(str, args)], capture_output=True, text=True,
                          input=stdin)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The sample articles, and the same articles as one JSON Lines file in another order."""
    folder = tmp_path_factory.mktemp("corpus")
    shutil.copytree(SEEDS, folder / "articles")
    return folder / "articles"


@pytest.fixture(scope="module")
def adapted(small_bundle, corpus, tmp_path_factory):
    return adapt_bundle(small_bundle, [str(corpus)], tmp_path_factory.mktemp("adapted") / "mine-adapted")


def test_training_records_the_mean_feature_row(small_bundle, small):
    mean = small_bundle.feature_mean
    assert mean["n"] == len(small) and mean["of"] == "the training passages"
    expected = small_bundle.features(small.texts).mean(axis=0)
    assert np.allclose(mean["values"], expected, atol=1e-6)


def test_adapted_corpus_has_the_training_mean(small_bundle, adapted, corpus):
    passages, _ = corpus_passages([str(corpus)])
    texts = [p.text for p in passages]
    before = small_bundle.features(texts).mean(axis=0)
    after = adapted.pipeline[:-1].transform(texts).mean(axis=0)  # features, then the corpus shift
    reference = np.asarray(small_bundle.feature_mean["values"])
    assert np.linalg.norm(before - reference) > 0.01  # there was something to move
    assert np.allclose(after, reference, atol=1e-5)
    assert adapted.adaptation["shift_norm"] == pytest.approx(np.linalg.norm(reference - before), rel=1e-3)
    # probabilities change, and evidence is computed through the shift as tagging is
    assert not np.allclose(adapted.predict_proba(texts), small_bundle.predict_proba(texts))
    assert np.allclose(adapted.classify_features(adapted.features(texts)), adapted.predict_proba(texts))


def test_model_json_and_card_record_the_adaptation(small_bundle, adapted, corpus):
    meta = json.loads((adapted.path / "model.json").read_text())
    a = meta["adaptation"]
    passages, identity = corpus_passages([str(corpus)])
    assert a["method"] == "mean-shift"
    assert a["corpus"]["sha256"] == identity.sha256 and a["corpus"]["articles"] == identity.articles == 5
    assert a["corpus"]["passages"] == len(passages)
    assert a["base"]["model_sha256"] == small_bundle.model_sha256 != meta["model_sha256"]
    assert meta["training_data"]["sha256"] == small_bundle.training.sha256  # what it learned from is unchanged
    reloaded = load_bundle(adapted.path)
    assert reloaded.adaptation == a and "adapt" in reloaded.pipeline.named_steps
    card = (adapted.path / "MODEL_CARD.md").read_text()
    assert "## Adaptation" in card and identity.sha256[:16] in card and "## Intended use" not in card[:200]


def test_corpus_identity_is_the_articles_not_their_layout(corpus, tmp_path):
    from stance.articles import iter_articles

    articles = list(iter_articles([str(corpus)]))
    records = [{"id": a.id, "text": a.text} for a in reversed(articles)]
    same = tmp_path / "same.jsonl"
    same.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert corpus_identity([str(same)]) == corpus_identity([str(corpus)])
    records[0]["text"] += " One more sentence of our own."
    changed = tmp_path / "changed.jsonl"
    changed.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert corpus_identity([str(changed)]).sha256 != corpus_identity([str(corpus)]).sha256


def test_other_inputs_are_refused_unless_forced(adapted, corpus, small_bundle):
    assert check_corpus(adapted, [str(corpus)]) is None
    assert check_corpus(small_bundle, [str(corpus / "lab-exodus.md")]) is None  # not adapted: no check
    part = [str(corpus / "lab-exodus.md")]
    with pytest.raises(CorpusError, match="adapted to a corpus of 5 articles.*these inputs are 1 articles.*--force"):
        check_corpus(adapted, part)
    assert "--force" in check_corpus(adapted, part, force=True)
    assert check_corpus(str(adapted.path), [str(corpus)]) is None  # by folder, without loading it
    with pytest.raises(CorpusError, match="standard input"):
        check_corpus(adapted, ["-"])


def test_cli_adapt_then_tag_and_profile_check_the_corpus(corpus, tmp_path):
    out = tmp_path / "adapted"
    r = stance("adapt", corpus, "-o", out)
    assert r.returncode == 0, r.stderr
    assert "adapted to 5 articles" in r.stderr
    r = stance("tag", corpus, "--model", out, "-o", tmp_path / "tags.jsonl")
    assert r.returncode == 0, r.stderr
    assert len((tmp_path / "tags.jsonl").read_text().splitlines()) == json.loads(
        (out / "model.json").read_text())["adaptation"]["corpus"]["passages"]
    r = stance("profile", corpus / "lab-exodus.md", "--model", out, "-o", tmp_path / "p.jsonl")
    assert r.returncode != 0 and not (tmp_path / "p.jsonl").exists()
    assert len(r.stderr.strip().splitlines()) == 1 and "was adapted to a corpus of 5 articles" in r.stderr


def test_output_folder_is_never_shipped_data_or_an_existing_bundle(small_bundle, adapted, corpus, tmp_path):
    with pytest.raises(ShippedDataError):
        adapt_bundle(small_bundle, [str(corpus)], ROOT / "models" / "adapted")
    assert not (ROOT / "models" / "adapted").exists()
    with pytest.raises(ModelError, match="already a model bundle.*--force"):
        adapt_bundle(small_bundle, [str(corpus)], adapted.path)
    with pytest.raises(ModelError, match="model being adapted"):
        adapt_bundle(small_bundle, [str(corpus)], small_bundle.path, force=True)
    with pytest.raises(ModelError, match="already adapted"):
        adapt_bundle(adapted, [str(corpus)], tmp_path / "twice")
    copy = tmp_path / "copy"
    shutil.copytree(adapted.path, copy)
    (copy / "stale.txt").write_text("left from before")
    again = adapt_bundle(small_bundle, [str(corpus)], copy, force=True)
    assert again.adaptation["corpus"] == adapted.adaptation["corpus"] and not (copy / "stale.txt").exists()


def test_bad_corpus_is_one_line_and_writes_nothing(small_bundle, corpus, tmp_path):
    from stance.errors import InputError

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "Fine words here about a lab and its model release."}\n{"id": "b", "text": \n')
    r = stance("adapt", bad, "-o", tmp_path / "out")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and f"{bad}:2" in r.stderr
    with pytest.raises(InputError, match="missing.jsonl: no such file"):
        adapt_bundle(small_bundle, [str(tmp_path / "missing.jsonl")], tmp_path / "out")
    with pytest.raises(CorpusError, match="1 articles; adapting needs at least 20"):  # too few passages
        adapt_bundle(small_bundle, [str(corpus / "lab-exodus.md")], tmp_path / "out")
    with pytest.raises(CorpusError, match="standard input"):
        adapt_bundle(small_bundle, ["-"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_model_without_a_training_mean_is_refused(small_bundle, corpus, tmp_path, rewrite_json):
    copy = tmp_path / "old"
    shutil.copytree(small_bundle.path, copy)
    rewrite_json(copy / "model.json", lambda m: m.pop("feature_mean"))
    with pytest.raises(ModelError, match="no training mean.*retrain"):
        adapt_bundle(load_bundle(copy), [str(corpus)], tmp_path / "out")


def test_adaptation_record_and_model_file_must_agree(adapted, tmp_path, rewrite_json):
    copy = tmp_path / "b"
    shutil.copytree(adapted.path, copy)
    rewrite_json(copy / "model.json", lambda m: m.update({"adaptation": None}))
    with pytest.raises(ModelError, match="adapted to a corpus that model.json does not record"):
        load_bundle(copy)


@pytest.mark.data
def test_default_model_records_the_real_corpus_mean():
    """The full recomputation of the mean (10-20 s) is in benchmarks/adapt_real.py; here the corpus."""
    bundle = load_bundle()
    mean = bundle.feature_mean
    assert mean["of"].startswith("the reference corpus") and len(mean["values"]) == 259 and mean["n"] > 1000
    corpus = default_real_coverage()
    if corpus is None:
        pytest.skip("needs ../shared/real-coverage (set STANCE_REAL_COVERAGE): the recorded mean is of its passages")
    identity = corpus_identity([str(corpus)])
    assert (identity.sha256, identity.articles) == (mean["corpus_sha256"], mean["articles"])
