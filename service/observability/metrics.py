"""The service's Prometheus metrics, one definition each, and their exposition.

Under `shoprec serve --workers N` each worker is its own process: prometheus-client's
multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by `serve` before the workers start) keeps
every worker's values in files there, and whichever worker answers `GET /metrics` reports the
sum. Without the variable (one process, the tests) the default in-memory registry is used.
Names and labels are listed in docs/operations.md#metrics.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# No `_created` series beside every counter: twice the lines, and nothing a dashboard reads.
disable_created_metrics()

HTTP_REQUESTS = Counter(
    "shoprec_http_requests_total",
    "HTTP requests answered, by route template and status code",
    ["endpoint", "status"],
)
HTTP_DURATION = Histogram(
    "shoprec_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer, by route template",
    ["endpoint"],
    # Single-digit milliseconds is the target: most buckets below 25 ms.
    buckets=(
        0.0005,
        0.001,
        0.002,
        0.004,
        0.006,
        0.008,
        0.01,
        0.015,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1.0,
        2.5,
    ),
)
CACHE_HITS = Counter(
    "shoprec_cache_hits_total", "Recommendation answers served from the answer cache", ["endpoint"]
)
CACHE_MISSES = Counter(
    "shoprec_cache_misses_total", "Recommendation answers computed by a model", ["endpoint"]
)
PRODUCT_ROWS = Counter(
    "shoprec_product_rows_total",
    "Product rows (cards and vectors) an answer used: cached in the worker, or read from Redis",
    ["source"],
)
FEEDBACK_EVENTS = Counter(
    "shoprec_feedback_events_total",
    "Feedback events stored, by canonical action and whether Redis fsynced them",
    ["action", "durable"],
)
REDIS_ERRORS = Counter(
    "shoprec_redis_errors_total",
    "Requests answered 503 because Redis failed, by the redis-py error class",
    ["kind"],
)
AB_IMPRESSIONS = Counter(
    "shoprec_ab_impressions_total", "A/B answers served, by variant", ["variant"]
)
AB_CLICKS = Counter(
    "shoprec_ab_clicks_total",
    "Feedback (click, add_to_cart, purchase) from users in an A/B variant",
    ["variant"],
)
REPLICA_FALLBACKS = Counter(
    "shoprec_replica_fallbacks_total",
    "Times the vector searches left the read replica for the primary (down, unlinked, lagging)",
)
SHED = Counter(
    "shoprec_shed_total",
    "Requests refused at once with 503 because the worker had its maximum in flight",
)
IN_FLIGHT = Gauge(
    "shoprec_http_requests_in_flight",
    "Requests admitted and not yet answered, summed over the workers",
    multiprocess_mode="livesum",
)
# Set by the worker that answers the scrape, from the live meta: the most recent write wins.
INDEX_VERSION = Gauge(
    "shoprec_index_version", "Live catalog version number", multiprocess_mode="mostrecent"
)
INDEX_AGE = Gauge(
    "shoprec_index_age_seconds",
    "Seconds since the live catalog version was built",
    multiprocess_mode="mostrecent",
)

# The PostgreSQL jobs (docs/postgres.md), read from Redis at scrape time; 0 until they ran.
FEEDBACK_SINK_BACKLOG = Gauge(
    "shoprec_feedback_sink_backlog",
    "Feedback events feedback-sink has not stored in PostgreSQL yet",
    multiprocess_mode="mostrecent",
)
INGEST_MARK = Gauge(
    "shoprec_ingest_mark_timestamp_seconds",
    "Time of the newest source event shoprec ingest applied (its high-water mark)",
    multiprocess_mode="mostrecent",
)


def exposition() -> tuple[bytes, str]:
    """The text format body of every metric (summed over workers) and its content type."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def share_metrics_between_workers() -> None:
    """Before `serve` starts its worker processes: a fresh folder for their metric files (an
    operator's own PROMETHEUS_MULTIPROC_DIR is kept), removed when the server stops."""
    if os.environ.get(MULTIPROC_ENV):
        return
    folder = tempfile.mkdtemp(prefix="shoprec-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
