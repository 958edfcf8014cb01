"""Put blind coders' answers on real-coverage passages into the label store, without the text.

The real-coverage articles are third-party text: the store keeps `passage_id`, `article_id` and
the SHA-256 of the passage text, never the text (`stance.passage_text` reads it back at run time).
Each coder worked from a batch file of passages and wrote one line per passage
(`{"passage_id": ..., "frames": [...]}`); the pilot file holds two coders per line. Run once per
file; kept for provenance.

    STANCE_WRITE_SHIPPED=1 python labels/tools/import_real_labels.py ANSWERS.jsonl --annotator ra1
    STANCE_WRITE_SHIPPED=1 python labels/tools/import_real_labels.py --pilot ../shared/real-coverage/pilot-labels.jsonl

(The coders' disagreements were then settled with `stance adjudicate --labels-dir
labels/real/annotations --texts ../shared/real-coverage/articles.jsonl`, fed each adjudicator's
decisions line by line with `--plain`.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from stance.codebook import load_codebook  # noqa: E402
from stance.labeling.store import Event, LabelStore  # noqa: E402
from stance.passage_text import default_real_coverage, text_sha256  # noqa: E402

STORE = Path(__file__).resolve().parents[1] / "real" / "annotations"


def passage_refs() -> dict[str, tuple[str, str]]:
    """passage_id -> (article_id, text SHA-256) for every passage of the real corpus."""
    from stance.articles import iter_articles
    from stance.passages import iter_passages

    return {p.passage_id: (p.article_id, text_sha256(p.text))
            for p in iter_passages(iter_articles([require_corpus()]))}


def require_corpus() -> Path:
    path = default_real_coverage()
    if path is None:
        sys.exit("the real-coverage corpus is not here; set STANCE_REAL_COVERAGE")
    return path


def write(store: LabelStore, annotator: str, answers: list[tuple[str, list[str]]], refs, source: str) -> None:
    cb = store.codebook
    events = []
    for pid, frames in answers:
        article_id, sha = refs[pid]
        events.append(Event("answer", pid, annotator, article_id=article_id, frames=sorted(frames), codebook=cb.name,
                            codebook_version=cb.version, source=source, text_sha256=sha))
    store.append(events)
    print(f"{annotator}: {len(events)} answers")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("answers", type=Path, nargs="?")
    ap.add_argument("--annotator")
    ap.add_argument("--source", default="label", choices=["label", "adjudicate"])
    ap.add_argument("--pilot", type=Path)
    args = ap.parse_args()
    store = LabelStore(STORE, load_codebook(None))
    refs = passage_refs()
    if args.pilot:
        rows = [json.loads(line) for line in args.pilot.open()]
        for coder in ("a", "b"):
            write(store, f"pilot-{coder}", [(r["passage_id"], r[f"annotator_{coder}"]) for r in rows], refs, "label")
        return
    rows = [json.loads(line) for line in args.answers.open() if line.strip()]
    write(store, args.annotator, [(r["passage_id"], r["frames"]) for r in rows], refs, args.source)


if __name__ == "__main__":
    main()
