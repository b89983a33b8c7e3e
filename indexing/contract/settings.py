"""The one place where configuration lives: every knob, its environment variable, its default.

Both packages read `get_settings()`; nothing else reads os.environ for configuration. The
knobs are grouped by concern, in the order of docs/configuration.md: `settings.redis`,
`settings.catalog`, `settings.cf`, `settings.index`, `settings.serving`, `settings.ab`,
`settings.reliability`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _number(name: str, raw: str | None, default: float, kind: type[int] | type[float]) -> Any:
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError as exc:
        what = "an integer" if kind is int else "a number"
        raise ValueError(f"environment variable {name}={raw!r} is not {what}") from exc


# Each `_*_field(NAME, default)` is a dataclass field read from environment variable NAME when
# the settings are made (tests/unit/test_configuration_doc.py finds them by these calls).
def _str_field(name: str, default: str) -> Any:
    return field(default_factory=lambda: os.environ.get(name, default))


def _int_field(name: str, default: int) -> Any:
    return field(default_factory=lambda: int(_number(name, os.environ.get(name), default, int)))


def _float_field(name: str, default: float) -> Any:
    return field(default_factory=lambda: float(_number(name, os.environ.get(name), default, float)))


def _path_field(name: str, default: str) -> Any:
    """A path; the default is relative to the project folder, a value set to the current one."""
    return field(default_factory=lambda: Path(os.environ.get(name, str(PROJECT_ROOT / default))))


def _flag_field(name: str, default: int) -> Any:
    """On unless the variable is 0."""
    return field(default_factory=lambda: _number(name, os.environ.get(name), default, int) != 0)


def _redis_url_from_env() -> str | None:
    """REDIS_URL wins; else REDIS_HOST/PORT/DB; None means "use the embedded server"."""
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    host = os.environ.get("REDIS_HOST")
    port = os.environ.get("REDIS_PORT")
    db = os.environ.get("REDIS_DB")
    if host or port or db:
        return f"redis://{host or '127.0.0.1'}:{port or 6379}/{db or 0}"
    return None


@dataclass(frozen=True)
class RedisSettings:
    """Which Redis, how to talk to it, and the key prefix that keeps catalogs apart."""

    url: str | None = field(default_factory=_redis_url_from_env)
    embedded_port: int = _int_field("SHOPREC_EMBEDDED_REDIS_PORT", 6389)
    # None: var/redis/<port>, so two embedded servers on two ports never share files.
    embedded_dir: Path | None = field(
        default_factory=lambda: (
            Path(d) if (d := os.environ.get("SHOPREC_EMBEDDED_REDIS_DIR", "")) else None
        )
    )
    key_prefix: str = _str_field("SHOPREC_KEY_PREFIX", "shoprec")
    timeout_s: float = _float_field("SHOPREC_REDIS_TIMEOUT_S", 0.5)
    max_connections: int = _int_field("SHOPREC_REDIS_MAX_CONNECTIONS", 128)


@dataclass(frozen=True)
class CatalogSettings:
    """The input files and the content model built from the catalog's text."""

    products_csv: Path = _path_field("SHOPREC_PRODUCTS_CSV", "data/products.csv")
    interactions_csv: Path = _path_field("SHOPREC_INTERACTIONS_CSV", "data/interactions.csv")
    embedder: str = _str_field("SHOPREC_EMBEDDER", "tfidf")
    content_dims: int = _int_field("SHOPREC_CONTENT_DIMS", 256)
    # Texts per forward pass of the sbert embedder (larger: a little faster, more memory).
    sbert_batch_size: int = _int_field("SHOPREC_SBERT_BATCH_SIZE", 128)
    # Splits a category cell into several ("Books|Music"); empty: one category per cell.
    category_separator: str = _str_field("SHOPREC_CATEGORY_SEPARATOR", "|")
    # A build stops (exit 2, nothing written) when a file loses more than this share of its
    # rows to bad values: a build that silently lost its data is worse than the old one.
    max_dropped_share: float = _float_field("SHOPREC_MAX_DROPPED_SHARE", 0.5)


@dataclass(frozen=True)
class EventWeights:
    """How much one event says about a user's interest (view < click < cart < purchase)."""

    view: float = _float_field("SHOPREC_WEIGHT_VIEW", 1.0)
    click: float = _float_field("SHOPREC_WEIGHT_CLICK", 2.0)
    add_to_cart: float = _float_field("SHOPREC_WEIGHT_ADD_TO_CART", 4.0)
    purchase: float = _float_field("SHOPREC_WEIGHT_PURCHASE", 8.0)
    # A `rating` event counts like this much at the top of the 1..5 scale, scaled by rating/5.
    rating: float = _float_field("SHOPREC_WEIGHT_RATING", 6.0)

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CFSettings:
    """Interactions, time decay, user histories and the collaborative-filtering model.

    The defaults of ease_lambda, half_life_days, history_max_items and query_weighting were
    chosen by `shoprec evaluate --validation` on online-retail's validation split (never its
    test split); docs/quality.md has the grid and the numbers.
    """

    event_weights: EventWeights = field(default_factory=EventWeights)
    half_life_days: float = _float_field("SHOPREC_HALF_LIFE_DAYS", 14.0)
    # "log1p" of the summed decayed event weights (repeat buys count, saturating) or "binary"
    # (any event); binary suits view-heavy logs (docs/quality.md).
    matrix_values: str = _str_field("SHOPREC_CF_MATRIX_VALUES", "log1p")
    # "ease" (item-item closed form, best quality, O(items^3)), "cosine" (low-rank item-kNN,
    # scales to large catalogs) or "auto" (ease up to ease_max_items interacted items).
    model: str = _str_field("SHOPREC_CF_MODEL", "auto")
    ease_lambda: float = _float_field("SHOPREC_CF_EASE_LAMBDA", 300.0)
    ease_max_items: int = _int_field("SHOPREC_CF_EASE_MAX_ITEMS", 12000)
    dims: int = _int_field("SHOPREC_CF_DIMS", 128)
    history_max_items: int = _int_field("SHOPREC_HISTORY_MAX_ITEMS", 300)
    # How the CF query weighs the history items it sums: "uniform" (each of the user's
    # strongest history_max_items counts once; decay only picks which items), "decayed" (the
    # stored decayed interest), "sqrt" or "log1p" of it.
    query_weighting: str = _str_field("SHOPREC_CF_QUERY_WEIGHTING", "uniform")
    popular_max_items: int = _int_field("SHOPREC_POPULAR_MAX_ITEMS", 500)
    # Index-time tuning (indexing/tuning): a build holds out the end of its own log and picks
    # the matrix values, half-life, CF model, EASE lambda, query weighting, history length and
    # hybrid weights from a small grid, starting from the values above.
    tune: bool = _flag_field("SHOPREC_TUNE", 1)
    tune_budget_s: float = _float_field("SHOPREC_TUNE_BUDGET_S", 60.0)
    # Larger validation sets are sampled down to this many users (build time, not quality).
    tune_max_users: int = _int_field("SHOPREC_TUNE_MAX_USERS", 1500)
    # Fewer validation users than this: too noisy to choose by, the build keeps the settings.
    tune_min_users: int = _int_field("SHOPREC_TUNE_MIN_USERS", 50)
    # The learned re-ranker (indexing/rerank): "auto" trains it on the tuning's held-out
    # windows and serves it where, fit one window earlier, it beats the first stage on the
    # validation window; "off" neither trains nor serves one (a service with off ignores a
    # version's model).
    rerank: str = _str_field("SHOPREC_RERANK", "auto")
    # CF and content KNN candidates per side that the re-ranker orders (plus popular ones).
    rerank_candidates: int = _int_field("SHOPREC_RERANK_CANDIDATES", 50)


@dataclass(frozen=True)
class IndexSettings:
    """The vector indexes, and how builds write and retire catalog versions."""

    # Catalogues of up to this many products get FLAT (exact brute-force) vector indexes
    # instead of HNSW; 0 = always HNSW, what the deployment and RedisInsight guide describe.
    flat_max_products: int = _int_field("SHOPREC_FLAT_MAX_PRODUCTS", 0)
    hnsw_m: int = _int_field("SHOPREC_HNSW_M", 16)
    # HNSW insertion is most of the Redis load time (single-threaded in RediSearch 2.10) and
    # scales with ef_construction; 100 halves it from 200, and EF_RUNTIME 100 keeps recall@10
    # above 0.95 on both fields at 50K (`shoprec bench` measures it in every run).
    hnsw_ef_construction: int = _int_field("SHOPREC_HNSW_EF_CONSTRUCTION", 100)
    hnsw_ef_runtime: int = _int_field("SHOPREC_HNSW_EF_RUNTIME", 100)
    load_batch_size: int = _int_field("SHOPREC_LOAD_BATCH_SIZE", 500)
    # How long a replaced version stays in Redis after the swap, so running service workers
    # (which re-read the live version every second) finish their requests on it.
    retire_grace_s: float = _float_field("SHOPREC_RETIRE_GRACE_S", 30.0)
    # The build lock expires this long after its holder stops refreshing it (a killed build).
    build_lock_ttl_s: int = _int_field("SHOPREC_BUILD_LOCK_TTL_S", 60)
    # `reindex` refuses (exit 2) to remove more than this share of the live catalog: a
    # partial or truncated file would otherwise delete the rest.
    max_removed_share: float = _float_field("SHOPREC_MAX_REMOVED_SHARE", 0.2)


@dataclass(frozen=True)
class ServingSettings:
    """The answer cache and the hybrid blend's default weights."""

    cache_ttl_s: int = _int_field("SHOPREC_CACHE_TTL_S", 300)
    # w_cf 0.9 had the best NDCG@10 of {0, 0.25, 0.5, 0.75, 0.9, 1} on online-retail's
    # validation split; 0.1 of content still lifts a few products that CF alone misses.
    w_content: float = _float_field("SHOPREC_W_CONTENT", 0.1)
    w_cf: float = _float_field("SHOPREC_W_CF", 0.9)
    # Comma-separated origins (https://shop.example.com) whose pages may call the API from a
    # browser; empty: no CORS headers at all.
    cors_origins: str = _str_field("SHOPREC_CORS_ORIGINS", "")


@dataclass(frozen=True)
class ABSettings:
    experiment: str = _str_field("SHOPREC_AB_EXPERIMENT", "content-vs-hybrid")
    # "variant:share,variant:share"; shares are normalised.
    split: str = _str_field("SHOPREC_AB_SPLIT", "content:50,hybrid:50")


@dataclass(frozen=True)
class ReliabilitySettings:
    # Every HTTP request answers within this time; past it, 503 (a stalled Redis never hangs
    # the frontend). Not lower: on a saturated CPU, healthy requests queue for up to a second
    # and would be shed as 503s. A stopped Redis is refused at once, far below this.
    request_timeout_s: float = _float_field("SHOPREC_REQUEST_TIMEOUT_S", 2.0)
    # POST /feedback waits for Redis to fsync the event to its append-only file (WAITAOF) and
    # says in `durable` whether it did; 0 answers right after the XADD (durable: false).
    feedback_durable: bool = _flag_field("SHOPREC_FEEDBACK_DURABLE", 1)
    # Below the Redis socket timeout, so a slow fsync is reported as such. Under appendfsync
    # always the fsync is done before Redis answers; under everysec it would not come in time.
    feedback_fsync_timeout_ms: int = _int_field("SHOPREC_FEEDBACK_FSYNC_TIMEOUT_MS", 300)
    # Strict: refuse (503) what Redis did not fsync, so the sender retries. Off by default: a
    # frontend sends feedback fire-and-forget, and on a Redis that cannot fsync every 503 is an
    # event lost.
    feedback_require_durable: bool = _flag_field("SHOPREC_FEEDBACK_REQUIRE_DURABLE", 0)


@dataclass(frozen=True)
class Settings:
    redis: RedisSettings = field(default_factory=RedisSettings)
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    cf: CFSettings = field(default_factory=CFSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    serving: ServingSettings = field(default_factory=ServingSettings)
    ab: ABSettings = field(default_factory=ABSettings)
    reliability: ReliabilitySettings = field(default_factory=ReliabilitySettings)

    def replace(self, **groups: dict[str, Any]) -> Settings:
        """A copy with some values changed, by group: `replace(redis={"url": url})`."""
        changed = {
            name: dataclasses.replace(getattr(self, name), **values)
            for name, values in groups.items()
        }
        return dataclasses.replace(self, **changed)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
