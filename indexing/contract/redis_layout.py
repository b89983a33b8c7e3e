"""Every Redis key name shoprec uses, in one place.

Versioned data (products, histories, popularity) lives under `{prefix}:v{n}:...`, so a full
rebuild writes a new version beside the live one and readers switch by following the alias
and the metadata key. Data that must outlive a rebuild (feedback stream, dismissals, A/B
counters, the build lock) has no version in its name.

Every key that belongs to one user ends in `{user_id}` (`user_key`): the braces are a Redis
Cluster hash tag, so a user's keys share one slot and the feedback path's transaction and
scripts over them run on one node when the user state lives on a cluster (REDIS_STATE_URL).
On a plain Redis the braces are just characters of the name.
"""

from __future__ import annotations

import functools
import itertools
import zlib
from dataclasses import dataclass

from redis.crc import key_slot


@dataclass(frozen=True)
class RedisLayout:
    prefix: str = "shoprec"

    # --- unversioned ------------------------------------------------------------------
    @property
    def alias(self) -> str:
        """The RediSearch alias readers query; it points at the live version's index."""
        return f"{self.prefix}:products"

    @property
    def meta(self) -> str:
        """Hash describing the live version (version, build time, counts, parameters)."""
        return f"{self.prefix}:meta"

    @property
    def version_counter(self) -> str:
        return f"{self.prefix}:version_counter"

    @property
    def build_lock(self) -> str:
        return f"{self.prefix}:build_lock"

    @property
    def retired_versions(self) -> str:
        """Hash version -> epoch seconds it stopped being live; dropped after the grace period."""
        return f"{self.prefix}:retired"

    @property
    def feedback_stream(self) -> str:
        return f"{self.prefix}:feedback"

    def feedback_streams(self, count: int) -> tuple[str, ...]:
        """The feedback stream split `count` ways (SHOPREC_FEEDBACK_STREAMS): `feedback_stream`
        first (so one stream is the stream it always was), then `{prefix}:feedback:{tag}`,
        the i-th tag one whose cluster slot lies in the i-th of `count` equal parts of the
        slot space: a cluster assigns slots in even ranges, so the streams spread over its
        nodes."""
        extra = (f"{self.feedback_stream}:{{{_tag_in(i, count)}}}" for i in range(1, count))
        return (self.feedback_stream, *extra)

    def feedback_stream_of(self, user_id: str, count: int) -> str:
        """The stream of `feedback_streams(count)` a user's events go to (by a stable hash)."""
        if count <= 1:
            return self.feedback_stream
        return self.feedback_streams(count)[zlib.crc32(user_id.encode()) % count]

    @property
    def ingest_mark(self) -> str:
        """Hash of `shoprec ingest`'s high-water mark: `ts` (epoch seconds of the newest event
        applied) and the `version` it was applied to."""
        return f"{self.prefix}:ingest:mark"

    @property
    def feedback_sink_group(self) -> str:
        """Consumer group of `shoprec feedback-sink` on the feedback stream (not a key: the
        stream holds the group and its unacknowledged entries)."""
        return f"{self.prefix}:feedback-sink"

    @property
    def merch_rules(self) -> str:
        """Hash of the merchandising rules: `rules` (a JSON list) and `generation` (bumped by
        every change, so cached answers made under other rules are not served); see
        service/store/rules_store.py and docs/merchandising.md."""
        return f"{self.prefix}:rules"

    @staticmethod
    def user_key(scope: str, user_id: str) -> str:
        """`{scope}:{{user_id}}`: the one way a user-scoped key is named, so every key of a
        user carries the same hash tag and lands in one cluster slot. `scope` must hold no
        brace (the tag is the first `{...}` of a name)."""
        return f"{scope}:{{{user_id}}}"

    @staticmethod
    def user_of(key: str, scope: str) -> str | None:
        """The user id of a `user_key(scope, ...)` name; None for any other name."""
        head = f"{scope}:{{"
        if not key.startswith(head) or not key.endswith("}"):
            return None
        return key[len(head) : -1]

    def dismissed(self, user_id: str) -> str:
        return self.user_key(f"{self.prefix}:dismissed", user_id)

    def ab_counters(self, experiment: str) -> str:
        return f"{self.prefix}:ab:{experiment}"

    def ab_user_variant(self, experiment: str, user_id: str) -> str:
        """String `variant@day` (UTC day number) of the user's last counted impression:
        feedback is credited to that arm, and a user counts one impression a day. One key per
        user (not one hash of all users), so it shares the user's slot on a cluster."""
        return self.user_key(self.ab_user_scope(experiment), user_id)

    def ab_user_scope(self, experiment: str) -> str:
        """The scope of `ab_user_variant` keys (for a SCAN of an experiment's users)."""
        return f"{self.prefix}:ab:{experiment}:user"

    def feedback_rate_user(self, user_id: str) -> str:
        """Sorted set of one user's recent feedback events (score: ms), a sliding window that
        expires with its newest entry; see service.feedback.rate_limit."""
        return self.user_key(f"{self.prefix}:rate:feedback:user", user_id)

    def feedback_rate_product(self, product_id: str) -> str:
        """The same window over one product's feedback events, from any user."""
        return f"{self.prefix}:rate:feedback:product:{product_id}"

    # --- versioned --------------------------------------------------------------------
    def version_prefix(self, version: int) -> str:
        return f"{self.prefix}:v{version}"

    def index_name(self, version: int) -> str:
        return f"{self.version_prefix(version)}:products"

    def product_prefix(self, version: int) -> str:
        """Key prefix of product hashes (what the index schema's `prefix` is set to)."""
        return f"{self.version_prefix(version)}:product:"

    def product(self, version: int, product_id: str) -> str:
        return f"{self.product_prefix(version)}{product_id}"

    def history_scope(self, version: int) -> str:
        """The scope of a version's `history` keys (`user_key(scope, user_id)`)."""
        return f"{self.version_prefix(version)}:history"

    def history(self, version: int, user_id: str) -> str:
        """Sorted set product_id -> decayed interest weight (higher = more, more recent)."""
        return self.user_key(self.history_scope(version), user_id)

    def history_window(self, version: int, user_id: str) -> str:
        """String: the decay window the user's history scores are relative to (absent: window
        0, the version's history_epoch); see indexing.contract.history_update. One key per
        user, beside the history in the user's slot."""
        return self.user_key(f"{self.version_prefix(version)}:history_window", user_id)

    def query_vector(self, version: int, user_id: str) -> str:
        """String: the user's CF query vector (float32 blob), the centroid the service would
        compute from the history and dismissals (indexing.contract.query_vector); written by
        the build, kept up to date by every history update; absent: computed per request."""
        return self.user_key(f"{self.version_prefix(version)}:query", user_id)

    def bought(self, version: int, user_id: str) -> str:
        return self.user_key(f"{self.version_prefix(version)}:bought", user_id)

    def ingest_applied(self, version: int) -> str:
        """Sorted set of the source events `shoprec ingest` applied to this version (member
        user, product, action, ts; score ts), so a re-read after a crash applies none twice;
        pruned below the mark."""
        return f"{self.version_prefix(version)}:ingest_applied"

    def carted(self, version: int, user_id: str) -> str:
        """Set of products the user added to a cart (SHOPREC_EXCLUDE_SEEN=carted leaves them
        out of the user's lists)."""
        return self.user_key(f"{self.version_prefix(version)}:carted", user_id)

    def popular(self, version: int) -> str:
        """Sorted set product_id -> decayed popularity, for cold start."""
        return f"{self.version_prefix(version)}:popular"

    def trending_hour(self, version: int, hour: int) -> str:
        """Sorted set product_id -> events of that hour (hours since the epoch), expiring a
        week and a day after it; see indexing.contract.trending_counts."""
        return f"{self.version_prefix(version)}:trending:{hour}"

    def models(self, version: int) -> str:
        """Hash of the version's fitted models (the content model, to embed new products)."""
        return f"{self.version_prefix(version)}:models"

    def reranker(self, version: int) -> str:
        """String: the version's re-ranker model (LightGBM text), present only where the
        build's validation chose to serve it (see indexing/rerank/trainer.py)."""
        return f"{self.version_prefix(version)}:reranker"

    def cache_prefix(self, version: int) -> str:
        """Every cached answer of a version (shared and personal) is under this prefix."""
        return f"{self.version_prefix(version)}:cache:"

    def cached_answer(self, version: int, key: str) -> str:
        """String with a TTL: one shared cached answer; `key` is `endpoint:digest`
        (service.store.answer_cache.cache_key)."""
        return f"{self.cache_prefix(version)}answer:{key}"

    def user_cache(self, version: int, user_id: str) -> str:
        """Hash of one user's cached answers (field = the cache key), dropped on feedback."""
        return self.user_key(f"{self.cache_prefix(version)}user", user_id)

    # --- telling versions apart ---------------------------------------------------------
    @property
    def versioned_pattern(self) -> str:
        """SCAN pattern that matches every versioned key."""
        return f"{self.prefix}:v*"

    def version_of(self, name: str) -> int | None:
        """The version a versioned key or index name belongs to; None for any other name."""
        head = f"{self.prefix}:v"
        if not name.startswith(head):
            return None
        number, sep, _ = name[len(head) :].partition(":")
        return int(number) if sep and number.isdigit() else None


CLUSTER_SLOTS = 16384


@functools.cache
def _tag_in(part: int, parts: int) -> str:
    """The first of s{part}-0, s{part}-1, ... whose slot is in the part-th of `parts` equal
    ranges of the slot space (a few tries: CRC16 spreads evenly)."""
    low, high = part * CLUSTER_SLOTS // parts, (part + 1) * CLUSTER_SLOTS // parts
    for attempt in itertools.count():
        tag = f"s{part}-{attempt}"
        if low <= key_slot(tag.encode()) < high:
            return tag
    raise AssertionError("unreachable")
