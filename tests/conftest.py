"""Shared fixtures and the Hypothesis profiles.

Profiles: "fast" (default, 50 examples) and "ci" (200 examples, no deadline), chosen by the
HYPOTHESIS_PROFILE environment variable; with CI=true and no HYPOTHESIS_PROFILE, "ci" is used.
"""

from __future__ import annotations

import importlib.resources
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

import helpers  # noqa: E402

settings.register_profile("fast", max_examples=50, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "fast"))


@pytest.fixture(scope="session")
def sample_path() -> Path:
    assert helpers.SAMPLE_PATH.is_file(), f"{helpers.SAMPLE_PATH} is missing"
    return helpers.SAMPLE_PATH


@pytest.fixture(scope="session")
def sample_text(sample_path: Path) -> str:
    return sample_path.read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def multilingual_lines() -> list[str]:
    return helpers.multilingual_lines()


@pytest.fixture(scope="session")
def multilingual_file(tmp_path_factory, multilingual_lines: list[str]) -> Path:
    path = tmp_path_factory.mktemp("multilingual") / "generated.txt"
    path.write_bytes("".join(multilingual_lines).encode("utf-8"))
    return path


@pytest.fixture(scope="session")
def english_dir(tmp_path_factory) -> Path:
    """a.txt, nested/b.txt and nested/deeper/c.txt of English text (c.txt has no final newline)."""
    root = tmp_path_factory.mktemp("english")
    places = [root / "a.txt", root / "nested" / "b.txt", root / "nested" / "deeper" / "c.txt"]
    for path, text in zip(places, helpers.english_documents(n_files=len(places))):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return root


@pytest.fixture(scope="session")
def corpora(sample_path, multilingual_lines, multilingual_file, english_dir) -> dict[str, helpers.Corpus]:
    """Every corpus in the forms toksmith accepts, with the lines HF gets for the same documents.

    In-memory texts are given as iterators or iterables, never as a list: a list of str is read as paths.
    """
    english_files = helpers.text_files_under(english_dir)

    def english_lines() -> list[str]:
        return [line for f in english_files for line in helpers.read_lines(f)]

    corpus_list = [
        helpers.Corpus("sample-path", lambda: sample_path, lambda: helpers.read_lines(sample_path)),
        helpers.Corpus("sample-str", lambda: str(sample_path), lambda: helpers.read_lines(sample_path)),
        helpers.Corpus("multilingual-iter", lambda: (line for line in multilingual_lines),
                       lambda: list(multilingual_lines)),
        helpers.Corpus("multilingual-iterable", lambda: helpers.ReIterable(multilingual_lines),
                       lambda: list(multilingual_lines)),
        helpers.Corpus("multilingual-file", lambda: multilingual_file,
                       lambda: helpers.read_lines(multilingual_file)),
        helpers.Corpus("english-dir", lambda: english_dir, english_lines),
        helpers.Corpus("english-paths", lambda: list(english_files), english_lines),
    ]
    return {c.name: c for c in corpus_list}


@pytest.fixture(scope="session")
def bbpe_gpt2(sample_path):
    """toksmith bbpe tokenizer, pattern gpt2, trained on data/sample.txt with two special tokens."""
    import toksmith

    return toksmith.train(sample_path, model="bbpe", vocab_size=1000, pattern="gpt2", min_frequency=2,
                          special_tokens=helpers.SPECIALS, show_progress=False)


@pytest.fixture
def json_path(tmp_path: Path) -> Path:
    return tmp_path / "tokenizer.json"


@pytest.fixture(scope="session")
def anthropic_tokenizer_path() -> Path:
    path = Path(str(importlib.resources.files("anthropic") / "tokenizer.json"))
    assert path.is_file(), f"anthropic does not ship {path}"
    return path
