"""FT.SEARCH replies parsed by the service's own KNN code, in both protocol shapes."""

from __future__ import annotations

from service.store.catalog_reader import ProductCard
from service.store.vector_search import SearchFilter, knn_arguments, knn_distances, knn_rows

PREFIX = "shoprec:v3:product:"


def test_resp3_reply_with_fields() -> None:
    reply = {
        b"total_results": 2,
        b"results": [
            {
                b"id": f"{PREFIX}P1".encode(),
                b"extra_attributes": {
                    b"product_id": b"P1",
                    b"title": b"Lamp",
                    b"category": b"Home|Lighting",
                    b"price": b"12.5",
                    b"img_url": b"https://img.example.com/lamp.jpg",
                    b"vector_distance": b"0.25",
                },
            },
            {
                b"id": f"{PREFIX}P2".encode(),
                b"extra_attributes": {b"vector_distance": b"0.5"},
            },
        ],
    }
    lamp = ProductCard("Lamp", ("Home", "Lighting"), 12.5, "https://img.example.com/lamp.jpg")
    assert list(knn_rows(reply, PREFIX)) == [("P1", lamp, 0.25), ("P2", None, 0.5)]


def test_resp2_reply_takes_the_id_from_the_key() -> None:
    reply = [
        2,
        f"{PREFIX}P:9".encode(),
        [b"vector_distance", b"0.1"],
        f"{PREFIX}P2".encode(),
        [b"title", b"Rug", b"vector_distance", b"0.3", b"product_id", b"P2"],
    ]
    # A product without category, price or image: an empty card, not a missing one.
    rug = ProductCard("Rug", (), None, None)
    assert list(knn_rows(reply, PREFIX)) == [("P:9", None, 0.1), ("P2", rug, 0.3)]


def test_without_fields_the_distance_comes_as_the_sort_key() -> None:
    args = knn_arguments("idx", "cf_vector", b"\0" * 8, 40, "*", 64, return_fields=())
    assert args[2] == "(*)=>[KNN 40 @cf_vector $vector EF_RUNTIME 64 AS vector_distance]"
    assert "RETURN" not in args
    assert args[args.index("NOCONTENT") : args.index("SORTBY") + 2] == [
        "NOCONTENT",
        "WITHSORTKEYS",
        "SORTBY",
        "vector_distance",
    ]
    with_fields = knn_arguments("idx", "cf_vector", b"\0" * 8, 40, "*", 64, ("title",))
    assert with_fields[with_fields.index("RETURN") + 1 : with_fields.index("SORTBY")] == [
        2,
        "title",
        "vector_distance",
    ]
    assert "NOCONTENT" not in with_fields


def test_sort_key_replies_in_both_protocol_shapes() -> None:
    resp2 = [2, f"{PREFIX}P:9".encode(), b"#0.125", f"{PREFIX}P2".encode(), b"#1.5"]
    resp3 = {
        b"total_results": 2,
        b"results": [
            {b"id": f"{PREFIX}P:9".encode(), b"sortkey": b"#0.125", b"values": []},
            {b"id": f"{PREFIX}P2".encode(), b"sortkey": b"#1.5", b"values": []},
        ],
    }
    expected = [("P:9", 0.125), ("P2", 1.5)]
    assert list(knn_distances(resp2, PREFIX)) == expected
    assert list(knn_distances(resp3, PREFIX)) == expected


def test_a_filter_that_only_leaves_categories_out_searches_the_graph_in_batches() -> None:
    assert SearchFilter(without=frozenset({"garden"})).broad
    assert not SearchFilter().broad
    assert not SearchFilter(category="tools", without=frozenset({"garden"})).broad
    assert not SearchFilter(price_max=20.0, without=frozenset({"garden"})).broad
    args = knn_arguments("idx", "cf_vector", b"\0" * 8, 40, "-@category:{garden}", 64, batches=True)
    assert args[2] == (
        "(-@category:{garden})=>[KNN 40 @cf_vector $vector EF_RUNTIME 64 HYBRID_POLICY BATCHES"
        " AS vector_distance]"
    )
