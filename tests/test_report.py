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
from stance.profile import summarise_passages
from stance.report import NO_VALUE, ReportError, build_report, iter_profiles, write_report

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
    assert by_month.time_unit == "month" and [g.group for g in by_month.over_time] == ["2024-01", "2024-03", "2025-02"]
    by_desk = build_report(iter_profiles([profiles_file]), by="desk")
    assert {g.group: g.n_articles for g in by_desk.groups} == {"tech": 2, "biz": 2, NO_VALUE: 1}
    with pytest.raises(ReportError, match="no profile has a field 'section'"):
        build_report(iter_profiles([profiles_file]), by="section")
    expected = build_report(iter_profiles([profiles_file]), by="outlet", measure="expected")
    assert expected.columns == FRAMES and expected.groups[0].mean["alpha"] != 0.4


def test_report_files_and_self_contained_html(profiles_file, tmp_path):
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
    table = (tmp_path / "out" / "shares_by_outlet.csv").read_text(encoding="utf-8").splitlines()
    assert table[0].startswith("outlet,n_articles,mean_alpha,lo_alpha,hi_alpha")
    assert table[1].startswith("North,3,0.4,0.0,")


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
