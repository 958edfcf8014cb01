"""Gold labels out (JSON Lines, CSV, Parquet, a Hugging Face DatasetDict) and labels from other
tools in (CSV or JSON Lines, as "import" answers of one annotator).

An exported row: passage_id, article_id, text, frames (list), one 0/1 column per codebook frame,
method (adjudicated | majority | single), n_annotators, split. The split comes from a splits file
(article_id -> split) or else from a hash of the article id, so a passage never changes split
and all passages of an article share one.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Iterator

from ..articles import content_id
from ..codebook import Codebook
from ..errors import CodebookError, InputError, LabelStoreError
from ..jsonl import read_jsonl
from ..passage_text import with_texts
from ..passages import passage_id as make_passage_id
from .agreement import frame_agreement
from .store import Event, GoldLabel, LabelStore, Disagreement, current_labels, gold_labels

FORMATS = ("jsonl", "csv", "parquet", "hf")
TEST_SHARE = 0.2
BASE_COLUMNS = ("passage_id", "article_id", "text", "frames", "method", "n_annotators", "split")
_FRAME_SEPARATORS = re.compile(r"[;|,]")


# --- splits --------------------------------------------------------------------------------

def hash_split(article_id: str, test_share: float = TEST_SHARE) -> str:
    """'test' for about `test_share` of articles, decided by the article id alone."""
    bucket = int(hashlib.sha1(article_id.encode("utf-8")).hexdigest()[:8], 16) % 1000
    return "test" if bucket < test_share * 1000 else "train"


def load_splits(path: str | Path) -> dict[str, str]:
    """article_id -> split from a CSV (columns article_id, split) or JSON file
    ({"article_id": "split", ...} or [{"article_id": ..., "split": ...}, ...])."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "splits file not found") from None
    out: dict[str, str] = {}
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{exc.lineno}", f"malformed JSON ({exc.msg})") from None
        rows = data.items() if isinstance(data, dict) else (
            (r.get("article_id"), r.get("split")) if isinstance(r, dict) else (None, None) for r in data)
        for i, (aid, split) in enumerate(rows):
            if not isinstance(aid, str) or not isinstance(split, str) or not split:
                raise InputError(f"{path}[{i}]", "expected article_id -> split (both text)")
            out[aid] = split
    else:
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or not {"article_id", "split"} <= set(reader.fieldnames):
            raise InputError(str(path), "a splits CSV needs the columns article_id and split")
        for row in reader:
            if not row["article_id"] or not row["split"]:
                raise InputError(f"{path}:{reader.line_num}", "empty article_id or split")
            out[row["article_id"]] = row["split"]
    return out


# --- export --------------------------------------------------------------------------------

@dataclass
class ExportSummary:
    rows: int
    per_split: dict[str, int]
    unresolved: list[Disagreement] = field(default_factory=list)


def gold_rows(gold: list[GoldLabel], codebook: Codebook, splits: dict[str, str] | None = None,
              splits_name: str = "splits file") -> list[dict[str, Any]]:
    """The export rows, in gold order."""
    clash = [k for k in codebook.frame_keys if k in BASE_COLUMNS]
    if clash:
        raise CodebookError(f"frame key {clash[0]!r} clashes with an export column; rename it in the codebook")
    if splits is not None:
        missing = sorted({g.article_id for g in gold} - set(splits))
        if missing:
            raise InputError(splits_name, f"{len(missing)} labelled article(s) have no split, e.g. {missing[0]!r}; "
                                          "add them, or leave out --splits to split by a hash of the article id")
    rows = []
    for g in gold:
        row: dict[str, Any] = {"passage_id": g.passage_id, "article_id": g.article_id, "text": g.text,
                               "frames": list(g.frames)}
        row.update({k: int(k in g.frames) for k in codebook.frame_keys})
        row.update(method=g.method, n_annotators=g.n_annotators,
                   split=splits[g.article_id] if splits is not None else hash_split(g.article_id))
        rows.append(row)
    return rows


def export_gold(store: LabelStore, fmt: str, output: Path | IO[str], splits_path: str | Path | None = None
                ) -> ExportSummary:
    """Resolve gold labels from the store and write them. `output` is a path (a folder for hf),
    or a text stream for jsonl/csv."""
    if fmt not in FORMATS:
        raise InputError("--format", f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    events, _ = store.read_all()
    gold, unresolved = gold_labels(events)
    if not gold:
        raise LabelStoreError(f"{store.directory}: no labels to export; label passages first (stance label ...)")
    splits = load_splits(splits_path) if splits_path else None
    rows = gold_rows(gold, store.codebook, splits, str(splits_path))
    cb = store.codebook
    if fmt in ("jsonl", "csv"):
        if isinstance(output, Path):
            output.parent.mkdir(parents=True, exist_ok=True)
            with open(output, "w", encoding="utf-8", newline="") as fh:
                _write_text(rows, fmt, cb, fh)
        else:
            _write_text(rows, fmt, cb, output)
    elif not isinstance(output, Path):
        raise InputError("--output", f"{fmt} is a binary format; pass -o PATH")
    elif fmt == "parquet":
        write_parquet(rows, cb, output)
    else:
        write_hf(rows, cb, output, events)
    return ExportSummary(len(rows), dict(Counter(r["split"] for r in rows)), unresolved)


def _write_text(rows: list[dict[str, Any]], fmt: str, codebook: Codebook, out: IO[str]) -> None:
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    columns = ["passage_id", "article_id", "text", "frames", *codebook.frame_keys, "method", "n_annotators", "split"]
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "frames": ";".join(row["frames"])})


def write_parquet(rows: list[dict[str, Any]], codebook: Codebook, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = [("passage_id", pa.string()), ("article_id", pa.string()), ("text", pa.string()),
              ("frames", pa.list_(pa.string()))]
    fields += [(k, pa.int8()) for k in codebook.frame_keys]
    fields += [("method", pa.string()), ("n_annotators", pa.int32()), ("split", pa.string())]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema(fields)), path)


def write_hf(rows: list[dict[str, Any]], codebook: Codebook, path: Path, events: list[Event]) -> None:
    """A DatasetDict by split, saved with save_to_disk, with a dataset card (README.md) inside."""
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value
    from datasets.utils.tqdm import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    if path.exists() and any(path.iterdir()) and not (path / "dataset_dict.json").exists():
        raise InputError(str(path), "folder exists and is not an exported dataset; pass a new -o folder")
    features = Features({"passage_id": Value("string"), "article_id": Value("string"), "text": Value("string"),
                         "frames": Sequence(ClassLabel(names=codebook.frame_keys)),
                         **{k: Value("int8") for k in codebook.frame_keys},
                         "method": Value("string"), "n_annotators": Value("int32")})
    by_split: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_split.setdefault(row["split"], []).append({k: v for k, v in row.items() if k != "split"})
    dd = DatasetDict({name: Dataset.from_list(part, features=features) for name, part in sorted(by_split.items())})
    quiet = are_progress_bars_disabled()
    disable_progress_bars()  # no progress bars on the user's stderr
    try:
        dd.save_to_disk(str(path))
    finally:
        if not quiet:
            enable_progress_bars()
    (path / "README.md").write_text(dataset_card(rows, codebook, events), encoding="utf-8")


def dataset_card(rows: list[dict[str, Any]], codebook: Codebook, events: list[Event]) -> str:
    """A short card: what the labels mean, how many there are, how far annotators agreed."""
    keys = codebook.frame_keys
    splits = sorted({r["split"] for r in rows})
    annotators = sorted({e.annotator for e in events if e.source != "adjudicate"})
    lines = ["---", f"pretty_name: Framing labels ({codebook.name} {codebook.version})",
             "task_categories:", "- text-classification", "---", "",
             f"# Framing labels: {codebook.name} {codebook.version}", "",
             f"Gold labels exported by `stance export` on {datetime.now(timezone.utc).date().isoformat()}: "
             f"{len(rows)} passages, labelled by {len(annotators)} annotator(s).", "",
             f"- Codebook: `{codebook.name}` version {codebook.version} (sha256 `{codebook.hash()[:16]}…`)",
             f"- Unit: {codebook.unit}" if codebook.unit else "- Unit: a passage (paragraph)",
             f"- Multi-label: {'yes' if codebook.multi_label else 'no'}; an empty `frames` list means none", "",
             "## Frames", ""]
    lines += [f"- `{f.key}` ({f.name}): {' '.join(f.definition.split())}" for f in codebook.frames]
    lines += ["", "## Passages per frame and split", "",
              "| split | passages | " + " | ".join(keys) + " | none |",
              "|---|---:|" + "---:|" * (len(keys) + 1)]
    for split in splits + ["all"]:
        part = [r for r in rows if split == "all" or r["split"] == split]
        counts = [sum(r[k] for r in part) for k in keys] + [sum(not r["frames"] for r in part)]
        lines.append(f"| {split} | {len(part)} | " + " | ".join(map(str, counts)) + " |")
    methods = Counter(r["method"] for r in rows)
    lines += ["", "## How each gold label was decided", "",
              f"adjudicated {methods['adjudicated']}, strict majority of annotators {methods['majority']}, "
              f"single annotator {methods['single']}. Ties without adjudication are left out.", "",
              "## Agreement (passages labelled by two or more annotators, before adjudication)", ""]
    agreement = frame_agreement(current_labels(events), codebook)
    if agreement and agreement[0].n:
        lines += ["| frame | n | % agreement | Krippendorff's α | Cohen's κ (pairs) |", "|---|---:|---:|---:|---|"]
        for row in agreement:
            kappas = ", ".join(f"{k.annotator_a}/{k.annotator_b} {_num(k.kappa)} (n={k.n})" for k in row.kappas)
            lines.append(f"| {row.frame} | {row.n} | {_num(row.percent, pct=True)} | {_num(row.alpha)} | {kappas} |")
    else:
        lines.append("No passage was labelled by two or more annotators.")
    lines += ["", "## Columns", "",
              "`passage_id`, `article_id`, `text`; `frames` (list of ClassLabel over the frame keys); "
              "one 0/1 column per frame; `method`; `n_annotators`.", "",
              "```python", "from datasets import load_from_disk", "ds = load_from_disk(\"PATH\")", "```", ""]
    return "\n".join(lines)


def _num(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{100 * x:.1f}%" if pct else f"{x:.3f}"


# --- label records for a model ------------------------------------------------------------

def gold_records(directory: str | Path, codebook: Codebook, texts: str | Path | None = None) -> list[dict[str, Any]]:
    """Gold labels of a label store folder as plain records {passage_id, article_id, text, frames}:
    what a model learns from (ties stay out until adjudicated). Labels stored by reference get
    their text from `texts` (the articles they were made on; see stance.passage_text)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise LabelStoreError(f"{directory}: no label store here; label passages with `stance label`, "
                              "pass --labels with your annotations folder, or --labels shipped for the gold "
                              "corpus that ships with stance")
    events, _warnings = LabelStore(directory, codebook).read_all()
    gold, _ties = gold_labels(events)
    if not gold:
        raise LabelStoreError(f"{directory}: no labelled passages; label some with `stance label` first, or "
                              "train on the shipped gold corpus with --labels shipped")
    gold = with_texts(gold, corpus=texts)
    return [{"passage_id": g.passage_id, "article_id": g.article_id, "text": g.text, "frames": list(g.frames)}
            for g in gold]


def label_records(path: str | Path, codebook: Codebook) -> list[dict[str, Any]]:
    """Labelled passages from a label store folder (its gold labels) or a JSONL/CSV label file."""
    path = Path(path)
    if path.is_dir():
        return gold_records(path, codebook)
    return [rec for _where, rec in read_label_records(path, codebook)]


# --- import --------------------------------------------------------------------------------

@dataclass
class ImportSummary:
    read: int
    written: int
    unchanged: int


def read_label_records(path: str | Path, codebook: Codebook, text_field: str = "text",
                       frames_field: str = "frames") -> Iterator[tuple[str, dict[str, Any]]]:
    """Labelled passages from a CSV or JSON Lines file (an export, or another tool's labels):
    (where, {"passage_id", "article_id", "text", "frames"}) with frames checked against the codebook."""
    path = Path(path)
    n = 0
    for where, rec in _records(path):
        n += 1
        text = rec.get(text_field)
        if not isinstance(text, str) or not text.strip():
            raise InputError(where, f"no text in field {text_field!r} (fields: {', '.join(list(rec)[:8])}); "
                                    "pass --text-field")
        frames = _frames_of(rec, frames_field, codebook, where)
        article_id = str(rec.get("article_id") or "") or content_id(text)
        pid = str(rec.get("passage_id") or "") or make_passage_id(article_id, text)
        yield where, {"passage_id": pid, "article_id": article_id, "text": text, "frames": frames}
    if n == 0:
        raise InputError(str(path), "no label records found")


def import_labels(path: str | Path, store: LabelStore, annotator: str, text_field: str = "text",
                  frames_field: str = "frames") -> ImportSummary:
    """Read labels made elsewhere and store them as answers (source "import") of `annotator`.

    Every record is checked before anything is written, so a bad file writes nothing. Labels the
    annotator already has, with the same frames, are not written again.
    """
    cb = store.codebook
    events: dict[str, Event] = {}
    n = 0
    for _where, rec in read_label_records(path, cb, text_field, frames_field):
        n += 1
        events[rec["passage_id"]] = Event("answer", rec["passage_id"], annotator, rec["article_id"], rec["text"],
                                          rec["frames"], cb.name, cb.version, source="import")
    existing = {pid: lab.frames for (ann, pid), lab in current_labels(store.read(annotator)[0]).items()
                if ann == annotator}
    new = [e for e in events.values() if sorted(existing.get(e.passage_id, ["\0"])) != sorted(e.frames)]
    store.append(new)
    return ImportSummary(n, len(new), len(events) - len(new))


def _records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with open(path, newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh)
                for rec in reader:
                    yield f"{path}:{reader.line_num}", rec
        elif suffix in (".jsonl", ".ndjson", ".json"):
            if suffix == ".json":
                with open(path, encoding="utf-8-sig") as fh:
                    head = fh.read(1)
                    fh.seek(0)
                    if head == "[":
                        for i, rec in enumerate(json.load(fh)):
                            yield f"{path}[{i}]", _object(rec, f"{path}[{i}]")
                        return
            for where, rec in read_jsonl(path, objects=False):
                yield where, _object(rec, where)
        else:
            raise InputError(str(path), "import reads .csv or .jsonl (JSON Lines) files")
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}", f"malformed JSON ({exc.msg})") from None


def _object(rec: Any, where: str) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise InputError(where, "expected an object with a text and frames")
    return rec


def _frames_of(rec: dict[str, Any], frames_field: str, cb: Codebook, where: str) -> list[str]:
    """From a frames list ("a;b", "a|b", a JSON list) or else from one 0/1 column per frame."""
    raw = rec.get(frames_field)
    if raw is not None:
        if isinstance(raw, str):
            raw = raw.strip()
            if raw.startswith("["):
                try:
                    raw = json.loads(raw)
                except json.JSONDecodeError:
                    raise InputError(where, f"field {frames_field!r} is not a JSON list") from None
            else:
                raw = [t.strip() for t in _FRAME_SEPARATORS.split(raw)]
        if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
            raise InputError(where, f"field {frames_field!r} must be a list of frame keys")
        frames = [f.strip() for f in raw if f.strip()]
        if [f.lower() for f in frames] == ["none"]:
            frames = []
    else:
        present = [k for k in cb.frame_keys if k in rec]
        if not present:
            raise InputError(where, f"no {frames_field!r} field and no 0/1 columns named after the frames "
                                    f"({', '.join(cb.frame_keys)}); pass --frames-field")
        missing = [k for k in cb.frame_keys if k not in rec]
        if missing:
            raise InputError(where, f"0/1 frame columns found but {missing[0]!r} is missing")
        frames = [k for k in cb.frame_keys if _flag(rec[k], k, where)]
    unknown = [f for f in frames if f not in cb.frame_keys]
    if unknown:
        raise InputError(where, f"frame {unknown[0]!r} is not in codebook {cb.name!r} "
                                f"(frames: {', '.join(cb.frame_keys)}); pass --codebook or fix the file")
    return sorted(set(frames), key=cb.frame_keys.index)


def _flag(value: Any, column: str, where: str) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "1.0", "true", "yes"):
        return True
    if text in ("0", "0.0", "false", "no"):
        return False
    raise InputError(where, f"column {column!r} must be 0 or 1, got {value!r}")
