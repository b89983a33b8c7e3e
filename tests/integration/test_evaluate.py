"""`shoprec evaluate` end to end on a small sample of the demo data, against a real Redis."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest
import redis

from indexing.build.catalog_versions import live_version
from indexing.build.index_builder import build_index
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.validation.metrics import score_lists
from indexing.validation.split import time_split
from service.cli.errors import CommandError
from service.cli.evaluate_cmd import cmd_evaluate
from service.cli.main import build_parser
from tests.conftest import make_settings

SAMPLE_PRODUCTS = 600


@pytest.fixture(scope="module")
def sample_csvs(
    demo_csvs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """The first products of the demo catalog and every event on them."""
    products = pd.read_csv(demo_csvs[0], dtype=str, keep_default_na=False).head(SAMPLE_PRODUCTS)
    events = pd.read_csv(demo_csvs[1], dtype=str, keep_default_na=False)
    events = events[events["product_id"].isin(set(products["product_id"]))]
    folder = tmp_path_factory.mktemp("eval-sample")
    products.to_csv(folder / "products.csv", index=False)
    events.to_csv(folder / "interactions.csv", index=False)
    return folder / "products.csv", folder / "interactions.csv"


@pytest.fixture(scope="module")
def evaluation(
    redis_url: str, sample_csvs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, dict, Path]:
    settings = make_settings(redis_url)
    # A live index under the same prefix, which the evaluation must leave alone.
    client = redis.Redis.from_url(redis_url)
    build_index(client, settings, *sample_csvs, quiet=True)
    client.close()
    out = tmp_path_factory.mktemp("eval-out")
    args = build_parser(settings).parse_args(
        [
            "evaluate",
            "--products",
            str(sample_csvs[0]),
            "--interactions",
            str(sample_csvs[1]),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    # The train index is tuned the way `shoprec index` tunes a shop's (a small budget here).
    tuned = settings.replace(cf={"tune": True, "tune_min_users": 5, "tune_budget_s": 30.0})
    assert cmd_evaluate(args, tuned) == 0
    return settings, json.loads((out / "evaluation.json").read_text()), out


def test_writes_markdown_json_and_png(evaluation: tuple[Settings, dict, Path]) -> None:
    _, _, out = evaluation
    assert "| popularity |" in (out / "evaluation.md").read_text()
    assert (out / "evaluation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "evaluation-coverage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_train_index_was_tuned_and_the_service_asked_with_it(
    evaluation: tuple[Settings, dict, Path],
) -> None:
    _, report, _ = evaluation
    tuning = report["chosen_on_validation"]["tuning"]
    assert set(tuning["validation_ndcg_at_10"]) == {"tuned", "defaults", "popularity"}
    chosen = tuning["chosen"]
    assert report["settings"]["cf_query_weighting"] == chosen["query_weighting"]
    assert report["settings"]["cf_matrix_values"] == chosen["matrix_values"]
    names = [r["name"] for r in report["results"]]
    assert names[-1] == f"hybrid served (w_cf={chosen['w_cf']:g})"


def test_every_model_is_reported_with_metrics_in_range(
    evaluation: tuple[Settings, dict, Path],
) -> None:
    _, report, _ = evaluation
    names = [r["name"] for r in report["results"]]
    assert names[:2] == ["popularity", "item-kNN (cosine)"] and names[2].startswith("EASE")
    assert names[3:5] == ["content", "cf"]
    hybrids = {f"hybrid w_cf={w}" for w in ("0", "0.25", "0.5", "0.75", "1")}
    assert hybrids <= set(names[5:]) and all(n.startswith("hybrid") for n in names[5:])
    assert report["dataset"]["test_users"] > 50
    for result in report["results"]:
        for part in ("all_users", "few_events_users", "cold_products"):
            for metric in ("recall", "ndcg", "hit_rate", "coverage"):
                assert 0.0 <= result[part][metric] <= 1.0
        assert result["all_users"]["users"] == report["dataset"]["test_users"]
        beyond = result["beyond_accuracy"]
        assert 0.0 <= beyond["coverage"] <= 1.0 and 0.0 <= beyond["diversity"] <= 1.0
        assert beyond["novelty"] >= 0.0 and 0.0 <= beyond["popularity_bias"] <= 1.0


def test_the_numbers_are_sane(
    evaluation: tuple[Settings, dict, Path], sample_csvs: tuple[Path, Path]
) -> None:
    _, report, _ = evaluation
    by_name = {r["name"]: r["all_users"] for r in report["results"]}
    # Popularity beats a random ranking of the same candidates (scored the same way).
    from indexing.contract.settings import EventWeights
    from indexing.load.csv_loader import load_interactions, load_products

    catalog = load_products(sample_csvs[0])
    events = load_interactions(sample_csvs[1], catalog.product_ids, EventWeights()).events
    split = time_split(events, 0.2)
    rng = random.Random(0)
    ranked = {
        u: rng.sample([p for p in catalog.product_ids if p not in split.seen[u]], 10)
        for u in split.users
    }
    random_ndcg = score_lists(ranked, split.relevant, 10, len(catalog.product_ids)).ndcg
    assert by_name["popularity"]["ndcg"] > random_ndcg
    # The CF path learns something: far above random, and the hybrid at w_cf=1 is CF.
    assert by_name["cf"]["ndcg"] > 2 * random_ndcg
    assert by_name["hybrid w_cf=1"]["ndcg"] == pytest.approx(by_name["cf"]["ndcg"], abs=0.02)


def test_the_train_index_is_removed_and_the_live_index_untouched(
    evaluation: tuple[Settings, dict, Path], redis_url: str
) -> None:
    settings, _, _ = evaluation
    layout = RedisLayout(settings.redis.key_prefix)
    client = redis.Redis.from_url(redis_url)
    try:
        assert not list(client.scan_iter(match=f"{settings.redis.key_prefix}-eval-*"))
        indexes = [i.decode() for i in client.execute_command("FT._LIST")]
        assert [i for i in indexes if i.startswith(settings.redis.key_prefix)] == [
            layout.index_name(1)
        ]
        assert live_version(client, layout) == 1
        assert client.exists(layout.product(1, "P000001"))
    finally:
        client.close()


def test_seen_policies_are_scored_with_repeats_and_on_novel_products(
    redis_url: str, sample_csvs: tuple[Path, Path], tmp_path: Path
) -> None:
    settings = make_settings(redis_url)
    args = build_parser(settings).parse_args(
        [
            *("evaluate", "--products", str(sample_csvs[0]), "--interactions", str(sample_csvs[1])),
            *("--out", str(tmp_path), "--quiet", "--no-tune", "--exclude-seen", "bought,all"),
        ]
    )
    assert cmd_evaluate(args, settings) == 0
    report = json.loads((tmp_path / "evaluation.json").read_text())
    rows = {r["name"]: r["all_users"] for r in report["results"] if r["kind"] == "ours"}
    w_cf = f"{settings.serving.w_cf:g}"
    names = [f"cf, exclude_seen={p}" for p in ("bought", "all")]
    names += [f"hybrid w_cf={w_cf}, exclude_seen={p}" for p in ("bought", "all")]
    assert set(rows) == {f"{n} [{t}]" for n in names for t in ("repeats count", "novel only")}
    for name in names:
        repeats, novel = rows[f"{name} [repeats count]"], rows[f"{name} [novel only]"]
        # Every test user counts with repeats; only those with a new product without.
        assert repeats["users"] > novel["users"] > 0
        assert 0.0 <= novel["ndcg"] <= 1.0 and 0.0 <= repeats["ndcg"] <= 1.0


def test_an_unknown_seen_policy_is_refused(redis_url: str, sample_csvs: tuple[Path, Path]) -> None:
    settings = make_settings(redis_url)
    args = build_parser(settings).parse_args(
        [
            *("evaluate", "--products", str(sample_csvs[0]), "--interactions", str(sample_csvs[1])),
            *("--exclude-seen", "bought,viewed"),
        ]
    )
    with pytest.raises(CommandError, match="--exclude-seen takes bought, carted, all"):
        cmd_evaluate(args, settings)
