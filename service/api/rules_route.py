"""GET /rules: the merchandising rules as kept, which are in force now, and their generation
(docs/merchandising.md). Changed with `shoprec rules`, not over HTTP."""

from __future__ import annotations

import time
from typing import Annotated

import msgspec
from litestar import get
from litestar.di import NamedDependency

from service.api.access import ADMIN
from service.recommend.rules import Rule
from service.recommend.service import RecommendationService

Recommendations = NamedDependency[RecommendationService]


class RulesResponse(msgspec.Struct):
    generation: Annotated[
        int, msgspec.Meta(description="Bumped by every change; part of the cache keys.")
    ]
    rules: list[Rule]
    live: Annotated[
        list[str], msgspec.Meta(description="The ids of the rules in force now (UTC windows).")
    ]


@get(
    "/rules",
    operation_id="rules",
    tags=["operations"],
    summary="The merchandising rules (boost, bury, pin, filter) and which are in force",
    description="Changed with `shoprec rules`; docs/merchandising.md. Needs the admin key "
    "when SHOPREC_ADMIN_KEY is set.",
    opt=ADMIN,
)
async def rules_page(recommendations: Recommendations) -> RulesResponse:
    kept = await recommendations.rules.current()
    now = time.time()
    return RulesResponse(
        kept.generation, list(kept.rules), [r.id for r in kept.rules if r.live_at(now)]
    )
