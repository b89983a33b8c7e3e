"""Compare the content embedders (tfidf vs sbert) offline, without Redis: exact cosine kNN.

    .venv/bin/python scripts/compare_content_models.py [--embedders tfidf,sbert]
        [--datasets demo,online-retail] [--shared-data ../shared/data] [--limit N]

Per dataset and embedder it prints:
- category P@10: share of a product's 10 nearest products (by content) in its own category
  (only where the catalog has categories; online-retail has none);
- next-item hit@10 / recall@10: a global 80 % time split; for each user with a new product
  after the split, the query is the event-weighted sum of the content vectors of their last 50
  products before it; the 10 best-scoring products they had not touched are the answer;
- encoding throughput (texts/s of wall time and per CPU-second: the machine may be shared).

A stand-in until `shoprec evaluate --embedder` (issue 4) is on main; that one scores through
the real service.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from indexing.contract.index_schema import CATEGORY_SEPARATOR
from indexing.contract.settings import PROJECT_ROOT, get_settings
from indexing.load.csv_loader import load_interactions, load_products
from indexing.models.content_embedder import product_texts
from indexing.models.embedder_registry import EMBEDDERS, EmbedderError, make_embedder

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
TOP_K = 10
HISTORY_ITEMS = 50
TRAIN_SHARE = 0.8


def category_precision(vectors: np.ndarray, categories: list[str], k: int = TOP_K) -> float:
    """Mean share of each product's k nearest other products that share one of its categories
    (a product may have several, "Books|Music")."""
    sets = [frozenset(c.split(CATEGORY_SEPARATOR)) for c in categories]
    hits = 0
    for start in range(0, len(vectors), 1024):
        sims = vectors[start : start + 1024] @ vectors.T
        rows = np.arange(sims.shape[0])
        sims[rows, start + rows] = -np.inf  # not itself
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        hits += sum(bool(sets[start + r] & sets[j]) for r in rows for j in top[r])
    return hits / (len(vectors) * k)


def next_item_scores(
    vectors: np.ndarray, product_ids: list[str], events: pd.DataFrame, k: int = TOP_K
) -> tuple[float, float, int]:
    """(hit@k, recall@k, users) of content-centroid recommendations after a time split."""
    row = {pid: i for i, pid in enumerate(product_ids)}
    cut = events["ts"].quantile(TRAIN_SHARE)
    train, test = events[events["ts"] < cut], events[events["ts"] >= cut]
    seen = train.groupby("user_id")["product_id"].agg(set)
    future = test.groupby("user_id")["product_id"].agg(set)
    recent = train.sort_values("ts").groupby("user_id").tail(HISTORY_ITEMS)
    hits, recalls = [], []
    for user, history in recent.groupby("user_id"):
        new = future.get(user, set()) - seen[user]
        if not new:
            continue
        rows = history["product_id"].map(row).to_numpy()
        query = (vectors[rows] * history["weight"].to_numpy()[:, None]).sum(axis=0)
        scores = vectors @ query
        scores[[row[p] for p in seen[user]]] = -np.inf
        top = {product_ids[i] for i in np.argpartition(-scores, k)[:k]}
        found = len(top & new)
        hits.append(found > 0)
        recalls.append(found / len(new))
    return float(np.mean(hits)), float(np.mean(recalls)), len(hits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedders", default=",".join(EMBEDDERS))
    parser.add_argument("--datasets", default="demo,online-retail")
    parser.add_argument("--shared-data", default=str(SHARED_DATA), help="../shared/data")
    parser.add_argument("--limit", type=int, default=0, help="first N products only (0: all)")
    args = parser.parse_args(argv)
    settings = get_settings()
    print(
        "| dataset | embedder | products | category P@10 | next-item hit@10 | "
        "recall@10 | users | texts/s (wall) | texts/s per CPU-s |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for dataset in args.datasets.split(","):
        folder = PROJECT_ROOT / "data" if dataset == "demo" else Path(args.shared_data) / dataset
        if not (folder / "products.csv").exists():
            print(f"skipping {dataset}: {folder} is absent", file=sys.stderr)
            continue
        catalog = load_products(folder / "products.csv")
        products = catalog.products.head(args.limit) if args.limit else catalog.products
        ids = products["product_id"].tolist()
        events = load_interactions(
            Path(folder / "interactions.csv"), ids, settings.cf.event_weights
        ).events
        texts = product_texts(products)
        categories = products["category"].fillna("").tolist()
        for name in args.embedders.split(","):
            try:
                embedder = make_embedder(name, settings.replace(catalog={"embedder": name}))
            except EmbedderError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            if name == "sbert":
                embedder.transform(texts[:8])  # load the model outside the timing
            wall, cpu = time.perf_counter(), time.process_time()
            vectors = embedder.fit_transform(texts)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            precision = (
                f"{category_precision(vectors, categories):.3f}"
                if (categories != "").any()
                else "-"
            )
            hit, recall, users = next_item_scores(vectors, ids, events)
            print(
                f"| {dataset} | {name} | {len(ids):,} | {precision} | {hit:.3f} | {recall:.3f} "
                f"| {users:,} | {len(texts) / wall:,.0f} | {len(texts) / cpu:,.0f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
