"""Reading articles from every format a researcher has them in.

One reader layer for every command: plain text and Markdown, HTML, JSON Lines, JSON arrays, CSV,
Parquet and Hugging Face datasets saved with `save_to_disk`, a directory of any of those, or `-`
for JSON Lines on stdin. Records stream one at a time, so a 1 GB JSON Lines file is never held
in memory. A bad record or file becomes an `InputError` handed to `on_error`, so a run over many
files goes on and reports the bad ones at the end.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import sys
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .errors import InputError
from .jsonl import iter_lines

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
RECORD_SUFFIXES = {".jsonl", ".ndjson", ".json", ".csv", ".parquet"}
KNOWN_FIELDS = ("title", "outlet", "date", "url")
ErrorHandler = Callable[[InputError], None]


@dataclass
class Article:
    id: str
    text: str
    title: str | None = None
    outlet: str | None = None
    date: str | None = None
    url: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # where it came from: "path" or "path:line", for error messages

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ReadOptions:
    text_field: str = "text"
    id_field: str = "id"
    encoding: str = "utf-8"


def content_id(text: str) -> str:
    return "sha1-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def iter_articles(
    inputs: Iterable[str | Path],
    options: ReadOptions | None = None,
    on_error: ErrorHandler | None = None,
) -> Iterator[Article]:
    """Yield every article of every input, in a stable order.

    Without `on_error` the first problem raises; with it, problems are handed over and reading
    goes on. Two articles with the same id are an error naming both sources.
    """
    options = options or ReadOptions()

    def report(err: InputError) -> None:
        if on_error is None:
            raise err
        on_error(err)

    seen: dict[str, str] = {}
    for item in inputs:
        for article in _iter_input(str(item), options, report):
            if article.id in seen:
                report(InputError(article.source, f"duplicate article id {article.id!r}, first seen in {seen[article.id]}"))
                continue
            seen[article.id] = article.source
            yield article


def _iter_input(item: str, options: ReadOptions, report: Callable[[InputError], None]) -> Iterator[Article]:
    if item == "-":
        yield from _read_jsonl_stream(sys.stdin.buffer, "<stdin>", options, report)
        return
    path = Path(item)
    if not path.exists():
        report(InputError(item, "no such file or directory"))
        return
    if path.is_dir() and not _is_hf_dataset(path):
        members = sorted(p for p in path.rglob("*") if _is_member(p, path))
        files = [p for p in members if _is_readable_member(p, path)]
        if not files:
            report(InputError(item, "directory holds no readable articles (.txt .md .html .jsonl .json .csv .parquet)"))
        for file in members:
            if file in files:
                yield from _read_path(file, path, options, report)
            else:  # one line for each file we cannot read, and the run goes on
                report(InputError(str(file), unreadable_reason(file)))
        return
    yield from _read_path(path, path.parent, options, report)


def _is_member(p: Path, root: Path) -> bool:
    """A file (or saved dataset) below `root` that a run should read or report: not hidden, not
    inside a saved dataset (read through the dataset), not a plain folder."""
    rel = p.relative_to(root).parts
    if any(part.startswith(".") for part in rel):
        return False
    if any(_is_hf_dataset(parent) for parent in p.parents if parent != root and root in parent.parents):
        return False
    try:
        return _is_hf_dataset(p) if p.is_dir() else True
    except OSError:
        return True


def _is_readable_member(p: Path, root: Path) -> bool:
    if not _is_member(p, root):
        return False
    try:
        if p.is_dir():
            return _is_hf_dataset(p)
    except OSError:
        return False
    return p.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES | RECORD_SUFFIXES and p.exists()


CONVERT_HINTS = {
    ".pdf": "a PDF; convert it to text first (e.g. `pdftotext FILE.pdf FILE.txt`)",
    ".docx": "a Word document; convert it to text first (e.g. `pandoc -t plain FILE.docx -o FILE.txt`)",
    ".doc": "a Word document; save it as .txt or convert it (e.g. `antiword FILE.doc > FILE.txt`)",
    ".odt": "an OpenDocument text; convert it to text first (e.g. `pandoc -t plain FILE.odt -o FILE.txt`)",
    ".rtf": "an RTF document; convert it to text first (e.g. `pandoc -t plain FILE.rtf -o FILE.txt`)",
    ".epub": "an e-book; convert it to text first (e.g. `pandoc -t plain FILE.epub -o FILE.txt`)",
    ".pptx": "a slide deck; stance reads article text (.txt .md .html .jsonl .json .csv .parquet)",
    ".xlsx": "a spreadsheet; save it as .csv with a text column",
    ".xls": "a spreadsheet; save it as .csv with a text column",
}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".bmp", ".svg", ".heic"}


def unreadable_reason(path: Path) -> str:
    """Why a file cannot be read, with what to do: a dangling link, a file that vanished, one we
    may not open, or a type stance does not read (PDF, Word, images ...)."""
    if path.is_symlink() and not path.exists():
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return f"dangling symbolic link (to {target}); fix or remove the link"
    if not path.exists():
        return "vanished while the folder was being read; run again once the folder is stable"
    suffix = path.suffix.lower()
    if suffix in CONVERT_HINTS:
        return f"cannot read {CONVERT_HINTS[suffix]}"
    if suffix in IMAGE_SUFFIXES:
        return "cannot read an image; stance reads text (run OCR, e.g. `tesseract`, to get text first)"
    if suffix in TEXT_SUFFIXES | HTML_SUFFIXES | RECORD_SUFFIXES and not os.access(path, os.R_OK):
        return "permission denied; make the file readable (chmod +r) or leave it out"
    return (f"unknown file type {suffix or '(no extension)'}; use .txt .md .html .jsonl .json .csv .parquet "
            "or a saved Hugging Face dataset")


def _is_hf_dataset(path: Path) -> bool:
    return path.is_dir() and ((path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists())


def _read_path(path: Path, root: Path, options: ReadOptions, report) -> Iterator[Article]:
    rel = path.relative_to(root).as_posix() if root in path.parents or path == root else path.name
    suffix = path.suffix.lower()
    try:
        if _is_hf_dataset(path):
            yield from _read_hf_dataset(path, rel, options, report)
        elif suffix in {".jsonl", ".ndjson"}:
            with open(path, "rb") as fh:
                yield from _read_jsonl_stream(fh, str(path), options, report)
        elif suffix == ".json":
            yield from _read_json_file(path, options, report)
        elif suffix == ".csv":
            yield from _read_csv(path, options, report)
        elif suffix == ".parquet":
            yield from _read_parquet(path, options, report)
        elif suffix in HTML_SUFFIXES:
            yield _read_html(path, rel, options)
        elif suffix in TEXT_SUFFIXES:
            yield _read_text(path, rel, options)
        else:
            report(InputError(str(path), unreadable_reason(path)))
    except InputError as err:
        report(err)
    except PermissionError:
        report(InputError(str(path), "permission denied; make the file readable (chmod +r) or leave it out"))
    except IsADirectoryError:
        report(InputError(str(path), "is a directory, not a file"))
    except FileNotFoundError:
        report(InputError(str(path), unreadable_reason(path)))
    except OSError as exc:  # an I/O error, a device, a name too long ...: this file only
        report(InputError(str(path), f"cannot be read ({exc.strerror or exc})"))


# --- whole-file formats -----------------------------------------------------------------

def _decode(raw: bytes, source: str, encoding: str, line: int | None = None, base: int = 0) -> str:
    if b"\x00" in raw:
        raise InputError(source, "looks like a binary file, not text")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        where = f"line {line}, " if line is not None else ""
        raise InputError(source, f"{where}byte offset {base + exc.start}: not valid {encoding} text; "
                                 "pass --encoding (e.g. --encoding latin-1)") from None
    except LookupError:
        raise InputError(source, f"unknown encoding {encoding!r}") from None


def _read_text(path: Path, rel: str, options: ReadOptions) -> Article:
    text = _decode(path.read_bytes(), str(path), options.encoding)
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    header, body = _split_header(text)
    if path.suffix.lower() in {".md", ".markdown"}:
        body = _strip_markdown(body)
    title = header.pop("title", None)
    lines = body.lstrip("\n").split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("# "):
        title = title or first[2:].strip()
        body = "\n".join(lines[1:])
    elif title is None and first:
        title = first[:200]
        if _looks_like_title(body):
            body = "\n".join(lines[1:])
    body = body.strip("\n")
    if not body.strip():
        raise InputError(str(path), "no article text", kind="empty", article_id=header.get("id") or rel)
    known = {k: header.pop(k, None) for k in ("outlet", "date", "url")}
    art_id = header.pop("id", None) or rel
    return Article(id=art_id, text=body, title=title, meta=header, source=str(path), **known)


_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z_-]{0,30}):[ \t]*(.*)$")


def _split_header(text: str) -> tuple[dict[str, str], str]:
    """An optional `key: value` block at the top, ended by a blank line."""
    head, sep, rest = text.partition("\n\n")
    lines = head.strip("\n").split("\n")
    matches = [_HEADER_LINE.match(line) for line in lines]
    if not sep or not all(matches) or not any(m.group(1).lower() in KNOWN_FIELDS + ("id",) for m in matches):
        return {}, text
    return {m.group(1).lower(): m.group(2).strip() for m in matches}, rest


def _looks_like_title(body: str) -> bool:
    para = body.lstrip("\n").split("\n\n", 1)[0]
    return "\n" not in para.strip() and len(para.split()) <= 25 and not para.rstrip().endswith((".", "!", "?", '"', "\u201d"))


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_EMPH = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")


def _strip_markdown(text: str) -> str:
    out = []
    for line in text.split("\n"):
        if line.lstrip().startswith("!["):
            continue  # images
        line = _MD_LINK.sub(r"\1", _MD_IMAGE.sub("", line))
        line = _MD_EMPH.sub(r"\2", line)
        line = re.sub(r"^\s{0,3}>\s?", "", line)  # block quotes
        out.append(line)
    return "\n".join(out)


class _HTMLText(HTMLParser):
    """Visible article text, paragraph by paragraph."""

    SKIP = {"script", "style", "nav", "header", "footer", "form", "aside", "noscript", "button",
            "svg", "iframe", "select", "template", "figcaption", "figure", "menu"}
    BLOCK = {"p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "section",
             "article", "br", "tr", "dd", "dt", "pre", "main", "ul", "ol", "table"}
    VOID = {"br", "img", "hr", "meta", "link", "input", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.in_title = False
        self.in_h1 = False
        self.title = ""
        self.h1 = ""
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta":
            key = (a.get("property") or a.get("name") or "").lower()
            if key and a.get("content"):
                self.meta[key] = a["content"]
            return
        if tag == "link" and a.get("rel") == "canonical" and a.get("href"):
            self.meta["canonical"] = a["href"]
        if tag in self.VOID:
            if tag == "br":
                self._flush()
            return
        if self.skip_depth or tag in self.SKIP:
            self.skip_depth += 1
            return
        if tag == "title":
            self.in_title = True
        if tag in self.BLOCK:
            self._flush()
        if tag == "h1":
            self.in_h1 = True

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if self.skip_depth:
            self.skip_depth -= 1
            return
        if tag == "title":
            self.in_title = False
        if tag == "h1":
            self.in_h1 = False
            self.h1 = self.h1 or " ".join("".join(self.current).split())
            self.current = []  # the title is metadata, not a passage
        if tag in self.BLOCK:
            self._flush()

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        elif not self.skip_depth:
            self.current.append(data)

    def _flush(self):
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(text)
        self.current = []


def _read_html(path: Path, rel: str, options: ReadOptions) -> Article:
    raw = _decode(path.read_bytes(), str(path), options.encoding)
    parser = _HTMLText()
    parser.feed(raw)
    parser.close()
    parser._flush()
    text = "\n\n".join(parser.blocks)
    if not text.strip():
        raise InputError(str(path), "no visible article text in the HTML", kind="empty", article_id=rel)
    m = parser.meta
    title = m.get("og:title") or parser.h1 or html.unescape(parser.title.strip()) or None
    date = m.get("article:published_time") or m.get("date") or m.get("pubdate")
    return Article(id=rel, text=text, title=title, outlet=m.get("og:site_name"), date=date,
                   url=m.get("og:url") or m.get("canonical"), source=str(path))


# --- record formats ---------------------------------------------------------------------

def _record_to_article(rec: Any, source: str, options: ReadOptions) -> Article:
    if not isinstance(rec, dict):
        raise InputError(source, f"expected an object with a {options.text_field!r} field, got {type(rec).__name__}")
    raw_id = rec.get(options.id_field)
    given_id = str(raw_id) if raw_id not in (None, "") and raw_id == raw_id else None
    text = rec.get(options.text_field)
    if text is None or (isinstance(text, float) and text != text):
        fields = ", ".join(str(k) for k in list(rec)[:8] if k is not None)
        raise InputError(source, f"record has no {options.text_field!r} field (fields: {fields}); pass --text-field",
                         article_id=given_id)
    if not isinstance(text, str):
        raise InputError(source, f"field {options.text_field!r} is not text", article_id=given_id)
    if not text.strip():
        raise InputError(source, f"field {options.text_field!r} is empty", kind="empty", article_id=given_id)
    art_id = given_id or content_id(text)
    known = {k: (str(rec[k]) if rec.get(k) not in (None, "") else None) for k in KNOWN_FIELDS}
    meta = {("extra_fields" if k is None else str(k)): v for k, v in rec.items()  # None: a CSV row's extra cells
            if k not in {options.text_field, options.id_field, *KNOWN_FIELDS}}
    return Article(id=art_id, text=text.replace("\r\n", "\n"), meta=meta, source=source, **known)


def _read_jsonl_stream(fh: Iterable[bytes], name: str, options: ReadOptions, report,
                       first_line: int = 1, first_byte: int = 0) -> Iterator[Article]:
    """`first_line`, `first_byte`: where `fh` starts in the file (a byte range of it, see partitions.py)."""
    for line in iter_lines(fh, name, first_line, first_byte):
        try:
            text = _decode(line.raw, name, options.encoding, line=line.lineno, base=line.start)
            yield _record_to_article(line.value(text), line.where, options)
        except InputError as err:
            report(err)


def _read_json_file(path: Path, options: ReadOptions, report) -> Iterator[Article]:
    text = _decode(path.read_bytes(), str(path), options.encoding)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}", f"malformed JSON ({exc.msg} at column {exc.colno})") from None
    records = data if isinstance(data, list) else [data]
    for i, rec in enumerate(records):
        try:
            yield _record_to_article(rec, f"{path}[{i}]", options)
        except InputError as err:
            report(err)


def _read_csv(path: Path, options: ReadOptions, report) -> Iterator[Article]:
    csv.field_size_limit(2**31 - 1)
    with open(path, "rb") as fb:
        head = fb.read(8192)
    _decode(head[: max(0, len(head) - 4)], str(path), options.encoding)  # binary or wrong encoding: fail early
    with open(path, newline="", encoding=options.encoding) as fh:
        reader = csv.DictReader(fh)
        try:
            if reader.fieldnames is None:
                raise InputError(str(path), "empty CSV file")
            start = reader.line_num + 1  # a record's first line (reader.line_num is its last)
            for rec in reader:
                try:
                    yield _record_to_article(rec, f"{path}:{start}", options)
                except InputError as err:
                    report(err)
                start = reader.line_num + 1
        except UnicodeDecodeError:
            raise InputError(f"{path}:{reader.line_num}", f"not valid {options.encoding} text; pass --encoding") from None
        except csv.Error as exc:
            raise InputError(f"{path}:{reader.line_num}", f"malformed CSV ({exc})") from None


def _read_parquet(path: Path, options: ReadOptions, report, row_groups: Iterable[int] | None = None,
                  first_row: int = 0) -> Iterator[Article]:
    """`row_groups` (all by default) and the row number of their first row (partitions.py)."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise InputError(str(path), f"not a readable Parquet file ({exc})") from None
    row = first_row
    groups = list(row_groups) if row_groups is not None else None
    for batch in pf.iter_batches(batch_size=1024, row_groups=groups):
        for rec in batch.to_pylist():
            try:
                yield _record_to_article(rec, f"{path}[row {row}]", options)
            except InputError as err:
                report(err)
            row += 1


def _read_hf_dataset(path: Path, rel: str, options: ReadOptions, report) -> Iterator[Article]:
    import datasets

    try:
        ds = datasets.load_from_disk(str(path))
    except Exception as exc:
        raise InputError(str(path), f"not a readable Hugging Face dataset ({exc})") from None
    splits = ds.items() if isinstance(ds, datasets.DatasetDict) else [(None, ds)]
    for split, part in splits:
        for i, rec in enumerate(part):
            name = f"{path}[{split + ', ' if split else ''}row {i}]"
            try:
                yield _record_to_article(rec, name, options)
            except InputError as err:
                report(err)
