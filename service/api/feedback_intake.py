"""POST /feedback's work: the body made an event and recorded against the live version.

Its own object beside the recommendation service (app.py wires both over one LiveCatalog), so
the service answers recommendations only and the recorder keeps its own interface.
"""

from __future__ import annotations

from service.feedback.feedback_recorder import FeedbackRecorder
from service.store.catalog_reader import LiveCatalog


class FeedbackIntake:
    def __init__(self, recorder: FeedbackRecorder, live: LiveCatalog):
        self._recorder = recorder
        self._live = live

    async def record(
        self, user_id: str, product_id: str, action: str, ts: str | float | None
    ) -> bool:
        """Record the event; True when Redis fsynced it before the answer."""
        event = self._recorder.event(user_id, product_id, action, ts)
        return await self._recorder.record(await self._live.current(), event)
