"""Generate a deterministic demo catalogue and interaction log for a general online shop.

Writes ``products.csv`` (product_id,title,category,description,price,img_url) and
``interactions.csv`` (user_id,product_id,interaction_type,ts) into the output folder.

The data is synthetic but has the structure a recommender should be able to exploit:

* products of one category share vocabulary, and near-duplicate families exist (the same
  base product in several colours/sizes), so content similarity is meaningful;
* users have 1-3 favourite categories that drift slowly towards a new one, so recent
  events are more predictive than old ones;
* popularity inside a category is Zipf-like;
* every product has 2-4 complements, mostly in related categories, and carting a product
  often leads to viewing (and buying) its complements in the same session;
* a view -> click -> add_to_cart -> purchase funnel, with sessions clustered in time.

Only numpy, pandas and the standard library are used; nothing is downloaded. The words are in
vocabulary.json (vocabulary.py), products come from product_generator.py, the shopper log from
shopper_simulation.py over catalog_structure.py; this module writes the files and is the
command line (scripts/make_demo_data.py, `shoprec bench`).
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from indexing.contract.settings import PROJECT_ROOT
from indexing.demo.product_generator import Product, generate_products
from indexing.demo.shopper_simulation import generate_interactions

DEFAULT_PRODUCTS = 5_000
USERS_PER_PRODUCT = 0.6
DEFAULT_SEED = 42
DEFAULT_OUT = PROJECT_ROOT / "data"


class DemoDataSummary(NamedTuple):
    """What write_demo_data wrote."""

    products_path: Path
    interactions_path: Path
    n_products: int
    n_users: int
    n_interactions: int
    seconds: float


def default_users(n_products: int) -> int:
    """Number of users that goes with a catalogue size when none is given."""
    return max(1, round(n_products * USERS_PER_PRODUCT))


def write_demo_data(
    out_dir: Path | str = DEFAULT_OUT,
    n_products: int = DEFAULT_PRODUCTS,
    n_users: int | None = None,
    seed: int = DEFAULT_SEED,
) -> DemoDataSummary:
    """Generate and write products.csv and interactions.csv into out_dir."""
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    users = default_users(n_products) if n_users is None else n_users
    rng = np.random.default_rng(seed)
    products = generate_products(n_products, rng)
    interactions = generate_interactions(products, users, rng)

    products_path = out / "products.csv"
    with products_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(Product._fields)
        writer.writerows(products)
    interactions_path = out / "interactions.csv"
    # Plain join is faster than csv/to_csv here, and no field can need quoting.
    cols = [interactions[c].to_numpy() for c in interactions.columns]
    with interactions_path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(",".join(interactions.columns) + "\n")
        # Chunks keep peak memory modest for the 200k-product benchmark size.
        for lo in range(0, len(interactions), 500_000):
            chunk = zip(*(c[lo : lo + 500_000] for c in cols), strict=True)
            fh.write("".join(f"{u},{p},{k},{t}\n" for u, p, k, t in chunk))
    return DemoDataSummary(
        products_path,
        interactions_path,
        len(products),
        users,
        len(interactions),
        time.perf_counter() - started,
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=(
            "Write a deterministic synthetic shop catalogue (products.csv) and a user "
            "interaction log (interactions.csv: view/click/add_to_cart/purchase over the "
            "90 days ending 2026-10-31) for demos, tests and benchmarks. Same options and "
            "seed give byte-identical files."
        )
    )
    parser.add_argument(
        "--products",
        type=int,
        default=DEFAULT_PRODUCTS,
        help=f"number of products (default {DEFAULT_PRODUCTS})",
    )
    parser.add_argument(
        "--users",
        type=int,
        default=None,
        help=f"number of users (default: {USERS_PER_PRODUCT} x products)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 42)")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="output folder (default: data/ in the repository root)",
    )
    args = parser.parse_args(argv)
    if args.products < 1 or (args.users is not None and args.users < 1):
        parser.error("--products and --users must be positive")
    s = write_demo_data(args.out, args.products, args.users, args.seed)
    print(
        f"wrote {s.n_products} products and {s.n_interactions} interactions "
        f"from {s.n_users} users to {s.products_path.parent} in {s.seconds:.1f} s"
    )
    return 0
