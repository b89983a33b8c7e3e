"""What the shopper simulation knows about a catalogue: category popularity (Zipf-like inside
a category), near-duplicate families and the complements of every product."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexing.demo.array_ops import random_below, segment_cumsum, segment_starts
from indexing.demo.product_generator import Product
from indexing.demo.vocabulary import CATEGORIES


def sample_in_category(
    cats: np.ndarray, u: np.ndarray, cdf_keys: np.ndarray, order: np.ndarray
) -> np.ndarray:
    """Draw one product per entry of cats by within-category popularity.

    cdf_keys holds, for products sorted by category, category + cumulative share, so a
    single searchsorted samples all categories at once.
    """
    pos = np.searchsorted(cdf_keys, cats + u, side="right")
    return order[np.minimum(pos, order.size - 1)]


@dataclass(frozen=True)
class Catalogue:
    """Per-product arrays the interaction simulation samples from."""

    cat: np.ndarray  # category index per product
    n_cat: int
    cdf_keys: np.ndarray
    by_cat: np.ndarray
    cat_traffic: np.ndarray  # probability of each category for exploration
    fam_start: np.ndarray  # per product: first index in fam_order of its family
    fam_size: np.ndarray
    fam_order: np.ndarray
    partners: np.ndarray  # [n, 4], -1 where unused
    n_partners: np.ndarray
    related: list[np.ndarray]


def build_catalogue(products: list[Product], rng: np.random.Generator) -> Catalogue:
    """Derive categories, popularity, near-duplicate families and complements."""
    n = len(products)
    cat_names, cat = np.unique([p.category for p in products], return_inverse=True)
    n_cat = cat_names.size
    by_cat = np.argsort(cat, kind="stable")
    cat_counts = np.bincount(cat, minlength=n_cat)
    cat_first = segment_starts(cat_counts)

    # Zipf-like popularity: a random rank inside the category, weight 1 / rank^0.9.
    u = rng.random(n)
    rank_in_cat = np.empty(n, dtype=np.int64)
    shuffled = np.lexsort((u, cat))
    rank_in_cat[shuffled] = np.arange(n) - np.repeat(cat_first, cat_counts)
    weight = 1.0 / (rank_in_cat + 1.0) ** 0.9
    w_sorted = weight[by_cat]
    cum = segment_cumsum(w_sorted, cat_first, cat_counts)
    share = cum / np.repeat(cum[cat_first + cat_counts - 1], cat_counts)
    cdf_keys = cat[by_cat] + share

    # Big categories draw more traffic, but less than proportionally.
    traffic = np.sqrt(cat_counts.astype(float))
    traffic /= traffic.sum()

    # Near-duplicate families: same category and title stem (text before the first comma).
    stems = [f"{p.category}|{p.title.split(',', 1)[0]}" for p in products]
    _, fam = np.unique(stems, return_inverse=True)
    fam_order = np.argsort(fam, kind="stable")
    fam_counts = np.bincount(fam)
    fam_first = segment_starts(fam_counts)
    fam_start = fam_first[fam]
    fam_size = fam_counts[fam]

    index = {str(name): i for i, name in enumerate(cat_names)}
    related = []
    for name in cat_names:
        spec = CATEGORIES.get(str(name))
        rel = [index[r] for r in spec.related if r in index] if spec else []
        related.append(np.array(rel or [index[str(name)]], dtype=np.int64))
    rel_count = np.array([r.size for r in related])
    rel_matrix = np.full((n_cat, int(rel_count.max())), -1, dtype=np.int64)
    for i, r in enumerate(related):
        rel_matrix[i, : r.size] = r

    # Complements: 2-4 partners, mostly in related categories, biased to popular items.
    n_partners = rng.integers(2, 5, size=n)
    kind = rng.choice(3, size=(n, 4), p=[0.7, 0.2, 0.1])
    own = np.repeat(cat[:, None], 4, axis=1)
    pick = random_below(rng, rel_count[own])
    target = np.where(kind == 0, rel_matrix[own, pick], own)
    target = np.where(kind == 2, rng.integers(n_cat, size=(n, 4)), target)
    partners = sample_in_category(target.ravel(), rng.random(n * 4), cdf_keys, by_cat).reshape(n, 4)
    partners[partners == np.arange(n)[:, None]] = -1
    partners[np.arange(4)[None, :] >= n_partners[:, None]] = -1
    return Catalogue(
        cat=cat,
        n_cat=n_cat,
        cdf_keys=cdf_keys,
        by_cat=by_cat,
        cat_traffic=traffic,
        fam_start=fam_start,
        fam_size=fam_size,
        fam_order=fam_order,
        partners=partners,
        n_partners=n_partners,
        related=related,
    )
