"""From many profiles to a report: frame shares per group, plots, and one HTML page.

A group's figure for a frame is the mean over its articles of the article's share (each article
counts once, whatever its length), with a 95% Student-t interval: mean +/- t(0.975, n-1) * sd /
sqrt(n), clipped to [0, 1]. It describes the variation between articles in the group; a group
of one article has no interval. Profiles are read as a stream and summed per group, so the
report is as cheap for 100,000 articles as for 100.
"""

from __future__ import annotations

import base64
import csv
import heapq
import html
import math
import random
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from ..errors import InputError, StanceError
from ..jsonl import read_jsonl
from .profile import Profile

MEASURES = ("share", "expected")
TIME_GROUPS = ("year", "month")
HEATMAP_ROWS = 60  # articles shown in the heatmap (a fixed-seed random sample beyond that)
EVIDENCE_PER_FRAME = 5
MAX_GROUPS_PLOTTED = 12
NO_VALUE = "(unknown)"
MIN_PER_PERIOD = 5  # articles a period needs to be drawn over time (fewer gives no usable interval)
MIN_COVERED = 0.8  # share of the dated articles the chosen period must keep


class ReportError(StanceError):
    exit_code = 2


@dataclass
class GroupRow:
    """One group: article count, and per column (each frame, and "none" for the share measure)
    the mean over articles with its 95% t interval (None for a group of one)."""

    group: str
    n_articles: int
    mean: dict[str, float]
    lo: dict[str, float | None]
    hi: dict[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "GroupRow":
        return cls(d["group"], d["n_articles"], d["mean"], d["lo"], d["hi"])


@dataclass
class HeatmapRow:
    label: str
    values: dict[str, float]
    dominant: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "HeatmapRow":
        return cls(d["label"], d["values"], d["dominant"])


@dataclass
class Report:
    by: str
    measure: str
    frames: list[str]
    columns: list[str]  # frames, plus "none" for the share measure
    n_articles: int
    model_ids: list[str]
    groups: list[GroupRow]
    over_time: list[GroupRow]  # by month or year; empty without dates
    time_unit: str | None
    heatmap: list[HeatmapRow]
    evidence: dict[str, list[dict[str, Any]]]  # frame -> strongest passages across the corpus
    dominant_counts: dict[str, int] = field(default_factory=dict)
    n_undated: int = 0  # articles without a readable date (not in the over-time view)
    n_thin_periods: int = 0  # dated articles in periods under MIN_PER_PERIOD articles (not drawn)
    time_note: str | None = None  # why there is no over-time view, when there is none

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["groups"] = [g.to_dict() for g in self.groups]
        d["over_time"] = [g.to_dict() for g in self.over_time]
        d["heatmap"] = [h.to_dict() for h in self.heatmap]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Report":
        values = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        values["groups"] = [GroupRow.from_dict(g) for g in d["groups"]]
        values["over_time"] = [GroupRow.from_dict(g) for g in d["over_time"]]
        values["heatmap"] = [HeatmapRow.from_dict(h) for h in d["heatmap"]]
        return cls(**values)


# --- reading ----------------------------------------------------------------------------

def iter_profiles(paths: Iterable[str | Path]) -> Iterator[Profile]:
    """Profiles from JSON Lines files written by `stance profile`, or from the part files of a
    folder written by `stance profile --engine dask`, one at a time."""
    for path in _profile_files(paths):
        if not path.exists():
            raise ReportError(f"{path}: no such file; pass the JSON Lines output of `stance profile`")
        _check_json_lines(path)
        hint = "if a run was interrupted, finish it with `stance profile --resume -o` the same file"
        try:
            for where, record in read_jsonl(path):
                try:
                    yield Profile.from_dict(record)
                except (ValueError, KeyError, TypeError):
                    raise ReportError(f"{where}: not a stance profile; {hint}") from None
        except InputError as exc:
            raise ReportError(f"{exc}; {hint}") from None


def _profile_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    from .partitions import is_partitioned_output, part_files

    for path in map(Path, paths):
        if not path.is_dir():
            yield path
        elif not is_partitioned_output(path):
            raise ReportError(f"{path}: a folder, but not the output of `stance profile --engine dask` (no plan.json); "
                              "pass the JSON Lines profiles")
        else:
            yield from part_files(path)  # .parquet parts are refused below, as .parquet files are


def _check_json_lines(path: Path) -> None:
    """Judge a profiles file by its content, not its name (profiles.json, .txt are fine)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    first = head.lstrip()[:1]
    if first == b"{" or not head.strip():
        return
    kind = "Parquet" if head.startswith(b"PAR1") else "a JSON array" if first == b"[" else "CSV or other text"
    raise ReportError(f"{path}: looks like {kind}, not JSON Lines profiles (one JSON object per line; evidence "
                      "is not in CSV or Parquet); run `stance profile ... -o profiles.jsonl`")


# --- grouping ---------------------------------------------------------------------------

_ISO = re.compile(r"^\s*(\d{4})-(\d{2})")
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%m/%d/%Y")


def year_month(date: str | None) -> tuple[int, int] | None:
    """(year, month) of an ISO date (2024-11-05, 2024-11-05T10:00Z) or a few common spellings."""
    if not date:
        return None
    m = _ISO.match(date)
    if m:
        return int(m.group(1)), int(m.group(2))
    for fmt in _DATE_FORMATS:
        try:
            d = datetime.strptime(date.strip(), fmt)
            return d.year, d.month
        except ValueError:
            continue
    return None


def article_period(profile: Profile) -> tuple[int, int] | None:
    """(year, month) from the article's date; (year, 0) when the record only has a `year` field."""
    ym = year_month(profile.date)
    if ym is not None:
        return ym
    try:
        year = int(str(profile.meta.get("year", "")).strip())
    except ValueError:
        return None
    return (year, 0) if 1000 <= year <= 9999 else None


def group_key(profile: Profile, by: str) -> str | None:
    """The group of a profile: outlet, year, month, any other profile field, or a field of the
    article's record (kept in `meta`). None when the profile has no such field."""
    if by in TIME_GROUPS:
        ym = article_period(profile)
        if ym is None or (by == "month" and ym[1] == 0):
            return None
        return f"{ym[0]:04d}" if by == "year" else f"{ym[0]:04d}-{ym[1]:02d}"
    if by in Profile.__dataclass_fields__ and by not in ("frames", "meta"):
        value = getattr(profile, by)
    else:
        value = profile.meta.get(by)
    return None if value in (None, "") else str(value)


def values_of(profile: Profile, measure: str, columns: list[str]) -> list[float]:
    out = []
    for c in columns:
        if c == "none":
            out.append(profile.none_share)
        else:
            out.append(getattr(profile.frames[c], measure))
    return out


class _Sums:
    """Running count, sum and sum of squares per column: enough for a mean and a t interval."""

    def __init__(self, k: int):
        self.n = 0
        self.s = [0.0] * k
        self.ss = [0.0] * k

    def add(self, values: list[float]) -> None:
        self.n += 1
        for i, v in enumerate(values):
            self.s[i] += v
            self.ss[i] += v * v

    def merge(self, other: "_Sums") -> None:
        self.n += other.n
        self.s = [a + b for a, b in zip(self.s, other.s)]
        self.ss = [a + b for a, b in zip(self.ss, other.ss)]

    def row(self, group: str, columns: list[str]) -> GroupRow:
        from scipy.stats import t

        mean, lo, hi = {}, {}, {}
        q = float(t.ppf(0.975, self.n - 1)) if self.n > 1 else None
        for i, c in enumerate(columns):
            m = self.s[i] / self.n
            mean[c] = round(m, 4)
            if q is None:
                lo[c] = hi[c] = None
                continue
            var = max(0.0, (self.ss[i] - self.n * m * m) / (self.n - 1))
            half = q * math.sqrt(var / self.n)
            lo[c], hi[c] = round(max(0.0, m - half), 4), round(min(1.0, m + half), 4)
        return GroupRow(group, self.n, mean, lo, hi)


def build_report(profiles: Iterable[Profile], by: str = "outlet", measure: str = "share",
                 heatmap_rows: int = HEATMAP_ROWS) -> Report:
    """Summarise profiles by group (see the module docstring for the interval)."""
    if measure not in MEASURES:
        raise ReportError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}")
    frames: list[str] | None = None
    columns: list[str] = []
    groups: dict[str, _Sums] = {}
    months: dict[tuple[int, int], _Sums] = {}
    model_ids: set[str] = set()
    dominant: dict[str, int] = {}
    sample: list[HeatmapRow] = []
    rng = random.Random(0)
    evidence: dict[str, list] = {}
    n = n_undated = 0
    for profile in profiles:
        if frames is None:
            frames = list(profile.frames)
            columns = frames + (["none"] if measure == "share" else [])
            evidence = {f: [] for f in frames}
        elif list(profile.frames) != frames:
            raise ReportError(f"profile {profile.article_id!r} has frames {list(profile.frames)}, the first had "
                              f"{frames}; report on profiles made with one codebook (re-run `stance profile`)")
        n += 1
        model_ids.add(profile.model_id)
        dominant[profile.dominant] = dominant.get(profile.dominant, 0) + 1
        values = values_of(profile, measure, columns)
        key = group_key(profile, by)
        groups.setdefault(key if key is not None else NO_VALUE, _Sums(len(columns))).add(values)
        ym = article_period(profile)
        if ym is not None:
            months.setdefault(ym, _Sums(len(columns))).add(values)
        else:
            n_undated += 1
        row = HeatmapRow(_label(profile), {f: getattr(profile.frames[f], measure) for f in frames}, profile.dominant)
        if len(sample) < heatmap_rows:  # reservoir sample: every article equally likely
            sample.append(row)
        else:
            k = rng.randrange(n)
            if k < heatmap_rows:
                sample[k] = row
        for f in frames:
            for ev in profile.frames[f].evidence:
                item = (ev.probability, -n, -ev.index, {"article_id": profile.article_id, "title": profile.title,
                                              "outlet": profile.outlet, "date": profile.date, "index": ev.index,
                                              "probability": ev.probability, "snippet": ev.snippet})
                heap = evidence[f]
                (heapq.heappush if len(heap) < EVIDENCE_PER_FRAME else heapq.heappushpop)(heap, item)
    if frames is None:
        raise ReportError("no profiles to report on; pass the JSON Lines output of `stance profile`")
    if by not in TIME_GROUPS and set(groups) == {NO_VALUE}:
        raise ReportError(f"no profile has a field {by!r}; use outlet, year, month, a profile field, "
                          "or a field of the article records")
    rows = [s.row(g, columns) for g, s in groups.items()]
    if by in TIME_GROUPS:
        rows.sort(key=lambda r: (r.group == NO_VALUE, r.group))
    else:
        rows.sort(key=lambda r: (r.group == NO_VALUE, -r.n_articles, r.group))
    over_time, unit, thin, note = _over_time(months, columns)
    order = {f: i for i, f in enumerate(frames + ["none"])}
    sample.sort(key=lambda h: (order[h.dominant], -h.values.get(h.dominant, 0.0), h.label))
    return Report(by=by, measure=measure, frames=frames, columns=columns, n_articles=n, model_ids=sorted(model_ids),
                  groups=rows, over_time=over_time, time_unit=unit, heatmap=sample,
                  evidence={f: [item[-1] for item in sorted(evidence[f], key=lambda i: i[:-1], reverse=True)]
                            for f in frames},
                  dominant_counts=dominant, n_undated=n_undated, n_thin_periods=thin, time_note=note)


def _over_time(months: dict[tuple[int, int], _Sums], columns: list[str]
               ) -> tuple[list[GroupRow], str | None, int, str | None]:
    """Frame shares per period: the finest of month, quarter and year whose periods of at least
    MIN_PER_PERIOD articles are two or more and hold MIN_COVERED of the dated articles. Periods with
    fewer articles are left out (counted). Returns rows, unit, articles left out, and a note when
    there is no usable period."""
    dated = sum(s.n for s in months.values())
    year_only = any(m == 0 for _, m in months)  # some records give only a year
    for unit in ("year",) if year_only else ("month", "quarter", "year"):
        periods: dict[str, _Sums] = {}
        for (y, m), s in months.items():
            label = {"month": f"{y:04d}-{m:02d}", "quarter": f"{y:04d}-Q{(m - 1) // 3 + 1}", "year": f"{y:04d}"}[unit]
            periods.setdefault(label, _Sums(len(columns))).merge(s)
        kept = {p: s for p, s in periods.items() if s.n >= MIN_PER_PERIOD}
        covered = sum(s.n for s in kept.values())
        if len(kept) >= 2 and covered >= MIN_COVERED * dated:
            return [kept[p].row(p, columns) for p in sorted(kept)], unit, dated - covered, None
    note = (f"No trend over time: {dated:,} dated article(s), and no split into months, quarters or years gives "
            f"two or more periods of at least {MIN_PER_PERIOD} articles.")
    return [], None, dated, note


def _label(profile: Profile) -> str:
    text = profile.title or profile.article_id
    return text if len(text) <= 48 else text[:47].rstrip() + "\u2026"


# --- tables -----------------------------------------------------------------------------

def write_table_csv(report: Report, rows: list[GroupRow], out: IO[str]) -> None:
    columns = [report.by, "n_articles"] + [f"{kind}_{c}" for c in report.columns for kind in ("mean", "lo", "hi")]
    writer = csv.writer(out)
    writer.writerow(columns)
    for r in rows:
        cells = [r.group, r.n_articles]
        for c in report.columns:
            cells += [r.mean[c], "" if r.lo[c] is None else r.lo[c], "" if r.hi[c] is None else r.hi[c]]
        writer.writerow(cells)


def table_markdown(report: Report, rows: list[GroupRow]) -> str:
    from ..plots import pretty

    head = [report.by, "articles"] + [pretty(c) for c in report.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * len(report.columns)]
    for r in rows:
        cells = [r.group.replace("|", "\\|"), str(r.n_articles)] + [_cell(r, c) for c in report.columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(row: GroupRow, column: str) -> str:
    if row.lo[column] is None:
        return f"{row.mean[column]:.2f}"
    return f"{row.mean[column]:.2f} [{row.lo[column]:.2f}, {row.hi[column]:.2f}]"


def describe(report: Report) -> str:
    """One sentence on what the numbers are, for every output."""
    what = ("share of the article's words in passages tagged with the frame" if report.measure == "share"
            else "expected share of the article's words from the calibrated probabilities")
    return (f"Mean over articles of the {what}, with a 95% Student-t interval across articles "
            "(none for a group of one article).")


# --- writing everything -----------------------------------------------------------------

def write_report(report: Report, out_dir: Path) -> list[Path]:
    """Tables (CSV, Markdown), plots (PNG, SVG) and report.html into out_dir."""
    from . import plots

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^\w-]+", "_", report.by)
    written: list[Path] = []
    table_csv = out_dir / f"shares_by_{slug}.csv"
    with open(table_csv, "w", encoding="utf-8", newline="") as fh:
        write_table_csv(report, report.groups, fh)
    table_md = out_dir / f"shares_by_{slug}.md"
    table_md.write_text(describe(report) + "\n\n" + table_markdown(report, report.groups), encoding="utf-8")
    written += [table_csv, table_md]
    figures: list[tuple[str | None, Path]] = []  # (heading, png); None: shown under the table above it
    shown = report.groups[:MAX_GROUPS_PLOTTED]
    note = f" ({len(shown)} largest of {len(report.groups)})" if len(report.groups) > len(shown) else ""
    png = plots.plot_group_shares(shown, report.columns, report.frames, out_dir / f"shares_by_{slug}",
                                  title=f"Frame {_name(report.measure)} by {report.by}{note}",
                                  ylabel=_axis_label(report.measure), formats=("png", "svg"))
    figures.append((None, png[0]))
    written += png
    if report.heatmap:
        png = plots.plot_article_heatmap(report.heatmap, report.frames, out_dir / "heatmap", n_total=report.n_articles,
                                         measure=_name(report.measure), formats=("png", "svg"))
        figures.append(("Articles by frame", png[0]))
        written += png
    if report.over_time:
        png = plots.plot_shares_over_time(report.over_time, report.frames, out_dir / "over_time",
                                          unit=report.time_unit, ylabel=_axis_label(report.measure),
                                          left_out=_time_left_out(report), formats=("png", "svg"))
        figures.append((f"Frame {_name(report.measure)} over time (by {report.time_unit})", png[0]))
        written += png
    page = out_dir / "report.html"
    page.write_text(render_html(report, figures), encoding="utf-8")
    written.append(page)
    return written


def _time_left_out(report: Report) -> str:
    """What the over-time view does not show, in words ("" when it shows every article)."""
    parts = []
    if report.n_thin_periods:
        parts.append(f"{report.n_thin_periods:,} in {report.time_unit}s with fewer than {MIN_PER_PERIOD} articles")
    if report.n_undated:
        parts.append(f"{report.n_undated:,} undated")
    return f"not shown: {' and '.join(parts)} article(s)" if parts else ""


def _name(measure: str) -> str:
    return "share" if measure == "share" else "expected share"


def _axis_label(measure: str) -> str:
    return "share of words (mean over articles)" if measure == "share" else "expected share (mean over articles)"


def render_html(report: Report, figures: list[tuple[str, Path]]) -> str:
    """One page with everything inline (plots as base64 PNG), so it opens offline and travels as one file."""
    from ..plots import frame_colors, pretty

    colors = frame_colors(report.frames)
    e = html.escape
    parts = [f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stance report by {e(report.by)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 14px; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
img {{ max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }}
.swatch {{ display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em; vertical-align: -0.1em; }}
blockquote {{ margin: 0.4em 0 1em 0; padding: 0.3em 0.8em; border-left: 4px solid #ccc; background: #fafafa; }}
.meta {{ color: #666; font-size: 13px; }}
</style></head><body>
<h1>Framing report by {e(report.by)}</h1>
<p>{report.n_articles:,} articles; model {e(', '.join(report.model_ids))}.</p>
<p>{e(describe(report))}</p>
<h2>Frame {e(_name(report.measure))} by {e(report.by)}</h2>
{_html_table(report, report.groups)}"""]
    for title, png in figures:
        data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
        alt = title or "the table above as a bar chart"
        parts.append((f"<h2>{e(title)}</h2>\n" if title else "")
                     + f'<img alt="{e(alt)}" src="data:image/png;base64,{data}">')
    if report.over_time:
        left_out = _time_left_out(report)
        if left_out:
            parts.append(f'<p class="meta">Over time, {e(left_out)}.</p>')
        if report.by != report.time_unit:
            parts.append(f"<h3>Frame {e(_name(report.measure))} by {e(report.time_unit or '')} (table)</h3>\n"
                         + _html_table(report, report.over_time, first=report.time_unit or ""))
    elif report.time_note:
        parts.append(f"<h2>Over time</h2>\n<p>{e(report.time_note)}"
                     + (f" {report.n_undated:,} article(s) have no date." if report.n_undated else "") + "</p>")
    parts.append("<h2>Strongest evidence per frame</h2>\n<p class=\"meta\">Passage numbers count from 0, as "
                 "<code>index</code> in the profiles and <code>stance segment</code>.</p>")
    for f in report.frames:
        parts.append(f'<h3><span class="swatch" style="background:{colors[f]}"></span>{e(pretty(f))}</h3>')
        if not report.evidence.get(f):
            parts.append("<p class=\"meta\">No passage was tagged with this frame.</p>")
        for ev in report.evidence.get(f, []):
            where = " \u00b7 ".join(e(str(x)) for x in (ev.get("title") or ev["article_id"], ev.get("outlet"),
                                                           ev.get("date")) if x)
            parts.append(f'<blockquote style="border-color:{colors[f]}">{e(ev["snippet"])}'
                         f'<div class="meta">p = {ev["probability"]:.2f} \u00b7 passage {ev["index"]} of {where}'
                         "</div></blockquote>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _html_table(report: Report, rows: list[GroupRow], first: str | None = None) -> str:
    from ..plots import frame_colors, pretty

    colors = frame_colors(report.frames)
    e = html.escape
    head = "".join(f'<th><span class="swatch" style="background:{colors[c]}"></span>{e(pretty(c))}</th>'
                   for c in report.columns)
    body = "".join(f"<tr><td>{e(r.group)}</td><td>{r.n_articles:,}</td>"
                   + "".join(f"<td>{e(_cell(r, c))}</td>" for c in report.columns) + "</tr>" for r in rows)
    return f"<table><tr><th>{e(first or report.by)}</th><th>articles</th>{head}</tr>{body}</table>"


def render_markdown(report: Report) -> str:
    return describe(report) + "\n\n" + table_markdown(report, report.groups)


def render_text(report: Report, width: int = 80) -> str:
    """The table for a terminal narrower than the Markdown table: one block per group, wrapped."""
    import textwrap

    from ..plots import pretty

    lines = textwrap.wrap(describe(report), width) + [""]
    for r in report.groups:
        lines.append(f"{r.group}: {r.n_articles:,} article{'' if r.n_articles == 1 else 's'}")
        cells = [f"{pretty(c) if c != 'none' else 'no frame'} {_cell(r, c)}" for c in report.columns]
        lines += textwrap.wrap(" \u00b7 ".join(cells), width, initial_indent="  ", subsequent_indent="  ")
    return "\n".join(lines) + "\n"
