"""What a full build did, for the `shoprec index` summary and for callers (evaluate, bench).

Immutable: the build returns it at the end. Most counts are the published metadata's.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexing.contract.catalog_meta import CatalogMeta
from indexing.load.csv_loader import LoadReport
from indexing.rerank.trainer import summary_lines as rerank_lines
from indexing.tuning.tuner import summary_lines


@dataclass(frozen=True)
class VersionCleanup:
    cleaned: tuple[int, ...] = ()  # left behind by killed builds
    dropped: tuple[int, ...] = ()  # replaced versions past their grace period
    kept: tuple[int, ...] = ()  # replaced versions still inside it (the next build drops them)


@dataclass(frozen=True)
class BuildSummary:
    meta: CatalogMeta  # what was published: counts, models, parameters
    reports: tuple[LoadReport, ...]  # the CSVs' and the feedback stream's row counts
    seconds: dict[str, float]  # per stage, and "total"
    versions: VersionCleanup
    feedback_replayed: int  # stream entries recorded during the build, replayed after the swap

    @property
    def version(self) -> int:
        return self.meta.version

    @property
    def products(self) -> int:
        return self.meta.products

    @property
    def users(self) -> int:
        return self.meta.users

    @property
    def events(self) -> int:
        return int(self.meta.params.get("events", 0))

    @property
    def cf_items(self) -> int:
        return self.meta.cf_items

    @property
    def cf_model(self) -> str:
        return self.meta.cf_model

    @property
    def cf_dims(self) -> int:
        return self.meta.cf_dims

    @property
    def products_without_cf(self) -> int:
        return self.meta.products - self.meta.cf_items

    def lines(self) -> list[str]:
        meta = self.meta
        out = [f"built version {meta.version} and made it live"]
        for report in self.reports:
            out += report.lines()
        out += [
            f"products indexed: {meta.products:,}",
            f"users with history: {meta.users:,} ({self.events:,} events)",
            f"content vectors: {meta.products:,} x {meta.content_dims} ({meta.embedder})",
            f"CF vectors: {meta.cf_items:,} x {meta.cf_dims} ({meta.cf_model}); "
            f"{self.products_without_cf:,} products have no interactions and no CF vector",
            *summary_lines(meta.params.get("tuning", {})),
            *rerank_lines(meta.params.get("rerank", {})),
            "seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in self.seconds.items()),
        ]
        versions = self.versions
        if versions.dropped:
            out.append(f"dropped old versions: {_listed(versions.dropped)}")
        if versions.cleaned:
            out.append(f"cleaned up versions left by killed builds: {_listed(versions.cleaned)}")
        if versions.kept:
            out.append(
                f"replaced versions kept for the grace period: {_listed(versions.kept)} "
                "(the next build drops)"
            )
        out.append(
            f"feedback stream folded up to entry {meta.feedback_stream_id}; "
            f"{self.feedback_replayed} events recorded during the build replayed after the swap"
        )
        return out


def _listed(versions: tuple[int, ...]) -> str:
    return ", ".join(map(str, versions))
