"""A slice of the demo catalog for tests that build several versions (a build in seconds)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from indexing.contract.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"


def write_small_catalog(folder: Path, products: int = 300) -> tuple[Path, Path]:
    """The first `products` demo products and the demo interactions that name them."""
    catalog = pd.read_csv(DATA_DIR / "products.csv", dtype=str, keep_default_na=False)
    catalog = catalog.head(products)
    events = pd.read_csv(DATA_DIR / "interactions.csv", dtype=str, keep_default_na=False)
    events = events[events["product_id"].isin(set(catalog["product_id"]))]
    products_csv, interactions_csv = folder / "products.csv", folder / "interactions.csv"
    catalog.to_csv(products_csv, index=False)
    events.to_csv(interactions_csv, index=False)
    return products_csv, interactions_csv
