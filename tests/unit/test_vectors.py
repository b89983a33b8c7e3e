"""Content embedder, CF models, the interaction matrix and time decay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from indexing.contract.event_decay import SECONDS_PER_DAY, decayed
from indexing.models.cf_model import choose_model, ease_weights, fit_cf_vectors
from indexing.models.content_embedder import TfidfSvdEmbedder, product_texts
from indexing.models.interaction_matrix import InteractionMatrix, build_interaction_matrix

# --- content vectors --------------------------------------------------------------------
CATALOG = [
    ("Red cotton crew neck t-shirt", "Apparel", "Soft breathable cotton tee for everyday wear."),
    ("Blue denim jacket", "Apparel", "Classic denim jacket with button front and two pockets."),
    ("Wool winter scarf", "Apparel", "Warm knitted wool scarf in a chunky rib."),
    ("Running shoes with foam sole", "Shoes", "Lightweight trainers for road running."),
    ("Leather ankle boots", "Shoes", "Full grain leather boots with a side zip."),
    ("Stainless steel frying pan 28 cm", "Kitchen", "Non stick pan for gas and induction hobs."),
    ("Cast iron casserole dish", "Kitchen", "Heavy dutch oven that keeps heat for slow cooking."),
    ("Chef knife 20 cm", "Kitchen", "Forged steel kitchen knife with a full tang."),
    ("Wireless noise cancelling headphones", "Electronics", "Bluetooth over-ear headphones."),
    ("USB-C charging cable 2 m", "Electronics", "Braided cable for fast charging phones."),
    ("Smart LED light bulb", "Electronics", "Dimmable bulb controlled from your phone."),
    ("Organic green tea 100 bags", "Grocery", "Loose leaf sencha in biodegradable bags."),
    ("Dark roast coffee beans 1 kg", "Grocery", "Whole beans with notes of cocoa and caramel."),
    ("Extra virgin olive oil", "Grocery", "Cold pressed olive oil from Andalusia."),
    ("Yoga mat 6 mm", "Sports", "Non slip mat with carrying strap."),
    ("Adjustable dumbbell set", "Sports", "Pair of dumbbells from 2 to 24 kg."),
    ("Hardback notebook A5", "Stationery", "Dotted pages, lay-flat binding."),
    ("Fountain pen with converter", "Stationery", "Fine nib pen for everyday writing."),
    ("Scented soy candle", "Home", "Hand poured candle with a cotton wick."),
    ("Linen cushion cover", "Home", "Washed linen cover with hidden zip."),
]


def catalog_frame(rows: list[tuple[str, str, str]] = CATALOG) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": [f"P{i}" for i in range(len(rows))],
            "title": [r[0] for r in rows],
            "category": [r[1] for r in rows],
            "description": [r[2] for r in rows],
        }
    )


def test_product_texts_read_title_category_and_description() -> None:
    frame = catalog_frame()
    text = product_texts(frame)[0]
    assert "Red cotton crew neck t-shirt" in text
    assert "Apparel" in text
    assert "Soft breathable cotton tee" in text


def test_product_texts_accept_missing_category_and_description() -> None:
    frame = pd.DataFrame(
        {"title": ["Mug"], "category": [None], "description": [np.nan]}, dtype=object
    )
    assert "Mug" in product_texts(frame)[0]
    assert "nan" not in product_texts(frame)[0].lower()


def test_content_vectors_shape_unit_norm_float32() -> None:
    embedder = TfidfSvdEmbedder(dims=8)
    vectors = embedder.fit_transform(product_texts(catalog_frame()))

    assert vectors.shape == (len(CATALOG), 8)
    assert embedder.output_dims == 8
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_content_vectors_are_deterministic() -> None:
    texts = product_texts(catalog_frame())
    first = TfidfSvdEmbedder(dims=12).fit_transform(texts)
    second = TfidfSvdEmbedder(dims=12).fit_transform(texts)
    np.testing.assert_array_equal(first, second)


def test_dims_shrink_when_vocabulary_is_small() -> None:
    # Three words, no bigrams: at most three features, so far fewer than 256 dims.
    texts = ["alpha", "beta", "gamma", "alpha", "beta", "gamma", "alpha", "beta"]
    embedder = TfidfSvdEmbedder(dims=256)
    vectors = embedder.fit_transform(texts)

    assert 1 <= vectors.shape[1] < 3
    assert embedder.output_dims == vectors.shape[1]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_dims_shrink_when_there_are_few_documents() -> None:
    vectors = TfidfSvdEmbedder(dims=256).fit_transform(product_texts(catalog_frame()[:5]))
    assert vectors.shape[0] == 5
    assert vectors.shape[1] < 5


def test_serialised_model_embeds_new_text_the_same_way() -> None:
    embedder = TfidfSvdEmbedder(dims=10)
    fitted = embedder.fit_transform(product_texts(catalog_frame()))
    restored = TfidfSvdEmbedder.from_bytes(embedder.to_bytes())
    new_texts = ["Green cotton t-shirt", "Steel frying pan 24 cm", "Jasmine green tea"]

    assert restored.output_dims == embedder.output_dims
    np.testing.assert_allclose(restored.transform(new_texts), embedder.transform(new_texts))
    # transform of the fitted texts reproduces fit_transform
    np.testing.assert_allclose(
        restored.transform(product_texts(catalog_frame())), fitted, atol=1e-5
    )


def test_serialised_model_has_no_pickle() -> None:
    embedder = TfidfSvdEmbedder(dims=4)
    embedder.fit_transform(product_texts(catalog_frame()))
    blob = embedder.to_bytes()
    # np.load with allow_pickle=False inside from_bytes would refuse object arrays
    assert TfidfSvdEmbedder.from_bytes(blob).output_dims == 4


def test_unfitted_embedder_refuses() -> None:
    with pytest.raises(RuntimeError):
        TfidfSvdEmbedder().transform(["x"])
    with pytest.raises(RuntimeError):
        TfidfSvdEmbedder().to_bytes()


def test_near_duplicate_title_is_nearer_than_unrelated() -> None:
    embedder = TfidfSvdEmbedder(dims=16)
    vectors = embedder.fit_transform(product_texts(catalog_frame()))
    shirt, pan = vectors[0], vectors[5]
    query = embedder.transform(["Red cotton crew neck t-shirt size XL . Apparel"])[0]

    assert float(query @ shirt) > float(query @ pan) + 0.3
    # and the shirt is the single nearest product to its own variant
    assert int(np.argmax(vectors @ query)) == 0


def test_text_without_any_known_word_still_gets_a_unit_vector() -> None:
    # "X" is no token (tokens have two or more characters); a zero vector would have no
    # cosine, and RediSearch would answer NaN distances that sort before every real match.
    rows = [*CATALOG, ("X", "", "")]
    embedder = TfidfSvdEmbedder(dims=16)
    vectors = embedder.fit_transform(product_texts(catalog_frame(rows)))
    unseen = embedder.transform(["zzzz qqqq", ""])

    for block in (vectors, unseen):
        assert np.isfinite(block).all()
        np.testing.assert_allclose(np.linalg.norm(block, axis=1), 1.0, atol=1e-5)
    # and it is as far from every real product as a unit vector can be (cosine <= 0)
    assert float(np.max(vectors[:-1] @ vectors[-1])) < 1e-3
    assert float(np.max(vectors[:-1] @ unseen[0])) < 1e-3


# --- interaction matrix and decay -------------------------------------------------------
HALF_LIFE_DAYS = 10.0
HL = HALF_LIFE_DAYS * SECONDS_PER_DAY
NOW = 1_700_000_000.0


def events(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "product_id", "weight", "ts"])


def test_decay_is_one_half_after_one_half_life() -> None:
    ts = np.array([NOW, NOW - HL, NOW - 2 * HL])
    np.testing.assert_allclose(decayed(np.ones(3), ts, NOW, HALF_LIFE_DAYS), [1.0, 0.5, 0.25])


def test_decay_off_when_half_life_is_zero() -> None:
    np.testing.assert_array_equal(decayed([1.0, 1.0], [NOW, NOW - 1e9], NOW, 0.0), [1.0, 1.0])


def test_a_later_event_than_the_reference_weighs_more() -> None:
    assert float(decayed(8.0, NOW - HL, NOW, HALF_LIFE_DAYS)) == pytest.approx(4.0)
    assert float(decayed(8.0, NOW, NOW, HALF_LIFE_DAYS)) == pytest.approx(8.0)
    assert float(decayed(8.0, NOW + HL, NOW, HALF_LIFE_DAYS)) == pytest.approx(16.0)
    assert float(decayed(8.0, NOW - HL, NOW, 0.0)) == 8.0


def test_interaction_matrix_sums_repeats_then_log1p() -> None:
    matrix = build_interaction_matrix(
        events(
            [
                ("u1", "A", 1.0, NOW),  # view
                ("u1", "A", 1.0, NOW),  # view again
                ("u1", "A", 2.0, NOW),  # click
                ("u2", "B", 8.0, NOW),
            ]
        ),
        half_life_days=HALF_LIFE_DAYS,
        now=NOW,
    )
    dense = matrix.matrix.toarray()
    a, b = matrix.item_index["A"], matrix.item_index["B"]
    u1, u2 = matrix.user_ids.index("u1"), matrix.user_ids.index("u2")

    assert dense.shape == (2, 2)
    assert matrix.matrix.dtype == np.float32
    assert dense[u1, a] == pytest.approx(np.log1p(4.0), rel=1e-6)
    assert dense[u2, b] == pytest.approx(np.log1p(8.0), rel=1e-6)
    assert dense[u1, b] == 0.0


def test_interaction_matrix_applies_decay() -> None:
    matrix = build_interaction_matrix(
        events([("u1", "old", 8.0, NOW - HL), ("u1", "new", 8.0, NOW)]),
        half_life_days=HALF_LIFE_DAYS,
        now=NOW,
    )
    dense = matrix.matrix.toarray()
    assert dense[0, matrix.item_index["old"]] == pytest.approx(np.log1p(4.0), rel=1e-6)
    assert dense[0, matrix.item_index["new"]] == pytest.approx(np.log1p(8.0), rel=1e-6)


def test_interaction_matrix_default_now_is_newest_event() -> None:
    matrix = build_interaction_matrix(
        events([("u1", "old", 8.0, NOW - 2 * HL), ("u1", "new", 1.0, NOW)]),
        half_life_days=HALF_LIFE_DAYS,
    )
    assert matrix.matrix.toarray()[0, matrix.item_index["old"]] == pytest.approx(np.log1p(2.0))


def test_interaction_matrix_lists_only_items_with_events() -> None:
    matrix = build_interaction_matrix(
        events([("u1", "A", 1.0, NOW), ("u2", "C", 1.0, NOW)]), HALF_LIFE_DAYS, NOW
    )
    assert sorted(matrix.item_ids) == ["A", "C"]
    assert sorted(matrix.user_ids) == ["u1", "u2"]


# --- CF models --------------------------------------------------------------------------
def random_interactions(
    n_users: int = 300, n_items: int = 40, density: float = 0.15, seed: int = 0
) -> tuple[np.ndarray, InteractionMatrix]:
    rng = np.random.default_rng(seed)
    dense = (rng.random((n_users, n_items)) < density) * rng.integers(1, 5, (n_users, n_items))
    dense = np.log1p(dense.astype(np.float64))
    matrix = InteractionMatrix(
        matrix=sp.csr_matrix(dense.astype(np.float32)),
        user_ids=[f"u{i}" for i in range(n_users)],
        item_ids=[f"i{j}" for j in range(n_items)],
    )
    return dense, matrix


@pytest.mark.parametrize("model", ["ease", "cosine"])
def test_cf_vector_shapes(model: str) -> None:
    _, matrix = random_interactions(n_items=40)
    cf = fit_cf_vectors(matrix, dims=16, model=model)

    assert cf.model == model
    assert cf.item_ids == matrix.item_ids
    assert cf.query.shape == (40, 16)
    assert cf.index.shape == (40, 16)
    assert cf.dims == 16
    assert cf.query.dtype == np.float32 and cf.index.dtype == np.float32
    assert cf.query.flags.c_contiguous and cf.index.flags.c_contiguous
    assert np.isfinite(cf.query).all() and np.isfinite(cf.index).all()


@pytest.mark.parametrize("model", ["ease", "cosine"])
def test_cf_dims_capped_below_item_count(model: str) -> None:
    _, matrix = random_interactions(n_items=12)
    cf = fit_cf_vectors(matrix, dims=128, model=model)
    assert cf.dims == 11


@pytest.mark.parametrize("model", ["ease", "cosine"])
def test_cf_single_item(model: str) -> None:
    matrix = InteractionMatrix(sp.csr_matrix(np.ones((3, 1), np.float32)), ["a", "b", "c"], ["x"])
    cf = fit_cf_vectors(matrix, dims=16, model=model)
    assert cf.query.shape == cf.index.shape == (1, 1)
    assert np.isfinite(cf.query).all()


def test_choose_model() -> None:
    assert choose_model("auto", 100, 100) == "ease"
    assert choose_model("auto", 101, 100) == "cosine"
    assert choose_model("ease", 10**6, 100) == "ease"
    assert choose_model("cosine", 5, 100) == "cosine"
    with pytest.raises(ValueError, match="unknown CF model"):
        choose_model("als", 5, 100)


def test_fit_auto_switches_on_item_count() -> None:
    _, matrix = random_interactions(n_items=30)
    assert fit_cf_vectors(matrix, dims=8, model="auto", ease_max_items=30).model == "ease"
    assert fit_cf_vectors(matrix, dims=8, model="auto", ease_max_items=29).model == "cosine"


def test_ease_weights_have_zero_diagonal() -> None:
    _, matrix = random_interactions(n_items=20)
    weights = ease_weights(matrix.matrix, lam=50.0)
    assert weights.shape == (20, 20)
    np.testing.assert_array_equal(np.diag(weights), 0.0)


@pytest.mark.parametrize("lam", [10.0, 200.0])
def test_ease_factorisation_approximates_full_ease_scores(lam: float) -> None:
    dense, matrix = random_interactions(n_items=40)
    cf = fit_cf_vectors(matrix, dims=64, model="ease", ease_lambda=lam)  # rank 39 of 40
    full = dense @ ease_weights(matrix.matrix, lam)
    low_rank = (dense @ cf.query) @ cf.index.T

    scale = np.abs(full).max()
    assert np.abs(full - low_rank).max() < 0.05 * scale
    overlaps = [
        len(set(np.argsort(-full[u])[:10]) & set(np.argsort(-low_rank[u])[:10]))
        for u in range(len(dense))
    ]
    assert np.mean(overlaps) >= 9.5
    correlations = [np.corrcoef(full[u], low_rank[u])[0, 1] for u in range(len(dense))]
    assert min(correlations) > 0.99


def test_cosine_factorisation_approximates_item_cosine_similarity() -> None:
    dense, matrix = random_interactions(n_items=40)
    xn = dense / np.linalg.norm(dense, axis=0)
    cosine = xn.T @ xn
    _, singular, vt = np.linalg.svd(xn, full_matrices=False)

    def relative_error(approx: np.ndarray) -> float:
        return float(np.linalg.norm(cosine - approx) / np.linalg.norm(cosine))

    for dims in (39, 8):  # 39: the cap (items - 1); 8: a real reduction
        cf = fit_cf_vectors(matrix, dims=dims, model="cosine")
        best = (vt[:dims].T * singular[:dims] ** 2) @ vt[:dims]  # Eckart-Young optimum
        assert relative_error(cf.query @ cf.index.T) <= relative_error(best) * 1.01 + 1e-6
        np.testing.assert_array_equal(cf.query, cf.index)
    full = fit_cf_vectors(matrix, dims=64, model="cosine")
    assert relative_error(full.query @ full.index.T) < 0.05
    # the diagonal of a cosine matrix is 1: self-similarity is reproduced
    np.testing.assert_allclose(np.diag(full.query @ full.index.T), 1.0, atol=0.1)


def test_cosine_model_ignores_items_with_empty_columns() -> None:
    dense = np.zeros((4, 3), np.float32)
    dense[:, 0] = 1.0
    dense[:2, 1] = 1.0  # item 2 has no events (a zero column must not make NaN)
    matrix = InteractionMatrix(sp.csr_matrix(dense), list("abcd"), ["x", "y", "z"])
    cf = fit_cf_vectors(matrix, dims=2, model="cosine")
    assert np.isfinite(cf.index).all()
