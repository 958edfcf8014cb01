"""Segmenting and boilerplate on the shared real corpus (../shared/real-coverage/articles.jsonl).

Measures, on one core (CPU seconds of this process, so other load on the machine does not count):
- segmenting speed (words/s): plain segmenting, and the boilerplate counting pass + segmenting;
- repeated-passage share: passages whose normalised text appears in >= 3 distinct articles
  (target <= 2%), before and after boilerplate removal;
- body-paragraph retention: paragraphs of >= 40 words and two or more sentences whose text is
  found in one article only; share kept (target >= 98%);
- dropped blocks by reason.

Prints figures only (never corpus text). Skips with a reason when the shared corpus is absent.

    python benchmarks/bench_real_corpus.py [--corpus PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stance.articles import iter_articles  # noqa: E402
from stance.boilerplate import Boilerplate, DropStats, _capitalised_share, count_repeats  # noqa: E402
from stance.passages import normalize, segment_article, sentence_spans, split_blocks  # noqa: E402

from stance.passage_text import REAL_COVERAGE_ENV, default_real_coverage  # noqa: E402

SKIP = (f"SKIPPED: the shared real corpus is absent (../shared/real-coverage/articles.jsonl beside the checkout, "
        f"or ${REAL_COVERAGE_ENV}); pass --corpus PATH to a JSON Lines corpus")


def find_corpus(arg: str | None) -> Path | None:
    """--corpus PATH, else the real-coverage file stance itself finds (None: absent)."""
    return Path(arg) if arg else default_real_coverage()


def repeated_share(passages_by_article) -> tuple[int, int, float]:
    seen = defaultdict(int)
    for passages in passages_by_article:
        for key in {normalize(p.text) for p in passages}:
            seen[key] += 1
    total = sum(len(ps) for ps in passages_by_article)
    rep = 0
    for passages in passages_by_article:
        rep += sum(1 for p in passages if seen[normalize(p.text)] >= 3)
    return total, rep, rep / total if total else 0.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus")
    args = ap.parse_args()
    corpus = find_corpus(args.corpus)
    if corpus is None:
        print(SKIP)
        return 0
    articles = list(iter_articles([corpus]))
    words = sum(len(a.text.split()) for a in articles)
    print(f"corpus: {len(articles):,} articles, {words:,} words, "
          f"{sum(len(a.text) for a in articles) / 1e6:.1f} M characters")

    best = float("inf")
    for _ in range(3):
        t = time.process_time()
        plain = [segment_article(a) for a in articles]
        best = min(best, time.process_time() - t)
    print(f"segment (rules only, no boilerplate module): {best:.2f} s, {words / best / 1e6:.2f} M words/s")

    best_count, best_seg = float("inf"), float("inf")
    for _ in range(3):
        t = time.process_time()
        repeated = count_repeats(articles)
        t1 = time.process_time()
        stats = DropStats()
        bp = Boilerplate(repeated)
        clean = [bp.segment(a, stats=stats) for a in articles]
        t2 = time.process_time()
        best_count, best_seg = min(best_count, t1 - t), min(best_seg, t2 - t1)
    print(f"counting pass: {best_count:.2f} s ({words / best_count / 1e6:.2f} M words/s); "
          f"segment with boilerplate: {best_seg:.2f} s ({words / best_seg / 1e6:.2f} M words/s); "
          f"both passes: {words / (best_count + best_seg) / 1e6:.2f} M words/s")
    print(f"repeated block keys kept for the second pass: {len(repeated.keys):,}")

    for name, result in [("rules only (before)", plain), ("with boilerplate", clean)]:
        total, rep, share = repeated_share(result)
        print(f"{name}: {total:,} passages, {rep:,} in >= 3 articles = {share:.2%}")

    # Body paragraphs: blocks of >= 40 words, >= 2 sentences, whose text is in one article only,
    # and that read as prose (at most half the words title-cased: not a list of linked headlines).
    # Kept whole: >= 80% of its characters are in kept passages. Trimmed: a furniture lead
    # (CSS header, "Save this story" buttons) was cut and the rest kept. Lost: the rest.
    block_articles = Counter()
    for a in articles:
        block_articles.update({normalize(a.text[b.start:b.end]) for b in split_blocks(a.text)})
    body = kept = trimmed = 0
    lost_reasons = Counter()
    for a, passages in zip(articles, clean):
        spans = [(p.start, p.end) for p in passages]
        marked = bp.blocks(a)
        for b in split_blocks(a.text):
            chunk = a.text[b.start:b.end]
            words = chunk.split()
            if (len(words) < 40 or len(sentence_spans(chunk)) < 2 or block_articles[normalize(chunk)] != 1
                    or _capitalised_share(words) > 0.5):
                continue
            body += 1
            inside = sum(max(0, min(e, b.end) - max(s, b.start)) for s, e in spans)
            parts = [m for m in marked if m.start >= b.start and m.end <= b.end]
            if inside >= 0.8 * (b.end - b.start):
                kept += 1
            elif len(parts) == 2 and parts[0].boilerplate and inside >= 0.95 * (parts[1].end - parts[1].start):
                trimmed += 1
            else:
                lost_reasons[parts[0].reason if len(parts) == 1 and parts[0].boilerplate else "repeated piece"] += 1
    lost = body - kept - trimmed
    print(f"body paragraphs: {body:,}; kept whole {kept:,}, kept after trimming a furniture lead {trimmed:,}, "
          f"lost {lost:,}: kept {(kept + trimmed) / body:.2%} (strictly whole: {kept / body:.2%}); "
          f"lost by reason: {dict(lost_reasons)}")
    print(f"dropped blocks by reason: {dict(stats.blocks.most_common())}")
    print(f"dropped words by reason: {dict(stats.words.most_common())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
