"""Domain errors the recommenders raise; app.py maps each to an HTTP status and a JSON body."""

from __future__ import annotations


class ProductNotFound(LookupError):
    def __init__(self, product_id: str):
        super().__init__(f"unknown product_id {product_id!r}")
        self.product_id = product_id


class NoLiveIndex(RuntimeError):
    def __init__(self) -> None:
        super().__init__("no live catalog index; build one with `shoprec index`")


class FeedbackNotDurable(RuntimeError):
    """The event could not be made durable (no AOF, or the fsync timed out): not acknowledged,
    so the caller retries; the event may already be in the stream (at-least-once)."""

    def __init__(self, reason: str):
        super().__init__(f"feedback not acknowledged: {reason}; retry later")


class FeedbackRateLimited(RuntimeError):
    """Too many feedback events for one user or one product within the sliding window."""

    def __init__(self, what: str, limit: int, window_s: float, retry_after_s: int):
        super().__init__(
            f"too many feedback events for this {what}: at most {limit} in {window_s:g} s; "
            f"retry after {retry_after_s} s"
        )
        self.retry_after_s = retry_after_s
