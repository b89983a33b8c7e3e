"""What a build's tuning chose, as the meta hash keeps it (CatalogMeta.params["tuning"]).

The build writes it (indexing/tuning) and builds with it; the service reads it back for every
version it serves (service/recommend/served_version.py), so the query weighting, history
length and hybrid weights a version answers with are the ones its build validated.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from indexing.contract.settings import Settings


@dataclass(frozen=True)
class TuningParams:
    """One candidate: everything the build and the served query depend on that is tuned."""

    matrix_values: str
    half_life_days: float
    cf_model: str  # "ease" or "cosine", resolved (never "auto")
    ease_lambda: float
    query_weighting: str
    history_max_items: int
    w_cf: float

    @classmethod
    def from_settings(cls, settings: Settings, cf_model: str) -> TuningParams:
        """The configured values (the tuner's start); `cf_model` is settings.cf.model
        resolved for the catalog at hand."""
        cf = settings.cf
        w_total = settings.serving.w_cf + settings.serving.w_content
        return cls(
            matrix_values=cf.matrix_values,
            half_life_days=cf.half_life_days,
            cf_model=cf_model,
            ease_lambda=cf.ease_lambda,
            query_weighting=cf.query_weighting,
            history_max_items=cf.history_max_items,
            w_cf=settings.serving.w_cf / w_total if w_total > 0 else 1.0,
        )

    def applied_to(self, settings: Settings) -> Settings:
        return settings.replace(
            cf={
                "matrix_values": self.matrix_values,
                "half_life_days": self.half_life_days,
                "model": self.cf_model,
                "ease_lambda": self.ease_lambda,
                "query_weighting": self.query_weighting,
                "history_max_items": self.history_max_items,
            },
            serving={"w_cf": self.w_cf, "w_content": round(1.0 - self.w_cf, 6)},
        )

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_meta(cls, params: dict[str, Any]) -> TuningParams | None:
        """What a version's build chose (CatalogMeta.params["tuning"]), None if not tuned."""
        chosen = params.get("tuning", {}).get("chosen")
        return cls(**chosen) if chosen else None


def served_settings(settings: Settings, params: dict[str, Any]) -> Settings:
    """The settings a version is served with: the configured ones, overridden by what its
    build's tuning chose (CatalogMeta.params). To serve configured values, build untuned."""
    tuned = TuningParams.from_meta(params)
    return tuned.applied_to(settings) if tuned is not None else settings
