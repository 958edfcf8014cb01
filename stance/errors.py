"""Errors the library raises. Each message says what went wrong *and* what to do about it;
only the CLI turns them into exit codes and one-line messages."""

from __future__ import annotations


class StanceError(Exception):
    """Base class: a problem the user can fix (bad input, stale model, ...). Fatal, so exit status
    2 like a usage error: 1 means a run that finished but skipped some inputs (README, Exit status)."""

    exit_code = 2


class InputError(StanceError):
    """An input file or record cannot be read. `source` names the file (and line or offset)."""

    exit_code = 2

    def __init__(self, source: str, reason: str, kind: str = "unreadable", article_id: str | None = None):
        self.source = source
        self.reason = reason
        self.kind = kind  # "empty" (no text) or "unreadable", as in the profile error report
        self.article_id = article_id  # when the record names one
        super().__init__(f"{source}: {reason}")


class CodebookError(StanceError):
    exit_code = 2


class LabelStoreError(StanceError):
    exit_code = 2


class ModelError(StanceError):
    exit_code = 3


class ShippedDataError(StanceError):
    """A command was about to write into stance's shipped data (labels/, models/, seeds/)."""

    exit_code = 2
