"""Write a changed copy of a products.csv: a share of products added as near-duplicates of
existing ones, changed, and removed (a third each), for trying and timing `shoprec reindex`.

    python scripts/make_catalog_change.py --fraction 0.01 --out /tmp/products-1pct.csv
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

NEAR_DUPLICATE_PREFIX = "ND-"


@dataclass
class CatalogChange:
    products: pd.DataFrame
    added: dict[str, str]  # new product_id -> the product it nearly duplicates
    changed: list[str]
    removed: list[str]


def change_catalog(products: pd.DataFrame, fraction: float, seed: int = 7) -> CatalogChange:
    """Touch `fraction` of the products: a third near-duplicated, a third changed, the rest
    removed. Originals of near-duplicates are neither changed nor removed."""
    rng = np.random.default_rng(seed)
    total = max(3, round(len(products) * fraction))
    picked = rng.choice(len(products), size=total, replace=False)
    n_add, n_change = total // 3, total // 3
    add_rows, change_rows, remove_rows = (
        picked[:n_add],
        picked[n_add : n_add + n_change],
        picked[n_add + n_change :],
    )
    frame = products.copy()
    changed = frame.loc[change_rows, "product_id"].tolist()
    frame.loc[change_rows, "description"] = frame.loc[change_rows, "description"].astype(str) + (
        " Now with free delivery."
    )
    new_prices = (pd.to_numeric(frame.loc[change_rows, "price"]) * 0.9).round(2)
    frame.loc[change_rows, "price"] = [f"{p:.2f}" for p in new_prices]
    duplicates = frame.loc[add_rows].copy()
    originals = duplicates["product_id"].tolist()
    duplicates["product_id"] = [NEAR_DUPLICATE_PREFIX + pid for pid in originals]
    duplicates["title"] = duplicates["title"].astype(str) + " Plus"
    removed = frame.loc[remove_rows, "product_id"].tolist()
    frame = frame.drop(index=remove_rows)
    frame = pd.concat([frame, duplicates], ignore_index=True)
    added = dict(zip(duplicates["product_id"], originals, strict=True))
    return CatalogChange(frame, added, changed, removed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", default="data/products.csv")
    parser.add_argument("--fraction", type=float, default=0.01, help="share of products touched")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    products = pd.read_csv(args.products, dtype=str, keep_default_na=False)
    change = change_catalog(products, args.fraction, args.seed)
    change.products.to_csv(Path(args.out), index=False)
    print(
        f"wrote {args.out}: {len(change.added)} near-duplicates added, "
        f"{len(change.changed)} changed, {len(change.removed)} removed"
    )


if __name__ == "__main__":
    main()
