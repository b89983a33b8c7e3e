"""Choosing the content embedder by name, and the one-line answer when it cannot run here."""

from __future__ import annotations

import sys

import pytest

from indexing.contract.settings import get_settings
from indexing.models.content_embedder import TfidfSvdEmbedder
from indexing.models.embedder_registry import (
    EmbedderError,
    load_embedder,
    make_embedder,
    require_embedder,
)
from service.cli.main import main


@pytest.fixture
def semantic_extra_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a plain `pip install -e .` looks like: sentence_transformers cannot be imported.

    A None entry in sys.modules makes `import sentence_transformers` raise ImportError even
    though this test environment has it installed.
    """
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)


def test_tfidf_is_made_from_the_settings():
    embedder = make_embedder("tfidf", get_settings())
    assert isinstance(embedder, TfidfSvdEmbedder)
    assert embedder.dims == get_settings().catalog.content_dims


def test_unknown_embedder_names_the_choices():
    with pytest.raises(EmbedderError, match="tfidf, sbert"):
        make_embedder("word2vec", get_settings())
    with pytest.raises(EmbedderError, match="unknown content embedder"):
        load_embedder("word2vec", b"")
    with pytest.raises(EmbedderError):
        require_embedder("word2vec")


@pytest.mark.usefixtures("semantic_extra_missing")
def test_missing_extra_says_what_to_install():
    for attempt in (
        lambda: require_embedder("sbert"),
        lambda: make_embedder("sbert", get_settings()),
        lambda: load_embedder("sbert", b'{"kind": "sbert", "model": "all-MiniLM-L6-v2"}'),
    ):
        with pytest.raises(EmbedderError, match=r"pip install -e '\.\[semantic\]'"):
            attempt()
    require_embedder("tfidf")  # the default path does not need the extra


@pytest.mark.usefixtures("semantic_extra_missing")
def test_index_with_sbert_without_the_extra_fails_in_one_line(capsys):
    code = main(["index", "--embedder", "sbert", "--products", "/nonexistent.csv"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: the sbert embedder needs the 'semantic' extra")
    assert "pip install -e '.[semantic]'" in err
