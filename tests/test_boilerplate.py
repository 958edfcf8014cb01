"""Boilerplate: furniture rules, blocks repeated across articles, reasons, and the CLI wiring."""

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.articles import Article, iter_articles
from stance.boilerplate import Boilerplate, DropStats, RepeatCounter, count_repeats, rule_reason
from stance.cli.main import app
from stance.passages import block_reason, segment_article

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "articles"
ROOT = Path(__file__).resolve().parents[1]
SHARED_SEED = next((p for p in (ROOT.parent / "shared" / "seeds", ROOT.parent.parent / "shared" / "seeds")
                    if p.exists()), ROOT.parent / "shared" / "seeds")

BODY = [
    "The lab said on Monday that it would stop publishing the weights of its largest models, "
    "a reversal that surprised researchers who had built tools on top of them. It gave no date.",
    "Engineers described a tense meeting in which the policy was announced without warning. "
    "Several said they were weighing offers from universities and smaller companies.",
    "Outside experts were divided on the consequences. Some argued that closed models are safer, "
    "while others said the move mostly protects the company's lead over its rivals.",
    "A spokesperson declined to comment on the departures. The company has hired a new head of "
    "research, who starts next month and will report to the chief executive.",
]
MENU = "Home World Business Technology Science Health Sports Opinion Video Podcasts Newsletters Events About Us Contact"
FOOTER = "Our newsletters arrive on Fridays with the week in review and a note from the editors."
CSS = ".hdr0{fill:#FFFFFF;} .hdr1{stroke:none;} The Daily Circuit Home Gadgets Labs Policy"


def article(i: int, outlet: str = "circuit.example") -> Article:
    body = [f"Story {i}: " + BODY[(i + k) % len(BODY)] for k in range(2)]
    return Article(id=f"a{i}", text="\n\n".join([MENU, *body, FOOTER]), outlet=outlet)


def test_rules_name_their_reason():
    assert rule_reason(CSS) == "css"
    assert rule_reason("<svg viewBox='0 0 10 10'><path d='M0 0'/></svg>") == "css"
    assert rule_reason(MENU) == "menu"
    assert rule_reason("Open Navigation Menu") in {"menu", "heading"}
    assert rule_reason("Sign up for our weekly newsletter to get the best stories in your inbox.") == "newsletter"
    assert rule_reason("Share this story on Facebook, Twitter and LinkedIn.") in {"share", "furniture"}
    assert rule_reason("Tap to share this story with friends on Facebook or by email.") == "share"
    assert rule_reason("Facebook Twitter LinkedIn Email Reddit") in {"share", "menu", "heading"}
    assert rule_reason("By Jane Doe") == "byline"
    assert rule_reason("March 3, 2025") == "dateline"
    for text in BODY + ["The company said it would share the weights with universities next year, and "
                        "researchers welcomed it.", "Is this the end of open research?"]:
        assert rule_reason(text) == "", text


def test_title_cased_question_or_colon_line_is_a_heading():
    assert block_reason("The End of an Era, Or Just the Beginning?") == "heading"
    assert block_reason("What Comes Next for Open Models:") == "heading"
    assert block_reason("Is this the end of open research?") == ""
    assert block_reason("Why would anyone want to close the weights now, after all these years?") == ""


def test_blocks_repeated_in_three_articles_of_an_outlet_are_dropped():
    arts = [article(i) for i in range(5)]
    bp = Boilerplate(count_repeats(arts))
    stats = DropStats()
    passages = [p for a in arts for p in bp.segment(a, stats=stats)]
    texts = [p.text for p in passages]
    assert not any(FOOTER in t or MENU in t for t in texts)
    assert all(t.startswith("Story") for t in texts)
    assert stats.blocks["repeated"] == 5 and stats.blocks["menu"] == 5
    assert "dropped 10 of 20 blocks" in stats.summary()


def test_repetition_counts_articles_not_copies_and_respects_outlets():
    one = Article(id="x", text="\n\n".join([FOOTER] * 5 + BODY[:1]), outlet="o")
    assert count_repeats([one]).keys == frozenset()  # five copies in one article: not repeated
    arts = [article(0, "o1"), article(1, "o2"), article(2, "o3")]
    assert count_repeats(arts, scope="outlet").keys == frozenset()
    assert len(count_repeats(arts, scope="all").keys) >= 1
    with pytest.raises(ValueError):
        RepeatCounter(scope="nope")


def test_counter_compacts_its_buffer_without_losing_counts():
    arts = [article(i) for i in range(40)]
    small = RepeatCounter(buffer_size=7)
    for a in arts:
        small.add(a)
    assert small.repeated().keys == count_repeats(arts).keys


def test_keep_boilerplate_segments_as_the_plain_segmenter():
    arts = [article(i) for i in range(4)]
    bp = Boilerplate(count_repeats(arts), keep=True)
    for a in arts:
        assert [p.text for p in bp.segment(a)] == [p.text for p in segment_article(a)]


def test_css_residue_before_prose_is_trimmed_not_the_prose():
    text = CSS + " Lab News Today " + BODY[0] + " " + BODY[1]
    a = Article(id="c", text=text)
    (p, *_) = Boilerplate().segment(a)
    assert "{" not in p.text and p.text in BODY[0] + " " + BODY[1]
    assert a.text[p.start:p.end] == p.text


@pytest.mark.skipif(not SHARED_SEED.exists(), reason="the shared seed article (../shared/seeds) is absent")
def test_the_shared_seed_article_gives_30_passages_with_its_dek():
    (a,) = iter_articles([SHARED_SEED])
    passages = Boilerplate().segment(a)
    assert len(passages) == 30
    assert not any(p.text.endswith("Just the Beginning?") for p in passages)


def run(args):
    return CliRunner().invoke(app, args)


def test_segment_summary_and_explain(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": a.id, "text": a.text, "outlet": a.outlet}) + "\n"
                              for a in (article(i) for i in range(4))), encoding="utf-8")
    out, explain = tmp_path / "p.jsonl", tmp_path / "dropped.jsonl"
    result = run(["segment", str(corpus), "-o", str(out), "--explain", str(explain)])
    assert result.exit_code == 0, result.output
    assert "dropped 8 of 16 blocks (4 menu, 4 repeated)" in result.output
    dropped = [json.loads(line) for line in explain.read_text().splitlines()]
    assert len(dropped) == 8 and {d["reason"] for d in dropped} == {"menu", "repeated"}
    texts = {a.id: a.text for a in (article(i) for i in range(4))}
    assert all(texts[d["article_id"]][d["start"]:d["end"]] in (MENU, FOOTER) for d in dropped)
    kept = run(["segment", str(corpus), "-o", str(out), "--keep-boilerplate"])
    assert "dropped 0" not in kept.output and kept.exit_code == 0
    assert len(out.read_text().splitlines()) > 8


def test_profile_a_folder_with_a_dangling_link_and_a_pdf(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.md").write_text((SEEDS / "lab-exodus.md").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "paper.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    os.symlink(tmp_path / "nowhere.txt", folder / "gone.txt")
    out = tmp_path / "profiles.jsonl"
    result = run(["profile", str(folder), "-o", str(out), "--workers", "1", "-q"])
    assert result.exit_code == 1, result.output  # finished, with the bad files skipped
    assert [json.loads(line)["article_id"] for line in out.read_text().splitlines()] == ["good.md"]
    errors = [json.loads(line) for line in (tmp_path / "profiles.errors.jsonl").read_text().splitlines()]
    reasons = {Path(e["source"]).name: e["reason"] for e in errors}
    assert set(reasons) == {"paper.pdf", "gone.txt"}
    assert "pdftotext" in reasons["paper.pdf"] and "dangling" in reasons["gone.txt"]
    assert all(e["kind"] == "unreadable" for e in errors)
