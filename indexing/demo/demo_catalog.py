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

Only numpy, pandas and the standard library are used; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from indexing.contract.settings import PROJECT_ROOT
from indexing.demo.vocabulary import CATEGORIES

DEFAULT_PRODUCTS = 5_000
USERS_PER_PRODUCT = 0.6
DEFAULT_SEED = 42
DEFAULT_OUT = PROJECT_ROOT / "data"

WINDOW_DAYS = 90
WINDOW_END = np.datetime64("2026-10-31T23:59:59")
WINDOW_START = WINDOW_END + np.timedelta64(1, "s") - np.timedelta64(WINDOW_DAYS, "D")
WINDOW_SECONDS = WINDOW_DAYS * 86_400

IMG_URL = "https://img.example.com/products/{}.jpg"
INTERACTION_TYPES = ("view", "click", "add_to_cart", "purchase")


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
        feature = spec.features[int(r[0] * len(spec.features))]
        template = int(r[1] * 3)
        if template == 0:
            first = f"{thing[:1].upper()}{thing[1:]} {feature}."
        elif template == 1:
            first = f"The {thing} from {brand}, {feature}."
        else:
            first = f"Designed by {brand}: the {thing} {feature}."
        sentences = [first]
        if n_sent[i] >= 2:
            sentences.append(spec.benefits[int(r[2] * len(spec.benefits))])
        if n_sent[i] >= 3:
            other = spec.benefits[int(r[4] * len(spec.benefits))]
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


def _sample_in_category(
    cats: np.ndarray, u: np.ndarray, cdf_keys: np.ndarray, order: np.ndarray
) -> np.ndarray:
    """Draw one product per entry of cats by within-category popularity.

    cdf_keys holds, for products sorted by category, category + cumulative share, so a
    single searchsorted samples all categories at once.
    """
    pos = np.searchsorted(cdf_keys, cats + u, side="right")
    return order[np.minimum(pos, order.size - 1)]


def _segment_cumsum(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at every segment (segments are contiguous)."""
    total = np.cumsum(values)
    before = np.repeat(total[starts] - values[starts], lengths)
    return total - before


@dataclass(frozen=True)
class _Catalogue:
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


def _build_catalogue(products: list[Product], rng: np.random.Generator) -> _Catalogue:
    """Derive categories, popularity, near-duplicate families and complements."""
    n = len(products)
    cat_names, cat = np.unique([p.category for p in products], return_inverse=True)
    n_cat = cat_names.size
    by_cat = np.argsort(cat, kind="stable")
    cat_counts = np.bincount(cat, minlength=n_cat)
    cat_first = np.concatenate([[0], np.cumsum(cat_counts)[:-1]])

    # Zipf-like popularity: a random rank inside the category, weight 1 / rank^0.9.
    u = rng.random(n)
    rank_in_cat = np.empty(n, dtype=np.int64)
    shuffled = np.lexsort((u, cat))
    rank_in_cat[shuffled] = np.arange(n) - np.repeat(cat_first, cat_counts)
    weight = 1.0 / (rank_in_cat + 1.0) ** 0.9
    w_sorted = weight[by_cat]
    cum = _segment_cumsum(w_sorted, cat_first, cat_counts)
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
    fam_first = np.concatenate([[0], np.cumsum(fam_counts)[:-1]])
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
    pick = (rng.random((n, 4)) * rel_count[own]).astype(np.int64)
    target = np.where(kind == 0, rel_matrix[own, pick], own)
    target = np.where(kind == 2, rng.integers(n_cat, size=(n, 4)), target)
    partners = _sample_in_category(target.ravel(), rng.random(n * 4), cdf_keys, by_cat).reshape(
        n, 4
    )
    partners[partners == np.arange(n)[:, None]] = -1
    partners[np.arange(4)[None, :] >= n_partners[:, None]] = -1
    return _Catalogue(
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


def _funnel(
    base_t: np.ndarray,
    p_click: np.ndarray | float,
    p_cart_clicked: float,
    p_cart_direct: float,
    p_buy: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, ...]:
    """Return masks and times of click, cart and purchase after a view at base_t."""
    m = base_t.size
    u = rng.random((m, 3))
    click = u[:, 0] < p_click
    # A few add-to-carts happen straight from a listing page, without a click.
    cart = np.where(click, u[:, 1] < p_cart_clicked, u[:, 1] < p_cart_direct)
    buy = cart & (u[:, 2] < p_buy)
    gaps = rng.exponential([20.0, 40.0, 180.0], size=(m, 3))
    click_t = base_t + 3 + gaps[:, 0]
    cart_t = np.where(click, click_t, base_t) + 2 + gaps[:, 1]
    buy_t = cart_t + 30 + gaps[:, 2]
    return click, click_t, cart, cart_t, buy, buy_t


def generate_interactions(
    products: list[Product], n_users: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Simulate n_users shoppers on the catalogue; return events sorted by ts.

    Columns: user_id, product_id, interaction_type, ts (ISO-8601 text without zone).
    Works on any list of Product rows, e.g. ones read back from products.csv.
    """
    if n_users < 1:
        raise ValueError("need at least one user")
    cat_info = _build_catalogue(products, rng)
    n_cat = cat_info.n_cat

    # --- users: favourite categories, drift target, activity bursts ---
    n_fav = rng.choice(3, size=n_users, p=[0.35, 0.4, 0.25]) + 1
    fav = rng.choice(n_cat, size=(n_users, 4), p=cat_info.cat_traffic)
    # The drift target is often related to the first favourite: tastes move sideways.
    rel_pick = [cat_info.related[c][rng.integers(cat_info.related[c].size)] for c in fav[:, 0]]
    fav[:, 3] = np.where(rng.random(n_users) < 0.6, rel_pick, fav[:, 3])
    fav_w = rng.dirichlet(np.ones(3), size=n_users)
    fav_w[np.arange(3)[None, :] >= n_fav[:, None]] = 0.0
    fav_w /= fav_w.sum(axis=1, keepdims=True)
    drift = rng.uniform(0.3, 0.8, size=n_users)
    n_bursts = rng.integers(1, 4, size=n_users)
    burst_day = rng.uniform(0, WINDOW_DAYS, size=(n_users, 3))

    # --- sessions ---
    activity = rng.lognormal(np.log(3.6), 0.7, size=n_users)
    n_sess = 1 + rng.poisson(activity)
    s_user = np.repeat(np.arange(n_users), n_sess)
    n_s = s_user.size
    burst = (rng.random(n_s) * n_bursts[s_user]).astype(np.int64)
    day = burst_day[s_user, burst] + rng.normal(0, 2.5, size=n_s)
    # Reflect at both window edges so bursts near them do not pile up on the first/last day.
    day = np.abs(day)
    day = np.floor(np.where(day >= WINDOW_DAYS, 2 * WINDOW_DAYS - day, day))
    day = np.clip(day, 0, WINDOW_DAYS - 1)
    # Shoppers browse at lunchtime and in the evening, rarely at night.
    hour_w = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.2, 2.8, 3, 3.2])
    hour_w = np.concatenate([hour_w, [3.6, 3.4, 3, 2.9, 3, 3.3, 3.8, 4.5, 4.8, 4.2, 3, 1.8]])
    hour = rng.choice(24, size=n_s, p=hour_w / hour_w.sum())
    s_start = day * 86_400 + hour * 3600 + rng.integers(0, 3600, size=n_s)
    # Later steps look back at earlier seeds of the same user, so keep sessions in time order.
    s_ord = np.lexsort((s_start, s_user))
    s_start = s_start[s_ord].astype(np.float64)
    # Drift progresses over each user's own history (sessions cluster in bursts, so the
    # calendar alone would leave most users' tastes nearly constant).
    s_first = np.concatenate([[0], np.cumsum(n_sess)[:-1]])
    s_rank = np.arange(n_s) - np.repeat(s_first, n_sess)
    s_frac = s_rank / np.maximum(n_sess - 1, 1)[s_user]

    # --- seed views: products a user browses in a session ---
    n_seed = 1 + rng.poisson(1.9, size=n_s)
    k_sess = np.repeat(np.arange(n_s), n_seed)
    k_user = s_user[k_sess]
    m = k_sess.size
    frac = s_frac[k_sess]
    w = np.empty((m, 4))
    w[:, :3] = fav_w[k_user] * (1 - drift[k_user] * frac)[:, None]
    w[:, 3] = drift[k_user] * frac
    col = (np.cumsum(w, axis=1) < (rng.random(m) * w.sum(axis=1))[:, None]).sum(axis=1)
    seed_cat = fav[k_user, np.minimum(col, 3)]
    explore = rng.random(m) < 0.1
    seed_cat[explore] = rng.choice(n_cat, size=int(explore.sum()), p=cat_info.cat_traffic)
    seed = _sample_in_category(seed_cat, rng.random(m), cat_info.cdf_keys, cat_info.by_cat)

    # Revisits: a user comes back to something seen in an earlier session or view.
    user_first = np.concatenate([[0], np.cumsum(np.bincount(k_user, minlength=n_users))[:-1]])
    k_first = user_first[k_user]
    back = np.arange(m) - k_first
    revisit = (rng.random(m) < 0.12) & (back > 0)
    prior = k_first + (rng.random(m) * back).astype(np.int64)
    seed = np.where(revisit, seed[prior], seed)
    # Comparing variants: the next view is often a sibling of the previous one.
    same_sess = np.zeros(m, dtype=bool)
    same_sess[1:] = k_sess[1:] == k_sess[:-1]
    sibling = same_sess & (rng.random(m) < 0.15)
    prev = seed[np.maximum(np.arange(m) - 1, 0)]
    sib = cat_info.fam_order[
        cat_info.fam_start[prev] + (rng.random(m) * cat_info.fam_size[prev]).astype(np.int64)
    ]
    seed = np.where(sibling, sib, seed)

    sess_first = np.concatenate([[0], np.cumsum(n_seed)[:-1]])
    gaps = 10 + rng.exponential(60.0, size=m)
    view_t = s_start[k_sess] + _segment_cumsum(gaps, sess_first, n_seed) - gaps[sess_first][k_sess]
    p_click = np.where(revisit, 0.55, 0.38)
    click, click_t, cart, cart_t, buy, buy_t = _funnel(view_t, p_click, 0.33, 0.02, 0.5, rng)

    # --- complements: carting a product leads to its partners ---
    carted = np.flatnonzero(cart)
    n_follow = rng.choice(3, size=carted.size, p=[0.35, 0.45, 0.2])
    src = np.repeat(carted, n_follow)
    slot = (rng.random(src.size) * cat_info.n_partners[seed[src]]).astype(np.int64)
    partner = cat_info.partners[seed[src], slot]
    ok = partner >= 0
    src, partner = src[ok], partner[ok]
    p_view_t = cart_t[src] + 5 + rng.exponential(45.0, size=src.size)
    p_click, p_click_t, p_cart, p_cart_t, p_buy, p_buy_t = _funnel(
        p_view_t, 0.5, 0.4, 0.03, 0.55, rng
    )

    p_user = k_user[src]
    everything, p_all = np.ones(m, dtype=bool), np.ones(src.size, dtype=bool)
    blocks = [
        (everything, k_user, seed, view_t, 0),
        (click, k_user, seed, click_t, 1),
        (cart, k_user, seed, cart_t, 2),
        (buy, k_user, seed, buy_t, 3),
        (p_all, p_user, partner, p_view_t, 0),
        (p_click, p_user, partner, p_click_t, 1),
        (p_cart, p_user, partner, p_cart_t, 2),
        (p_buy, p_user, partner, p_buy_t, 3),
    ]
    users = np.concatenate([u[mask] for mask, u, _, _, _ in blocks])
    items = np.concatenate([i[mask] for mask, _, i, _, _ in blocks])
    secs = np.concatenate([t[mask] for mask, _, _, t, _ in blocks])
    kinds = np.concatenate([np.full(int(mask.sum()), c, np.int8) for mask, *_, c in blocks])
    # Late-night sessions on the last day would spill past the window; pin them to its end.
    secs = np.minimum(secs.astype(np.int64), WINDOW_SECONDS - 1)
    # Stable sort: on equal seconds the funnel order (views first) survives.
    order = np.argsort(secs, kind="stable")

    width = max(5, len(str(n_users)))
    user_ids = np.array([f"U{i + 1:0{width}d}" for i in range(n_users)], dtype=object)
    product_ids = np.array([p.product_id for p in products], dtype=object)
    ts = np.datetime_as_string(WINDOW_START + secs[order].astype("timedelta64[s]"), unit="s")
    return pd.DataFrame(
        {
            "user_id": user_ids[users[order]],
            "product_id": product_ids[items[order]],
            "interaction_type": np.array(INTERACTION_TYPES, dtype=object)[kinds[order]],
            "ts": ts.astype(object),
        }
    )


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
