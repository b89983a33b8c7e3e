"""The demo shop's products: families of near-duplicate variants over the category vocabulary.

Products of one category share its words (vocabulary.json), and a family is one base product
in several colours or sizes, so content similarity means something.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from indexing.demo.vocabulary import CATEGORIES

IMG_URL = "https://img.example.com/products/{}.jpg"


class Product(NamedTuple):
    """One row of products.csv (all fields already formatted as text)."""

    product_id: str
    title: str
    category: str
    description: str
    price: str
    img_url: str


def _title_case(text: str) -> str:
    # str.title() would mangle "USB-C" and "chef's"; capitalise first letters only.
    return " ".join(w[:1].upper() + w[1:] for w in text.split())


def _pick(words: tuple[str, ...], u: float) -> str:
    """The word a uniform draw u in [0, 1) lands on."""
    return words[int(u * len(words))]


def _family_sizes(n: int, rng: np.random.Generator) -> np.ndarray:
    """Split n products into families of 1-6 variants (mean ~2.2)."""
    sizes = np.minimum(rng.geometric(0.45, size=max(n, 1)), 6)
    cut = int(np.searchsorted(np.cumsum(sizes), n))
    sizes = sizes[: cut + 1].copy()
    sizes[-1] -= int(sizes.sum()) - n
    return sizes[sizes > 0]


def _price_text(raw: np.ndarray, rng: np.random.Generator) -> list[str]:
    # Shops like charm prices; keep some raw cents so the column is not all x.99.
    ending = rng.choice(4, size=raw.size, p=[0.5, 0.1, 0.1, 0.3])
    whole = np.floor(raw)
    price = np.where(ending == 0, whole + 0.99, raw)
    price = np.where(ending == 1, whole + 0.49, price)
    price = np.where(ending == 2, np.maximum(whole, 1.0), price)
    price = np.maximum(np.round(price, 2), 0.49)
    return [f"{p:.2f}" for p in price]


def generate_products(n: int, rng: np.random.Generator) -> list[Product]:
    """Generate n products over the CATEGORIES vocabulary.

    Products come in families (same brand/adjective/material/noun in several
    colours or sizes); families are shuffled so ids are not grouped by category, but
    the variants of a family keep consecutive ids, as when a shop adds a product line.
    """
    if n < 1:
        raise ValueError("need at least one product")
    names = list(CATEGORIES)
    n_cat = len(names)
    if n >= n_cat:
        # Dirichlet shares make some categories noticeably bigger than others.
        counts = 1 + rng.multinomial(n - n_cat, rng.dirichlet(np.full(n_cat, 8.0)))
    else:
        counts = np.zeros(n_cat, dtype=np.int64)
        counts[:n] = 1

    # One entry per family: (category, brand, descriptive phrase, title stem, variants).
    families: list[tuple[str, str, str, str, list[tuple[str, str, float]]]] = []
    for cat, count in zip(names, counts, strict=True):
        if count == 0:
            continue
        spec = CATEGORIES[cat]
        sizes = _family_sizes(int(count), rng)
        m = sizes.size
        brand = rng.integers(len(spec.brands), size=m)
        adj = np.where(rng.random(m) < 0.8, rng.integers(len(spec.adjectives), size=m), -1)
        mat = np.where(rng.random(m) < 0.6, rng.integers(len(spec.materials), size=m), -1)
        noun = rng.integers(len(spec.nouns), size=m)
        col0 = rng.integers(len(spec.variants), size=m)
        size0 = rng.integers(len(spec.sizes), size=m)
        # Variants differ by colour (0), by size (1) or by both (2).
        axis = rng.choice(3, size=m, p=[0.5, 0.25, 0.25])
        base = spec.price_median * np.exp(spec.price_sigma * rng.standard_normal(m))
        jitter = np.exp(0.05 * rng.standard_normal(int(sizes.sum())))
        k = 0
        for f in range(m):
            words = [spec.adjectives[adj[f]]] if adj[f] >= 0 else []
            words += [spec.materials[mat[f]]] if mat[f] >= 0 else []
            words.append(spec.nouns[noun[f]])
            thing = " ".join(words)
            stem = f"{spec.brands[brand[f]]} {_title_case(thing)}"
            variants = []
            for j in range(int(sizes[f])):
                c = (col0[f] + j * (axis[f] != 1)) % len(spec.variants)
                s = (size0[f] + j * (axis[f] != 0)) % len(spec.sizes)
                # Bigger sizes cost more; sizes are listed in ascending order.
                price = base[f] * (1.0 + 0.18 * s) * jitter[k]
                variants.append((spec.variants[c], spec.sizes[s], float(price)))
                k += 1
            families.append((cat, spec.brands[brand[f]], thing, stem, variants))

    order = rng.permutation(len(families))
    flat = [(*families[i][:4], *v) for i in order for v in families[i][4]]
    prices = _price_text(np.array([row[-1] for row in flat]), rng)

    n_sent = rng.choice(3, size=n, p=[0.25, 0.45, 0.30]) + 1
    picks = rng.random((n, 5))
    width = max(6, len(str(n)))
    rows: list[Product] = []
    for i, (cat, brand, thing, stem, variant, size, _) in enumerate(flat):
        spec = CATEGORIES[cat]
        pid = f"P{i + 1:0{width}d}"
        r = picks[i]
        feature = _pick(spec.features, r[0])
        template = int(r[1] * 3)
        if template == 0:
            first = f"{thing[:1].upper()}{thing[1:]} {feature}."
        elif template == 1:
            first = f"The {thing} from {brand}, {feature}."
        else:
            first = f"Designed by {brand}: the {thing} {feature}."
        sentences = [first]
        if n_sent[i] >= 2:
            sentences.append(_pick(spec.benefits, r[2]))
        if n_sent[i] >= 3:
            other = _pick(spec.benefits, r[4])
            if r[3] < 0.5 or other == sentences[-1]:
                other = f"Shown in {variant}, size {size}."
            sentences.append(other)
        rows.append(
            Product(
                pid,
                f"{stem}, {_title_case(variant)}, {size}",
                cat,
                " ".join(sentences),
                prices[i],
                IMG_URL.format(pid),
            )
        )
    return rows
