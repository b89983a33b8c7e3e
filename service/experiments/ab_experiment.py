"""The A/B experiment: which variant answers a user (through the recommendation service, so a
variant's answer is exactly what its endpoint would answer), and the report that compares the
variants."""

from __future__ import annotations

from dataclasses import dataclass

from indexing.contract.settings import Settings
from service.api.schemas import ABReport, VariantReport
from service.experiments.ab_router import ABCounters, Split, assign_variant
from service.experiments.ab_statistics import two_proportion_p_value, wilson_interval
from service.observability import request_facts
from service.recommend.base import RecommendRequest
from service.recommend.service import Answer, RecommendationService


@dataclass(frozen=True)
class VariantAnswer:
    variant: str  # the user's (sticky) variant
    answer: Answer


class ABExperiment:
    def __init__(
        self,
        settings: Settings,
        recommendations: RecommendationService,
        counters: ABCounters,
    ):
        self._experiment = settings.ab.experiment
        self._split = Split.parse(settings.ab.split)
        self._recommendations = recommendations
        self._counters = counters

    async def recommend(self, request: RecommendRequest) -> VariantAnswer:
        """The answer of the user's variant; the exposure is counted for the report."""
        if request.user_id is None:
            raise ValueError("the A/B endpoint needs a user_id")
        variant = assign_variant(self._experiment, request.user_id, self._split)
        endpoint, routed = self._variant_request(variant, request)
        answer = await self._recommendations.recommend(endpoint, routed)
        await self._counters.impression(variant, request.user_id)
        request_facts.current().variant = variant
        return VariantAnswer(variant, answer)

    def _variant_request(
        self, variant: str, request: RecommendRequest
    ) -> tuple[str, RecommendRequest]:
        """Which endpoint serves a variant. `content` without a product is content around the
        user's recent products (hybrid with the CF weight at 0)."""
        if variant == "content":
            if request.product_id:
                return "content", request
            return "hybrid", request.with_weights(1.0, 0.0)
        if variant in ("user", "cf"):
            return "user", request
        return "hybrid", request.with_weights(None, None)  # the version's served weights

    async def report(self) -> ABReport:
        counts = await self._counters.counts()
        variants = [_variant_report(name, counts.get(name, {})) for name in self._split.variants]
        p_value = None
        if len(variants) >= 2:
            a, b = variants[0], variants[1]
            p_value = two_proportion_p_value(a.clicks, a.impressions, b.clicks, b.impressions)
        return ABReport(self._experiment, self._split.as_dict(), variants, p_value)


def _variant_report(name: str, counts: dict[str, int]) -> VariantReport:
    impressions, clicks = counts.get("impressions", 0), counts.get("clicks", 0)
    return VariantReport(
        variant=name,
        impressions=impressions,
        clicks=clicks,
        add_to_cart=counts.get("add_to_cart", 0),
        purchases=counts.get("purchases", 0),
        dismissals=counts.get("dismissals", 0),
        ctr=clicks / impressions if impressions else 0.0,
        ctr_ci95=wilson_interval(clicks, impressions),
    )
