"""Assemble the gold corpus from the writers' and annotators' raw files (run once, kept for provenance).

Inputs (outside the repository, made by the writing and annotation sessions described in
labels/README.md): one JSONL per writer (article_id, writer, title, outlet, date, form, index,
text, frames, intensity, topic) and one JSONL per blind second annotator (article_id, index,
frames[, topic]).

Outputs:
- labels/corpus/articles.jsonl  one article per line (readable by every stance command)
- labels/corpus/passages.jsonl  passage metadata: passage_id, article_id, index, writer, topic, intensity
- labels/corpus/splits.csv      article_id -> train/test, 20% of each writer's articles in test
- import files (one per annotator) that `stance import` loads into labels/annotations/

    python labels/tools/assemble_corpus.py --writers DIR... --second FILE:NAME... --import-dir DIR
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from stance.articles import Article  # noqa: E402
from stance.passages import segment_article  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
MIN_PASSAGES, MAX_PASSAGES = 6, 15
TEST_SHARE = 0.2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--writers", nargs="+", type=Path, help="writer JSONL files")
    ap.add_argument("--second", nargs="+", help="FILE:ANNOTATOR[:topic] second-annotator files")
    ap.add_argument("--import-dir", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=20261128)
    args = ap.parse_args()

    rows = [json.loads(line) for f in args.writers for line in open(f, encoding="utf-8") if line.strip()]
    articles = defaultdict(list)
    for r in rows:
        articles[r["article_id"]].append(r)
    dropped = [a for a, ps in articles.items() if not MIN_PASSAGES <= len(ps) <= MAX_PASSAGES]
    for a in dropped:
        print(f"dropping {a}: {len(articles[a])} passages (outside {MIN_PASSAGES}-{MAX_PASSAGES})", file=sys.stderr)
        del articles[a]

    second_topics = {}
    second = {}
    for spec in args.second:
        path, name = spec.split(":")[:2]
        for line in open(path, encoding="utf-8"):
            rec = json.loads(line)
            key = (rec["article_id"], rec["index"])
            if "topic" in rec:
                second_topics[key] = rec["topic"]
            if "frames" in rec:
                second.setdefault(name, {})[key] = rec["frames"]

    CORPUS.mkdir(parents=True, exist_ok=True)
    args.import_dir.mkdir(parents=True, exist_ok=True)
    by_writer = defaultdict(list)
    imports = defaultdict(list)
    with open(CORPUS / "articles.jsonl", "w", encoding="utf-8") as fa, open(CORPUS / "passages.jsonl", "w", encoding="utf-8") as fp:
        for aid in sorted(articles, key=_article_order):
            ps = sorted(articles[aid], key=lambda r: r["index"])
            head = ps[0]
            text = "\n\n".join(p["text"] for p in ps)
            article = Article(id=aid, text=text)
            segmented = segment_article(article)
            if [s.text for s in segmented] != [p["text"] for p in ps]:
                raise SystemExit(f"{aid}: segmenting the article does not give back its passages")
            by_writer[head["writer"]].append(aid)
            fa.write(json.dumps({"id": aid, "title": head["title"], "outlet": head["outlet"], "date": head["date"],
                                 "writer": head["writer"], "form": head.get("form"), "text": text},
                                ensure_ascii=False) + "\n")
            for p, s in zip(ps, segmented):
                key = (aid, p["index"])
                topic = p.get("topic") or second_topics.get(key)
                fp.write(json.dumps({"passage_id": s.passage_id, "article_id": aid, "index": p["index"],
                                     "writer": p["writer"], "topic": topic, "intensity": p["intensity"]},
                                    ensure_ascii=False) + "\n")
                base = {"passage_id": s.passage_id, "article_id": aid, "index": p["index"], "text": p["text"]}
                imports[p["writer"]].append({**base, "frames": p["frames"]})
                for name, labels in second.items():
                    if key in labels:
                        imports[name].append({**base, "frames": labels[key]})

    with open(CORPUS / "splits.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["article_id", "split"])
        for writer in sorted(by_writer):
            ids = sorted(by_writer[writer], key=_article_order)
            rng = random.Random(f"{args.seed}-{writer}")  # one writer's split never moves another's
            test = set(rng.sample(ids, round(len(ids) * TEST_SHARE)))
            for aid in ids:
                w.writerow([aid, "test" if aid in test else "train"])
    for name, recs in imports.items():
        with open(args.import_dir / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for r in recs:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{name}: {len(recs)} labels", file=sys.stderr)
    print(f"{len(articles)} articles, {sum(len(v) for v in articles.values())} passages", file=sys.stderr)


def _article_order(aid: str):
    writer, num = aid.split("-")
    return (int(writer[1:]), int(num))


if __name__ == "__main__":
    main()
