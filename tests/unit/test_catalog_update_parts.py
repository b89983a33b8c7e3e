"""The pure parts of catalog updates: catalog diff, feedback folding, export timestamps."""

from __future__ import annotations

import pandas as pd
import pytest

from indexing.contract.settings import EventWeights
from indexing.feedback.feedback_export import iso_utc
from indexing.feedback.feedback_log import FeedbackEntry, feedback_events, fold_feedback
from indexing.load.field_values import parse_timestamps
from indexing.models.embedder_registry import EmbedderError, load_embedder
from indexing.update.catalog_update import diff_catalog
from scripts.make_catalog_change import change_catalog

COLUMNS = ["user_id", "product_id", "interaction_type", "ts", "weight"]


def test_diff_sorts_products_into_added_changed_removed_unchanged() -> None:
    live = {"a": "1", "b": "2", "c": "3"}
    new = {"a": "1", "b": "9", "d": "4"}
    diff = diff_catalog(live, new)
    assert (diff.added, diff.changed, diff.removed, diff.unchanged) == (["d"], ["b"], ["c"], 1)


def test_diff_of_identical_catalogs_touches_nothing() -> None:
    diff = diff_catalog({"a": "1"}, {"a": "1"})
    assert (diff.added, diff.changed, diff.removed, diff.unchanged) == ([], [], [], 1)


def _entry(user: str, product: str, action: str, ts: float) -> FeedbackEntry:
    return FeedbackEntry(f"{int(ts)}-0", user, product, action, ts, 1)


def test_feedback_events_weigh_actions_and_drop_unknown_products() -> None:
    entries = [
        _entry("u", "p1", "purchase", 10.0),
        _entry("u", "gone", "view", 11.0),
        _entry("u", "p2", "dismiss", 12.0),
        _entry("u", "p1", "teleport", 13.0),
    ]
    events, dismissals, report = feedback_events(entries, ["p1", "p2"], EventWeights())
    assert events.to_dict("records") == [
        {
            "user_id": "u",
            "product_id": "p1",
            "interaction_type": "purchase",
            "ts": 10.0,
            "weight": EventWeights().purchase,
        }
    ]
    assert dismissals.to_dict("records") == [{"user_id": "u", "product_id": "p2", "ts": 12.0}]
    assert report.rows_read == 4 and report.rows_kept == 2
    assert report.dropped == {"unknown product_id (not in the catalog)": 1, "unknown action": 1}


def test_a_dismissal_removes_earlier_events_of_that_pair_only() -> None:
    csv_events = pd.DataFrame(
        [("u", "p", "view", 1.0, 1.0), ("u", "q", "view", 1.0, 1.0), ("v", "p", "view", 1.0, 1.0)],
        columns=COLUMNS,
    )
    feedback = pd.DataFrame([("u", "p", "click", 5.0, 2.0)], columns=COLUMNS)
    dismissals = pd.DataFrame([("u", "p", 3.0)], columns=["user_id", "product_id", "ts"])
    folded = fold_feedback(csv_events, feedback, dismissals)
    pairs = sorted(zip(folded["user_id"], folded["product_id"], folded["ts"], strict=True))
    # u's view of p (before the dismissal) goes; the click after it stays; others untouched.
    assert pairs == [("u", "p", 5.0), ("u", "q", 1.0), ("v", "p", 1.0)]


def test_fold_without_feedback_keeps_the_csv_events() -> None:
    csv_events = pd.DataFrame([("u", "p", "view", 1.0, 1.0)], columns=COLUMNS)
    empty = pd.DataFrame(columns=COLUMNS)
    no_dismissals = pd.DataFrame(columns=["user_id", "product_id", "ts"])
    assert fold_feedback(csv_events, empty, no_dismissals).equals(csv_events)


def test_exported_timestamps_parse_back_to_the_same_second() -> None:
    stamps = [0.0, 1_767_225_600.25, 1_790_000_000.999]
    parsed = parse_timestamps(pd.Series([iso_utc(t) for t in stamps]))
    assert parsed.tolist() == pytest.approx(stamps, abs=1e-3)


def test_catalog_change_touches_disjoint_products() -> None:
    products = pd.DataFrame(
        {
            "product_id": [f"P{i}" for i in range(300)],
            "title": ["t"] * 300,
            "category": ["c"] * 300,
            "description": ["d"] * 300,
            "price": ["1.00"] * 300,
            "img_url": [""] * 300,
        }
    )
    change = change_catalog(products, 0.1)
    originals = set(change.added.values())
    assert len(change.added) == len(change.changed) == 10 and len(change.removed) == 10
    assert not originals & set(change.changed) and not originals & set(change.removed)
    assert not set(change.changed) & set(change.removed)
    assert len(change.products) == 300
    assert set(change.added) <= set(change.products["product_id"])


def test_an_unknown_embedder_is_one_clear_error() -> None:
    with pytest.raises(EmbedderError, match=r"'word2vec'.*tfidf"):
        load_embedder("word2vec", b"")
