"""Every Redis key name shoprec uses, in one place.

Versioned data (products, histories, popularity) lives under `{prefix}:v{n}:...`, so a full
rebuild writes a new version beside the live one and readers switch by following the alias
and the metadata key. Data that must outlive a rebuild (feedback stream, dismissals, A/B
counters, the build lock) has no version in its name.
"""

from __future__ import annotations

from dataclasses import dataclass


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

    def dismissed(self, user_id: str) -> str:
        return f"{self.prefix}:dismissed:{user_id}"

    def ab_counters(self, experiment: str) -> str:
        return f"{self.prefix}:ab:{experiment}"

    def ab_user_variant(self, experiment: str) -> str:
        """Hash user_id -> variant served, so feedback can be credited to the right arm."""
        return f"{self.prefix}:ab:{experiment}:users"

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

    def history(self, version: int, user_id: str) -> str:
        """Sorted set product_id -> decayed interest weight (higher = more, more recent)."""
        return f"{self.version_prefix(version)}:history:{user_id}"

    def history_windows(self, version: int) -> str:
        """Hash user_id -> the decay window the user's history scores are relative to (absent:
        window 0, the version's history_epoch); see indexing.contract.history_update."""
        return f"{self.version_prefix(version)}:history_windows"

    def bought(self, version: int, user_id: str) -> str:
        return f"{self.version_prefix(version)}:bought:{user_id}"

    def popular(self, version: int) -> str:
        """Sorted set product_id -> decayed popularity, for cold start."""
        return f"{self.version_prefix(version)}:popular"

    def models(self, version: int) -> str:
        """Hash of the version's fitted models (the content model, to embed new products)."""
        return f"{self.version_prefix(version)}:models"

    def reranker(self, version: int) -> str:
        """String: the version's re-ranker model (LightGBM text), present only where the
        build's validation chose to serve it (see indexing/rerank/trainer.py)."""
        return f"{self.version_prefix(version)}:reranker"

    def cache_prefix(self, version: int) -> str:
        return f"{self.version_prefix(version)}:cache:"

    def user_cache(self, version: int, user_id: str) -> str:
        """Hash of one user's cached answers (field = the cache key), dropped on feedback."""
        return f"{self.cache_prefix(version)}user:{user_id}"

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
