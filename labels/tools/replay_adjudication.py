"""Feed an adjudicator's decisions into `stance adjudicate --plain` (run once, kept for provenance).

The adjudicators of the gold corpus worked from the disagreement list (`stance agreement
--disagreements --json`) and wrote one decision per passage (passage_id, frames, reason). This
drives the real adjudication session with those decisions: it reads each prompt, finds the
passage by its text, and answers with the frames' hotkeys, so the rulings enter the label store
exactly as typed answers do.

    python labels/tools/replay_adjudication.py DECISIONS.jsonl --annotator adj1 --labels-dir labels/annotations
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from stance.codebook import load_codebook  # noqa: E402
from stance.passages import normalize  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("decisions", type=Path)
    ap.add_argument("--annotator", required=True)
    ap.add_argument("--labels-dir", default="labels/annotations")
    ap.add_argument("--texts", type=Path, required=True, help="disagreements JSON (passage_id -> text)")
    args = ap.parse_args()
    cb = load_codebook()
    texts = {d["passage_id"]: d["text"] for d in json.loads(args.texts.read_text())["disagreements"]}
    answers = {}
    for line in open(args.decisions, encoding="utf-8"):
        d = json.loads(line)
        keys = [cb.frame(f).hotkey for f in d["frames"]]
        answers[_key(texts[d["passage_id"]])] = ",".join(keys) or cb.none_hotkey
    proc = subprocess.Popen([sys.executable, "-m", "stance", "adjudicate", "--annotator", args.annotator,
                             "--labels-dir", args.labels_dir, "--plain"],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    answered = 0
    buf = ""
    while True:
        ch = proc.stderr.read(1)
        if not ch:
            break
        buf += ch
        if not buf.endswith("\n> "):
            continue
        lines = buf.splitlines()
        start = max(i for i, l in enumerate(lines) if l.startswith("["))
        body = []
        for l in lines[start + 1:]:
            if l.startswith("  annotators:"):
                break
            body.append(l.strip())
        key = _key(" ".join(body))
        answer = answers.get(key, "q")  # the rest belongs to another adjudicator
        answered += answer != "q"
        proc.stdin.write(answer + "\n")
        proc.stdin.flush()
        buf = ""
    proc.wait()
    print(f"{args.annotator}: answered {answered} of {len(answers)} decisions", file=sys.stderr)


def _key(text: str) -> str:
    """The prompt wraps text (also at hyphens), so compare without any whitespace."""
    return "".join(normalize(text).split())


if __name__ == "__main__":
    main()
