"""The label scheme as data. Frames come from a codebook file, never from literals in code, so
a researcher can label and train on a scheme of their own (`--codebook`)."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import CodebookError
from .paths import default_codebook

_FRAME_FIELDS = {"key", "name", "hotkey", "definition", "include", "exclude", "examples"}
_TOP_FIELDS = {"name", "version", "description", "multi_label", "unit", "carried", "none", "frames"}
_NONE_FIELDS = {"name", "hotkey", "definition"}
RESERVED_KEYS = {"u", "s", "q", "?", "n", "\r", "\n", " "}  # the session's own keys


@dataclass(frozen=True)
class Frame:
    key: str
    name: str
    hotkey: str
    definition: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Codebook:
    name: str
    version: str
    frames: tuple[Frame, ...]
    multi_label: bool = True
    description: str = ""
    unit: str = ""
    carried: str = ""
    none_name: str = "None"
    none_hotkey: str = "0"
    none_definition: str = ""
    path: str = field(default="", compare=False)

    @property
    def frame_keys(self) -> list[str]:
        return [f.key for f in self.frames]

    def frame(self, key: str) -> Frame:
        for f in self.frames:
            if f.key == key:
                return f
        raise KeyError(key)

    def by_hotkey(self) -> dict[str, Frame]:
        return {f.hotkey: f for f in self.frames}

    def content(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("path")
        return d

    def hash(self) -> str:
        """SHA-256 of the scheme's content (not its file formatting): models record it."""
        blob = json.dumps(self.content(), sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    def check_frames(self, frames: list[str], where: str) -> None:
        unknown = [f for f in frames if f not in self.frame_keys]
        if unknown:
            raise CodebookError(f"{where}: frame {unknown[0]!r} is not in codebook {self.name!r} "
                                f"(frames: {', '.join(self.frame_keys)})")


def read_toml(path: Path, missing: str) -> dict[str, Any]:
    """A TOML file's content; `missing` is the remedy when the file does not exist."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CodebookError(f"{path}: {missing}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CodebookError(f"{path}: not valid TOML ({exc})") from None


def load_codebook(path: str | Path | None = None) -> Codebook:
    path = Path(path) if path else default_codebook()
    raw = read_toml(path, "codebook not found; pass --codebook with a TOML codebook file")
    return parse_codebook(raw, str(path))


def parse_codebook(raw: dict[str, Any], where: str = "codebook") -> Codebook:
    def fail(msg: str) -> CodebookError:
        return CodebookError(f"{where}: {msg}")

    unknown = set(raw) - _TOP_FIELDS
    if unknown:
        raise fail(f"unknown field {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(_TOP_FIELDS))})")
    for req in ("name", "version", "frames"):
        if req not in raw:
            raise fail(f"missing field {req!r}")
    if not isinstance(raw["frames"], list) or not raw["frames"]:
        raise fail("'frames' must be a non-empty list of [[frames]] tables")
    none = raw.get("none", {})
    if set(none) - _NONE_FIELDS:
        raise fail(f"unknown field 'none.{sorted(set(none) - _NONE_FIELDS)[0]}'")
    frames, keys, hotkeys = [], set(), {str(none.get("hotkey", "0"))}
    for i, fr in enumerate(raw["frames"]):
        label = f"frames[{i}]"
        if not isinstance(fr, dict):
            raise fail(f"{label} must be a table")
        extra = set(fr) - _FRAME_FIELDS
        if extra:
            raise fail(f"unknown field '{label}.{sorted(extra)[0]}' (allowed: {', '.join(sorted(_FRAME_FIELDS))})")
        for req in ("key", "name", "hotkey", "definition"):
            if not fr.get(req):
                raise fail(f"missing field '{label}.{req}'")
        key, hotkey = str(fr["key"]), str(fr["hotkey"])
        if key == "none" or not key.replace("_", "").isalnum():
            raise fail(f"'{label}.key' {key!r} must be letters, digits and underscores, and not 'none'")
        if key in keys:
            raise fail(f"duplicate key '{label}.key' = {key!r}")
        if len(hotkey) != 1 or hotkey in RESERVED_KEYS:
            raise fail(f"'{label}.hotkey' {hotkey!r} must be one character and not one of u s q ? n")
        if hotkey in hotkeys:
            raise fail(f"duplicate hotkey '{label}.hotkey' = {hotkey!r}")
        for listed in ("include", "exclude", "examples"):
            if not isinstance(fr.get(listed, []), list):
                raise fail(f"'{label}.{listed}' must be a list of strings")
        keys.add(key)
        hotkeys.add(hotkey)
        frames.append(Frame(key=key, name=str(fr["name"]), hotkey=hotkey, definition=str(fr["definition"]).strip(),
                            include=tuple(fr.get("include", [])), exclude=tuple(fr.get("exclude", [])),
                            examples=tuple(fr.get("examples", []))))
    return Codebook(name=str(raw["name"]), version=str(raw["version"]), frames=tuple(frames),
                    multi_label=bool(raw.get("multi_label", True)), description=raw.get("description", ""),
                    unit=raw.get("unit", ""), carried=raw.get("carried", "").strip(),
                    none_name=none.get("name", "None"), none_hotkey=str(none.get("hotkey", "0")),
                    none_definition=none.get("definition", "").strip(), path=where)
