"""Schemathesis against the OpenAPI schema the service serves, calling a real uvicorn server on
the demo catalog: no 5xx, and every response (status, content type, body) conforms to it.

The schema is taken from the app at import time (schemathesis parametrizes at collection, and
its lazy fixture loader does not work with pytest 9); a test checks that the served
/schema/openapi.json is that same schema. Bounded: MAX_EXAMPLES generated cases per operation
plus schemathesis's explicit and coverage cases, derandomized so a failure reproduces.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from indexing.contract.settings import Settings, get_settings
from service.api.app import create_app
from tests.support.live_server import live_server

MAX_EXAMPLES = 40

# The schema does not depend on Redis: an app that is never started serves to build it.
_OFFLINE_SETTINGS = get_settings().replace(redis={"url": "redis://127.0.0.1:9/0"})
OPENAPI = create_app(_OFFLINE_SETTINGS).openapi_schema.to_schema()
schema = schemathesis.openapi.from_dict(OPENAPI)


CALLS: list[int] = []


@pytest.fixture(scope="module")
def served_api(demo_index: Settings) -> Iterator[str]:
    with live_server(create_app(demo_index)) as base_url:
        yield base_url
    print(f"\nschemathesis: {len(CALLS)} requests over {len(OPENAPI['paths'])} paths")


def test_the_fuzzed_schema_is_the_served_one(served_api: str) -> None:
    served = httpx.get(f"{served_api}/schema/openapi.json").json()
    assert served == httpx.Response(200, json=OPENAPI).json()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, served_api: str) -> None:
    excluded = []
    if _breaks_a_rule_the_schema_cannot_state(case):
        # The 422 it answers is documented and checked like any other response; only the
        # "schema-valid data must be accepted" check is off for such a case.
        excluded.append(positive_data_acceptance)
    CALLS.append(1)
    case.call_and_validate(base_url=served_api, excluded_checks=excluded)


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _breaks_a_rule_the_schema_cannot_state(case) -> bool:
    """Cross-field rules OpenAPI has no words for: price_min <= price_max; hybrid needs
    user_id or product_id, and not both weights 0; `ts` must be a real ISO-8601 time (any
    string of up to 64 characters is schema-valid)."""
    query = case.query or {}
    low, high = _number(query.get("price_min")), _number(query.get("price_max"))
    if low is not None and high is not None and low > high:
        return True
    if case.path == "/recommend/hybrid":
        if not (query.get("user_id") or query.get("product_id")):
            return True
        if _number(query.get("w_content")) == 0 and _number(query.get("w_cf")) == 0:
            return True
    return case.path == "/feedback" and isinstance(case.body, dict) and bool(case.body.get("ts"))
