"""The one place where configuration lives: every knob, its environment variable, its default.

Both packages read `get_settings()`; nothing else reads os.environ for configuration. The
knobs are grouped by concern, in the order of docs/configuration.md: `settings.redis`,
`settings.catalog`, `settings.cf`, `settings.index`, `settings.serving`, `settings.ab`,
`settings.reliability`, `settings.observability`, `settings.postgres`, `settings.access`,
`settings.abuse`, `settings.resources`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# SHOPREC_EXCLUDE_SEEN and the `exclude_seen` parameter: a user's lists leave out what the
# user bought; or also what they added to a cart; or anything in their history (viewed and
# clicked too). Each leaves out everything the one before it does.
SEEN_POLICIES = ("bought", "carted", "all")
# Measured with `shoprec evaluate --exclude-seen` (docs/quality.md#seen-policy): "all" had the
# best NDCG@10 on new products on the demo data (0.153 vs 0.123 for "bought") and tied on
# online-retail (purchases only); "bought" wins only where re-viewing a seen product counts.
DEFAULT_SEEN_POLICY = "all"


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


def _source_field(name: str, default: str) -> Any:
    """A CSV path (the default relative to the project folder, a value set to the current
    one), or a postgresql:// URL kept as written (a Path would fold its `//`); see
    indexing.load.row_source."""

    def read() -> Path | str:
        value = os.environ.get(name, "")
        if value.startswith(("postgresql://", "postgres://")):
            return value
        return Path(value) if value else PROJECT_ROOT / default

    return field(default_factory=read)


def _flag_field(name: str, default: int) -> Any:
    """On unless the variable is 0."""
    return field(default_factory=lambda: _number(name, os.environ.get(name), default, int) != 0)


def _choice_field(name: str, default: str, choices: tuple[str, ...]) -> Any:
    """One of `choices`; any other value stops the settings with a message that lists them."""

    def read() -> str:
        raw = os.environ.get(name, default) or default
        if raw not in choices:
            raise ValueError(
                f"environment variable {name}={raw!r} must be one of {', '.join(choices)}"
            )
        return raw

    return field(default_factory=read)


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
    # A replica of `url` (started with --replicaof) for the service's vector searches; unset:
    # everything on `url`. Builds and writes always go to `url`.
    read_url: str | None = field(default_factory=lambda: os.environ.get("REDIS_READ_URL") or None)
    # Where user state lives (histories, bought/carted/dismissed sets, decay windows, personal
    # cached answers, A/B counters and variants, feedback rate windows, the feedback stream): a
    # Redis Cluster (found by INFO cluster) or a plain Redis; unset: all of it on `url`.
    state_url: str | None = field(default_factory=lambda: os.environ.get("REDIS_STATE_URL") or None)
    # How many streams the feedback stream is split into by user (RedisLayout.feedback_streams):
    # more than one spreads the appends over a cluster's nodes. Raise it freely; lower it only
    # after a build has folded the streams it drops.
    feedback_streams: int = _int_field("SHOPREC_FEEDBACK_STREAMS", 1)

    def __post_init__(self) -> None:
        if not 1 <= self.feedback_streams <= 1024:
            raise ValueError(
                f"SHOPREC_FEEDBACK_STREAMS must be between 1 and 1024, not {self.feedback_streams}"
            )


@dataclass(frozen=True)
class CatalogSettings:
    """The input files and the content model built from the catalog's text."""

    products_csv: Path | str = _source_field("SHOPREC_PRODUCTS_CSV", "data/products.csv")
    interactions_csv: Path | str = _source_field(
        "SHOPREC_INTERACTIONS_CSV", "data/interactions.csv"
    )
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
    # A dismissed product pulls the CF query away from itself, counting as this many average
    # history products with a negative sign (0: dismissals are only left out of answers).
    # The logs hold no dismissals; on a proxy (scripts/dismissal_weight.py, docs/quality.md)
    # every weight costs NDCG@10, 0.05 within noise (-0.002), 1 a fifth; 0.05 still moves a
    # dismissed product's CF neighbours down.
    dismiss_weight: float = _float_field("SHOPREC_CF_DISMISS_WEIGHT", 0.05)
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
    """The answer cache, the hybrid blend's default weights, CORS, and what a user's lists
    leave out."""

    cache_ttl_s: int = _int_field("SHOPREC_CACHE_TTL_S", 300)
    # w_cf 0.9 had the best NDCG@10 of {0, 0.25, 0.5, 0.75, 0.9, 1} on online-retail's
    # validation split; 0.1 of content still lifts a few products that CF alone misses.
    w_content: float = _float_field("SHOPREC_W_CONTENT", 0.1)
    w_cf: float = _float_field("SHOPREC_W_CF", 0.9)
    # Comma-separated origins (https://shop.example.com) whose pages may call the API from a
    # browser; empty: no CORS headers at all.
    cors_origins: str = _str_field("SHOPREC_CORS_ORIGINS", "")
    # What a user's own lists (user, hybrid, A/B) leave out of what that user did; dismissed
    # products always. See SEEN_POLICIES; the default is measured in docs/quality.md.
    exclude_seen: str = _choice_field("SHOPREC_EXCLUDE_SEEN", DEFAULT_SEEN_POLICY, SEEN_POLICIES)


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
    # Requests one worker works on at once; past it, 503 with Retry-After at once instead of
    # a queue that makes every answer late. 0: no bound.
    max_in_flight: int = _int_field("SHOPREC_MAX_IN_FLIGHT", 32)


@dataclass(frozen=True)
class ObservabilitySettings:
    # `json`: one JSON line per request (method, path, status, ms, cache hit, A/B variant,
    # request id) on the `shoprec.access` logger, for a log pipeline; `text`: uvicorn's own.
    log_format: str = _str_field("SHOPREC_LOG_FORMAT", "text")

    def __post_init__(self) -> None:
        if self.log_format not in ("text", "json"):
            raise ValueError(f"SHOPREC_LOG_FORMAT must be text or json, not {self.log_format!r}")


@dataclass(frozen=True)
class PostgresSettings:
    """PostgreSQL as a source, `shoprec ingest` and `shoprec feedback-sink` (docs/postgres.md)."""

    # Rows per fetch from a server-side cursor: the memory a read holds beyond what it keeps.
    batch_size: int = _int_field("SHOPREC_PG_BATCH_SIZE", 5000)
    # `shoprec ingest`'s events: a postgresql://...?table= or ?query= URL (docs/postgres.md).
    ingest_source: str = _str_field("SHOPREC_INGEST_SOURCE", "")
    # Seconds between two reads of `shoprec ingest --follow` (its default).
    follow_s: float = _float_field("SHOPREC_INGEST_FOLLOW_S", 10.0)
    # `shoprec feedback-sink`'s database (a postgresql:// URL) and table.
    sink_url: str = _str_field("SHOPREC_FEEDBACK_SINK_URL", "")
    sink_table: str = _str_field("SHOPREC_FEEDBACK_SINK_TABLE", "shoprec_feedback")


@dataclass(frozen=True)
class AccessSettings:
    """Who may call what (docs/security.md). Every key unset: everything open, as `make run`
    serves it on loopback."""

    # The shop backend's key: POST /feedback for any user (and personalised reads).
    api_key: str = _str_field("SHOPREC_API_KEY", "")
    # The operator's key: the A/B report, the insight page's data, user listings; also
    # accepted wherever the API key is.
    admin_key: str = _str_field("SHOPREC_ADMIN_KEY", "")
    # HMAC secret of the per-user browser tokens; empty: SHOPREC_API_KEY signs them, so a
    # backend holding the API key can mint tokens without a second secret.
    token_secret: str = _str_field("SHOPREC_TOKEN_SECRET", "")
    # Personalised reads (user, hybrid with a user_id, ab) need the user's token or a key.
    require_user_token: bool = _flag_field("SHOPREC_REQUIRE_USER_TOKEN", 0)

    @property
    def signing_secret(self) -> str:
        return self.token_secret or self.api_key


@dataclass(frozen=True)
class AbuseSettings:
    """Bounds on what one user (or a flood on one product) can move (docs/security.md)."""

    # Sliding-window rate limits on POST /feedback (0 = no limit). A real demo shopper sends
    # at most 11 events a minute; a hot product of the demo gets 6.
    feedback_window_s: float = _float_field("SHOPREC_FEEDBACK_WINDOW_S", 60.0)
    feedback_per_user: int = _int_field("SHOPREC_FEEDBACK_PER_USER", 60)
    feedback_per_product: int = _int_field("SHOPREC_FEEDBACK_PER_PRODUCT", 600)
    # The most interest one user's history holds for one product, in event-weight units at the
    # time of their latest event on it (64 = 8 purchases). No pair of the demo data reaches
    # it; 18 of online-retail's 266K pairs (one wholesaler) do.
    max_user_product_interest: float = _float_field("SHOPREC_MAX_USER_PRODUCT_INTEREST", 64.0)
    # The most one user adds to one product's popularity (16 = 2 purchases): the demo's
    # top 500 popular products stay the same 500.
    max_user_product_popularity: float = _float_field("SHOPREC_MAX_USER_PRODUCT_POPULARITY", 16.0)


@dataclass(frozen=True)
class ResourceSettings:
    """Bounds on what clients can make the service and its Redis hold (docs/security.md)."""

    # The embedded Redis's memory cap, in Redis's units (1gb, 512mb; 0: none). At the cap Redis
    # evicts the least recently used key *with a TTL* (volatile-lru): cached answers, never the
    # catalog, histories or feedback, which carry none. 1gb holds a 50K-product catalog through
    # a rebuild (two versions side by side); a larger catalog needs more.
    embedded_redis_maxmemory: str = _str_field("SHOPREC_EMBEDDED_REDIS_MAXMEMORY", "1gb")
    # An answer larger than this (JSON bytes) is served but not cached: top_k 100 with long
    # titles stays well below it, a crafted one cannot fill the cache.
    cache_max_answer_bytes: int = _int_field("SHOPREC_CACHE_MAX_ANSWER_BYTES", 65536)
    # Product rows (card and vectors) each worker keeps, the most recently used
    # (service/store/product_rows.py): ~3.3 KB apiece with 256-d content and 128-d CF vectors,
    # so the default holds a 10K-product catalog in ~33 MB a worker. 0: every row from Redis.
    product_cache_items: int = _int_field("SHOPREC_PRODUCT_CACHE_ITEMS", 10000)
    # The request line and headers together; past it the server answers 431 and closes. Room
    # for the longest query the API takes (an `exclude` of 20,000 characters).
    http_max_header_bytes: int = _int_field("SHOPREC_HTTP_MAX_HEADER_BYTES", 32768)
    http_max_headers: int = _int_field("SHOPREC_HTTP_MAX_HEADERS", 100)
    # A connection must finish its request line and headers this soon after it opens (or
    # after the first byte of its next request): a slow-header client is answered 408.
    http_header_timeout_s: float = _float_field("SHOPREC_HTTP_HEADER_TIMEOUT_S", 10.0)
    # An idle keep-alive connection is closed after this many seconds.
    http_keep_alive_s: int = _int_field("SHOPREC_HTTP_KEEP_ALIVE_S", 5)
    # With --workers > 1 the supervisor kills a worker that does not answer its health ping
    # this soon, starting up included. A worker's imports take ~3 s of CPU; on a busy machine
    # (a build beside it) that is 15-20 s of wall time, and uvicorn's own 5 s killed every
    # worker before it served, over and over.
    worker_start_timeout_s: int = _int_field("SHOPREC_WORKER_START_TIMEOUT_S", 60)


@dataclass(frozen=True)
class Settings:
    redis: RedisSettings = field(default_factory=RedisSettings)
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    cf: CFSettings = field(default_factory=CFSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    serving: ServingSettings = field(default_factory=ServingSettings)
    ab: ABSettings = field(default_factory=ABSettings)
    reliability: ReliabilitySettings = field(default_factory=ReliabilitySettings)
    observability: ObservabilitySettings = field(default_factory=ObservabilitySettings)
    postgres: PostgresSettings = field(default_factory=PostgresSettings)
    access: AccessSettings = field(default_factory=AccessSettings)
    abuse: AbuseSettings = field(default_factory=AbuseSettings)
    resources: ResourceSettings = field(default_factory=ResourceSettings)

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
