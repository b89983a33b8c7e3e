"""The demo shop's interaction log: simulated shoppers over 90 days.

Users have 1-3 favourite categories that drift towards a new one over their own history;
sessions cluster in bursts; a view -> click -> add_to_cart -> purchase funnel; carting a
product often leads to viewing (and buying) its complements in the same session.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from indexing.demo.array_ops import random_below, segment_cumsum, segment_starts
from indexing.demo.catalog_structure import build_catalogue, sample_in_category
from indexing.demo.product_generator import Product

WINDOW_DAYS = 90
WINDOW_END = np.datetime64("2026-10-31T23:59:59")
WINDOW_START = WINDOW_END + np.timedelta64(1, "s") - np.timedelta64(WINDOW_DAYS, "D")
WINDOW_SECONDS = WINDOW_DAYS * 86_400
INTERACTION_TYPES = ("view", "click", "add_to_cart", "purchase")


class _Funnel(NamedTuple):
    """Which views went on to a click, a cart and a purchase, and when (one row per view)."""

    view_t: np.ndarray
    click: np.ndarray
    click_t: np.ndarray
    cart: np.ndarray
    cart_t: np.ndarray
    buy: np.ndarray
    buy_t: np.ndarray

    def steps(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(mask, times) of every step, in INTERACTION_TYPES order; every view counts."""
        every_view = np.ones(self.view_t.size, dtype=bool)
        return [
            (every_view, self.view_t),
            (self.click, self.click_t),
            (self.cart, self.cart_t),
            (self.buy, self.buy_t),
        ]


def _funnel(
    base_t: np.ndarray,
    p_click: np.ndarray | float,
    p_cart_clicked: float,
    p_cart_direct: float,
    p_buy: float,
    rng: np.random.Generator,
) -> _Funnel:
    """Draw the click, cart and purchase that follow a view at base_t."""
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
    return _Funnel(base_t, click, click_t, cart, cart_t, buy, buy_t)


def generate_interactions(
    products: list[Product], n_users: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Simulate n_users shoppers on the catalogue; return events sorted by ts.

    Columns: user_id, product_id, interaction_type, ts (ISO-8601 text without zone).
    Works on any list of Product rows, e.g. ones read back from products.csv.
    """
    if n_users < 1:
        raise ValueError("need at least one user")
    cat_info = build_catalogue(products, rng)
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
    burst = random_below(rng, n_bursts[s_user])
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
    s_first = segment_starts(n_sess)
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
    seed = sample_in_category(seed_cat, rng.random(m), cat_info.cdf_keys, cat_info.by_cat)

    # Revisits: a user comes back to something seen in an earlier session or view.
    user_first = segment_starts(np.bincount(k_user, minlength=n_users))
    k_first = user_first[k_user]
    back = np.arange(m) - k_first
    revisit = (rng.random(m) < 0.12) & (back > 0)
    prior = k_first + random_below(rng, back)
    seed = np.where(revisit, seed[prior], seed)
    # Comparing variants: the next view is often a sibling of the previous one.
    same_sess = np.zeros(m, dtype=bool)
    same_sess[1:] = k_sess[1:] == k_sess[:-1]
    sibling = same_sess & (rng.random(m) < 0.15)
    prev = seed[np.maximum(np.arange(m) - 1, 0)]
    sib = cat_info.fam_order[cat_info.fam_start[prev] + random_below(rng, cat_info.fam_size[prev])]
    seed = np.where(sibling, sib, seed)

    sess_first = segment_starts(n_seed)
    gaps = 10 + rng.exponential(60.0, size=m)
    view_t = s_start[k_sess] + segment_cumsum(gaps, sess_first, n_seed) - gaps[sess_first][k_sess]
    p_click = np.where(revisit, 0.55, 0.38)
    seen = _funnel(view_t, p_click, 0.33, 0.02, 0.5, rng)

    # --- complements: carting a product leads to its partners ---
    carted = np.flatnonzero(seen.cart)
    n_follow = rng.choice(3, size=carted.size, p=[0.35, 0.45, 0.2])
    src = np.repeat(carted, n_follow)
    slot = random_below(rng, cat_info.n_partners[seed[src]])
    partner = cat_info.partners[seed[src], slot]
    ok = partner >= 0
    src, partner = src[ok], partner[ok]
    p_view_t = seen.cart_t[src] + 5 + rng.exponential(45.0, size=src.size)
    followed = _funnel(p_view_t, 0.5, 0.4, 0.03, 0.55, rng)

    # Seed events, then complement events, each in funnel order (the sort below relies on it).
    blocks = [
        (mask, who, what, times, kind)
        for who, what, funnel in ((k_user, seed, seen), (k_user[src], partner, followed))
        for kind, (mask, times) in enumerate(funnel.steps())
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
