"""The raw terminal of a labelling session: single keypresses in cbreak mode, the screen drawn on
the alternate screen, and the interactive loop. The only module that imports termios/tty, so it is
imported only when `stance label` or `stance adjudicate` runs on a TTY (not on Windows, not with
--plain, not by `import stance`)."""

from __future__ import annotations

import os
import re
import signal
import termios
import textwrap
import tty
from typing import IO, Iterator

from .session import QUIT, HELP, Session, codebook_help, review_lines

DIM, BOLD, RESET = "\x1b[2m", "\x1b[1m", "\x1b[0m"


# --- what the screen shows ------------------------------------------------------------------

def render(session: Session, width: int, color: bool = True) -> str:
    """The whole screen for the current item, as text with ANSI styling."""
    cb, item = session.codebook, session.current
    width = max(40, min(width, 100))
    dim = (lambda s: DIM + s + RESET) if color else (lambda s: s)
    bold = (lambda s: BOLD + s + RESET) if color else (lambda s: s)
    done, total = session.progress()
    verb = session.source if session.source in ("adjudicate", "review") else "label"
    lines = [bold(f"stance {verb}") + f" · {session.annotator} · {cb.name} {cb.version}"
             + f" · {done}/{total} done" + (f" · {session.skipped} skipped" if session.skipped else "")]
    counts = session.frame_counts()
    lines.append(dim("so far: " + " · ".join(f"{k} {counts[k]}" for k in cb.frame_keys + ["none"])))
    if item is None:
        lines += ["", "All passages are answered."]
        return "\n".join(lines)
    where = item.title or item.article_id
    head = f"“{where}”" + (f" — {item.outlet}" if item.outlet else "")
    if item.position:
        head += f" · passage {item.position}" + (f"/{item.article_size}" if item.article_size else "")
    if len(item.members) > 1:
        head += f" · same text in {len(item.members) - 1} more passage(s)"
    lines.append(head)
    if item.previous:  # the end of the passage before, dimmed, above the rule
        prev = textwrap.wrap(item.previous, width - 2)
        lines += [dim(("… " if i == 0 and len(prev) > 3 else "  ") + line) for i, line in enumerate(prev[-3:])]
    lines.append("─" * width)
    for para in item.text.split("\n"):
        lines += textwrap.wrap(para, width) or [""]
    lines.append("─" * width)
    if item.votes:
        lines.append("Annotators" + dim(" (frames they all chose are pre-selected)") + ":")
        lines += [f"  {a}: {', '.join(fr) or 'none'}" for a, fr in item.votes.items()]
    lines += [bold(line) if line.startswith("gold:") else line for line in review_lines(item)]
    suggested = session.suggested
    for f in cb.frames:
        mark = "[x]" if f.key in session.toggled else "[ ]"
        note = "  (suggested)" if suggested and f.key in suggested else ""
        line = f"  {mark} {f.hotkey}  {f.name}{note}"
        lines.append(bold(line) if f.key in session.toggled else line)
    lines.append(f"      {cb.none_hotkey}  {cb.none_name} (or n): answer and move on")
    if session.message:
        lines.append(session.message)
    enter = "Enter accept" + ("" if cb.multi_label else " (hotkeys answer at once)")
    lines.append(dim(f"{enter} · s skip · u undo · ? codebook · q quit"))
    return "\n".join(lines)


class Terminal:
    """Single keypresses from a TTY in cbreak mode, drawing on the alternate screen.
    The terminal is restored on exit, on exceptions, and on SIGTERM/SIGHUP."""

    def __init__(self, fd: int, out: IO[str]):
        self.fd, self.out = fd, out
        self._saved = None
        self._handlers: dict[int, object] = {}

    def __enter__(self) -> "Terminal":
        self._saved = termios.tcgetattr(self.fd)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            self._handlers[sig] = signal.signal(sig, _interrupt)
        tty.setcbreak(self.fd)
        self.out.write("\x1b[?1049h\x1b[?25l")  # alternate screen, hide cursor
        self.out.flush()
        return self

    def __exit__(self, *exc) -> None:
        self.out.write("\x1b[?25h\x1b[?1049l")
        self.out.flush()
        if self._saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
        for sig, handler in self._handlers.items():
            signal.signal(sig, handler)

    def size(self) -> tuple[int, int]:
        try:
            size = os.get_terminal_size(self.fd)
            return size.columns, size.lines
        except OSError:
            return 80, 24

    def draw(self, text: str) -> None:
        self.out.write("\x1b[H\x1b[2J" + text)
        self.out.flush()

    def keys(self) -> Iterator[str]:
        """Keys one by one; escape sequences (arrows, function keys) are dropped."""
        while True:
            raw = os.read(self.fd, 64)
            if not raw:
                return
            text = re.sub(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?", "", raw.decode("utf-8", errors="ignore"))
            yield from text


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def run_terminal(session: Session, term: Terminal) -> None:
    """The interactive loop: draw, read a key, act, until q, Ctrl-C or no passages left."""
    width, height = term.size()
    term.draw(render(session, width))
    keys = term.keys()
    try:
        for key in keys:
            action = session.press(key)
            if action == QUIT:
                return
            if action == HELP:
                _page(term, codebook_help(session.codebook, term.size()[0]), keys)
            if session.current is None:
                return
            term.draw(render(session, term.size()[0]))
    except KeyboardInterrupt:
        return


def _page(term: Terminal, lines: list[str], keys: Iterator[str]) -> None:
    """Show lines a screenful at a time; any key for more, q to go back."""
    rows = max(5, term.size()[1] - 1)
    for start in range(0, len(lines), rows):
        more = start + rows < len(lines)
        term.draw("\n".join(lines[start:start + rows]) + "\n" + DIM
                  + ("any key: more · q: back" if more else "any key: back to the passage") + RESET)
        if next(keys, "q") == "q":
            return
