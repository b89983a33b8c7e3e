"""Write the deterministic demo catalogue into data/ (or --out): see indexing/demo/demo_catalog.py.

The generator lives in the `indexing` package so `shoprec bench` can build scaled catalogues
with it; this script stays the documented entry point and writes byte-identical files.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexing.demo.demo_catalog import (
    DEFAULT_OUT,
    DEFAULT_PRODUCTS,
    DEFAULT_SEED,
    DemoDataSummary,
    default_users,
    generate_interactions,
    generate_products,
    main,
    write_demo_data,
)

__all__ = [
    "DEFAULT_OUT",
    "DEFAULT_PRODUCTS",
    "DEFAULT_SEED",
    "DemoDataSummary",
    "default_users",
    "generate_interactions",
    "generate_products",
    "main",
    "write_demo_data",
]

if __name__ == "__main__":
    raise SystemExit(main())
