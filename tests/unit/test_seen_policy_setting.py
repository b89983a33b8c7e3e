"""SHOPREC_EXCLUDE_SEEN takes the three policies and refuses anything else by name, and each
policy leaves out what it says of a user's state."""

from __future__ import annotations

import pytest

from indexing.contract.settings import ServingSettings
from service.store.user_state import UserState


@pytest.mark.parametrize("policy", ["bought", "carted", "all"])
def test_each_policy_is_taken(monkeypatch: pytest.MonkeyPatch, policy: str) -> None:
    monkeypatch.setenv("SHOPREC_EXCLUDE_SEEN", policy)
    assert ServingSettings().exclude_seen == policy


def test_another_value_stops_with_the_policies_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPREC_EXCLUDE_SEEN", "viewed")
    with pytest.raises(ValueError, match="SHOPREC_EXCLUDE_SEEN='viewed' must be one of bought, "):
        ServingSettings()


def test_the_policies_nest() -> None:
    state = UserState(
        history=[("viewed", 3.0), ("carted", 2.0), ("bought", 1.0)],
        bought=frozenset({"bought"}),
        dismissed=frozenset({"dismissed"}),
        carted=frozenset({"carted"}),
    )
    assert state.never_show("bought") == {"bought", "dismissed"}
    assert state.never_show("carted") == {"bought", "carted", "dismissed"}
    assert state.never_show("all") == {"bought", "carted", "viewed", "dismissed"}
    with pytest.raises(ValueError, match="exclude_seen must be one of"):
        state.never_show("none")
