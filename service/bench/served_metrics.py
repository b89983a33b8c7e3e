"""Read a running server's /metrics: one sample, and the answer cache's and the product rows'
hit counts, so a benchmark cell reports the hit ratios the service itself saw."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


def sample(text: str, name: str, **labels: str) -> float:
    """The sum of the samples `name` whose labels include `labels`; 0 when there is none (a
    counter nobody has touched yet is absent, which means zero)."""
    return _summed(_samples(text), name, labels)


def _samples(text: str) -> list[Sample]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def _summed(samples: list[Sample], name: str, labels: dict[str, str]) -> float:
    return sum(
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def cache_counts(host: str, port: int) -> dict[str, tuple[float, float]]:
    """(hits, misses) so far, summed over endpoints and workers, of the answer cache
    ("answers") and of the workers' product rows ("rows": cached, read from Redis)."""
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    samples = _samples(text)  # one parse for every counter
    rows = "shoprec_product_rows_total"
    return {
        "answers": (
            _summed(samples, "shoprec_cache_hits_total", {}),
            _summed(samples, "shoprec_cache_misses_total", {}),
        ),
        "rows": (
            _summed(samples, rows, {"source": "cached"}),
            _summed(samples, rows, {"source": "read"}),
        ),
    }


def hit_ratio(before: tuple[float, float], after: tuple[float, float]) -> float:
    hits, misses = after[0] - before[0], after[1] - before[1]
    return round(hits / (hits + misses), 4) if hits + misses else 0.0
