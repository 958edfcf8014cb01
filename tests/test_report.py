"""Reports: group means with t intervals checked by hand, grouping, outputs, the HTML page, the CLI."""

import base64
import json
import re
import sys
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from stance.cli.main import app, main
from stance.passages import Passage
from stance.profiling.profile import summarise_passages
from stance.profiling.report import NO_VALUE, ReportError, build_report, iter_profiles, render_html, write_report

FRAMES = ["alpha", "beta"]


def make_profile(i: int, alpha_share: float, outlet: str | None, date: str | None, **meta):
    """A profile whose alpha share is exactly alpha_share (two passages of 100 words in total)."""
    a = round(alpha_share * 100)
    passages = [(Passage(f"p{i}a", f"a{i}", 0, f"alpha text of article {i}", 0, 1, a or 1), [0.9 if a else 0.1, 0.1]),
                (Passage(f"p{i}b", f"a{i}", 1, f"beta text of article {i}", 0, 1, 100 - a), [0.1, 0.8])]
    p = summarise_passages(FRAMES, [0.5, 0.5], passages)
    return replace(p, article_id=f"a{i}", title=f"Article {i}", outlet=outlet, date=date, model_id="test@1", meta=meta)


@pytest.fixture
def profiles_file(tmp_path):
    rows = [make_profile(0, 0.2, "North", "2024-01-05", desk="tech"),
            make_profile(1, 0.4, "North", "2024-03-10", desk="tech"),
            make_profile(2, 0.6, "North", "2024-03-20", desk="biz"),
            make_profile(3, 0.5, "South", "2025-02-01", desk="biz"),
            make_profile(4, 0.3, None, None)]
    path = tmp_path / "profiles.jsonl"
    path.write_text("".join(json.dumps(p.to_dict()) + "\n" for p in rows), encoding="utf-8")
    return path


def test_group_means_and_t_intervals_by_hand(profiles_file):
    report = build_report(iter_profiles([profiles_file]), by="outlet")
    assert [(g.group, g.n_articles) for g in report.groups] == [("North", 3), ("South", 1), (NO_VALUE, 1)]
    north = report.groups[0]
    assert north.mean["alpha"] == pytest.approx(0.4)
    half = 4.302653 * 0.2 / 3 ** 0.5  # t(0.975, 2) * sd / sqrt(n), sd of 0.2, 0.4, 0.6 is 0.2
    assert north.lo["alpha"] == 0.0  # 0.4 - 0.497 clipped
    assert north.hi["alpha"] == pytest.approx(0.4 + half, abs=1e-4)
    assert north.mean["beta"] == pytest.approx(0.6) and north.mean["none"] == 0.0
    assert report.groups[1].lo["alpha"] is None  # one article: no interval
    assert report.columns == FRAMES + ["none"]


def test_grouping_by_time_and_by_record_field(profiles_file):
    by_month = build_report(iter_profiles([profiles_file]), by="month")
    assert [g.group for g in by_month.groups] == ["2024-01", "2024-03", "2025-02", NO_VALUE]
    # Four dated articles: no period has enough articles for a trend, and the report says so.
    assert by_month.over_time == [] and by_month.time_unit is None
    assert "No trend over time" in by_month.time_note and by_month.n_undated == 1
    by_desk = build_report(iter_profiles([profiles_file]), by="desk")
    assert {g.group: g.n_articles for g in by_desk.groups} == {"tech": 2, "biz": 2, NO_VALUE: 1}
    with pytest.raises(ReportError, match="no profile has a field 'section'"):
        build_report(iter_profiles([profiles_file]), by="section")
    expected = build_report(iter_profiles([profiles_file]), by="outlet", measure="expected")
    assert expected.columns == FRAMES and expected.groups[0].mean["alpha"] != 0.4


def test_report_files_and_self_contained_html(profiles_file, tmp_path):
    dated = [make_profile(10 + i, 0.1 * (i % 5), "East", f"2024-{1 + i // 6:02d}-{1 + i % 6:02d}") for i in range(12)]
    with open(profiles_file, "a", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(p.to_dict()) + "\n" for p in dated))
    report = build_report(iter_profiles([profiles_file]), by="outlet")
    written = write_report(report, tmp_path / "out")
    names = {p.name for p in written}
    for name in ("shares_by_outlet.csv", "shares_by_outlet.md", "shares_by_outlet.png", "shares_by_outlet.svg",
                 "heatmap.png", "heatmap.svg", "over_time.png", "over_time.svg", "report.html"):
        assert name in names and (tmp_path / "out" / name).stat().st_size > 0
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert len(images) == 3 and all(src.startswith("data:image/png;base64,") for src in images)
    assert base64.b64decode(images[0].split(",", 1)[1])[:4] == b"\x89PNG"
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing fetched: opens offline
    assert "alpha text of article" in page  # the evidence passages
    assert page.count("Frame share by outlet") == 1  # the plot sits under its table, not under a second heading
    table = (tmp_path / "out" / "shares_by_outlet.csv").read_text(encoding="utf-8").splitlines()
    assert table[0].startswith("outlet,n_articles,mean_alpha,lo_alpha,hi_alpha")
    assert table[1].startswith("East,12,")


def test_no_dates_no_time_plot(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(make_profile(i, 0.5, "X", None).to_dict()) + "\n" for i in range(3)),
                    encoding="utf-8")
    report = build_report(iter_profiles([path]))
    assert report.over_time == []
    assert not any(p.name.startswith("over_time") for p in write_report(report, tmp_path / "out"))


def test_bad_input_is_an_error_with_a_remedy(tmp_path, profiles_file):
    torn = tmp_path / "torn.jsonl"
    torn.write_text(profiles_file.read_text(encoding="utf-8")[:-30], encoding="utf-8")
    with pytest.raises(ReportError, match="--resume"):
        list(iter_profiles([torn]))
    flat = tmp_path / "p.csv"
    flat.write_text("article_id\n", encoding="utf-8")
    with pytest.raises(ReportError, match="JSON Lines"):
        list(iter_profiles([flat]))


def test_cli_report(profiles_file, tmp_path, monkeypatch):
    result = CliRunner().invoke(app, ["report", str(profiles_file), "--by", "year", "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "| year | articles | alpha | beta | none |" in result.output
    assert (tmp_path / "r" / "report.html").exists() and (tmp_path / "r" / "shares_by_year.png").exists()
    monkeypatch.setattr(sys, "argv", ["stance", "report", str(tmp_path / "nope.jsonl")])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2


def test_equal_evidence_probabilities_in_one_article_do_not_crash(tmp_path):
    """Two evidence passages of one article with the same probability (bug: heap compared dicts)."""
    passages = [(Passage(f"p{k}", "a", k, f"alpha passage number {k}", 0, 1, 50), [0.9, 0.1]) for k in range(3)]
    p = replace(summarise_passages(FRAMES, [0.5, 0.5], passages), article_id="a", outlet="X", model_id="test@1")
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(p.to_dict()) + "\n" + json.dumps(replace(p, article_id="b").to_dict()) + "\n",
                    encoding="utf-8")
    report = build_report(iter_profiles([path]))
    evidence = report.evidence["alpha"]
    assert len(evidence) == 5 and all(e["probability"] == 0.9 for e in evidence)
    assert [(e["article_id"], e["index"]) for e in evidence[:3]] == [("a", 0), ("a", 1), ("a", 2)]
    page = render_html(report, [])
    assert "passage 0 of" in page and "passage 1 of" in page  # the JSON index, not index + 1


def test_over_time_aggregates_to_periods_with_enough_articles(tmp_path):
    # Two articles a month for a year: months are too thin, quarters (6 articles) carry a trend.
    rows = [make_profile(i, 0.1 * (i % 4), "X", f"2024-{1 + i // 2:02d}-{10 + i % 2}") for i in range(24)]
    rows += [make_profile(99, 0.5, "X", None), make_profile(98, 0.5, "X", "2026-06-01")]  # undated; a lone quarter
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(p.to_dict()) + "\n" for p in rows), encoding="utf-8")
    report = build_report(iter_profiles([path]))
    assert report.time_unit == "quarter"
    assert [(g.group, g.n_articles) for g in report.over_time] == [(f"2024-Q{q}", 6) for q in (1, 2, 3, 4)]
    assert all(g.lo["alpha"] is not None for g in report.over_time)  # every drawn period has its interval
    assert report.n_undated == 1 and report.n_thin_periods == 1
    write_report(report, tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "1 in quarters with fewer than 5 articles and 1 undated" in page


@pytest.mark.parametrize("name", ["profiles.json", "profiles.txt", "profiles"])
def test_profiles_are_judged_by_content_not_name(profiles_file, tmp_path, name):
    other = tmp_path / name
    other.write_text(profiles_file.read_text(encoding="utf-8"), encoding="utf-8")
    assert len(list(iter_profiles([other]))) == 5
    parquet = tmp_path / "p.jsonl"
    parquet.write_bytes(b"PAR1\x00\x00")
    with pytest.raises(ReportError, match="Parquet"):
        list(iter_profiles([parquet]))


def test_a_year_field_dates_articles_without_a_date(tmp_path):
    rows = [make_profile(i, 0.2, "X", None, year=2019 + i % 2) for i in range(12)] + [make_profile(50, 0.2, "X", None)]
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(p.to_dict()) + "\n" for p in rows), encoding="utf-8")
    report = build_report(iter_profiles([path]), by="year")
    assert [(g.group, g.n_articles) for g in report.groups] == [("2019", 6), ("2020", 6), (NO_VALUE, 1)]
    assert report.time_unit == "year" and report.n_undated == 1


def test_terminal_table_fits_80_columns(profiles_file):
    from stance.profiling.report import render_text
    report = build_report(iter_profiles([profiles_file]), by="outlet")
    text = render_text(report, 80)
    assert max(map(len, text.splitlines())) <= 80
    assert "North: 3 articles" in text and "alpha 0.40 [0.00, 0.90]" in text
