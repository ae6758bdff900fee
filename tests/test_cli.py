"""The `tok` console script, run as a user would, checked against HF tokenizers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sysconfig

import helpers
import pytest
import tokenizers
import toksmith
from helpers import run_cli

SENTENCE = "Hello, wörld! 你好，世界 🦙 — ça va?\tTabs and 12345 digits."
SPECIAL = "<|endoftext|>"
VOCAB_SIZE = 600


def test_tok_is_on_path():
    assert shutil.which("tok") is not None, "`tok` is not on PATH (with pyenv, `pyenv rehash` after installing)"


@pytest.fixture(scope="session")
def tok() -> list[str]:
    """The tok installed for this interpreter (its scripts directory first, then PATH)."""
    exe = shutil.which("tok", path=sysconfig.get_path("scripts")) or shutil.which("tok")
    assert exe is not None, "the tok console script is not installed"
    return [exe]


@pytest.fixture(scope="module")
def trained(tok, sample_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "tokenizer.json"
    result = run_cli([*tok, "train", str(sample_path), "--pattern", "gpt2", "--vocab-size", str(VOCAB_SIZE),
                      "--min-frequency", "2", "--special-token", SPECIAL, "-o", str(out), "--no-progress"])
    assert result.returncode == 0, result.stderr
    assert out.is_file()
    return out


def _file_vocab(tokenizer_json: str) -> dict[str, int]:
    data = json.loads(tokenizer_json)
    return {**data["model"]["vocab"], **{t["content"]: t["id"] for t in data.get("added_tokens", [])}}


def _assert_file_matches_hf(path, hf: tokenizers.Tokenizer) -> None:
    text = path.read_text(encoding="utf-8")
    assert helpers.json_merges(text) == helpers.hf_merges(hf)
    assert _file_vocab(text) == hf.get_vocab()


def _ids(stdout: str) -> list[int]:
    return [int(field) for field in stdout.split()]


def test_train_matches_hf(trained, sample_path):
    hf = helpers.hf_bbpe(helpers.read_lines(sample_path), VOCAB_SIZE, 2, (SPECIAL,))
    _assert_file_matches_hf(trained, hf)


@pytest.mark.parametrize(("pattern", "use_regex"), [("gpt2", True), ("none", False)])
def test_train_from_stdin(tok, tmp_path, sample_text, pattern, use_regex):
    text = sample_text[:60_000] + "ab cd\n" * 40
    out = tmp_path / "stdin.json"
    result = run_cli([*tok, "train", "-", "--pattern", pattern, "--vocab-size", "400", "--min-frequency", "2",
                      "-o", str(out), "--no-progress"], input=text)
    assert result.returncode == 0, result.stderr
    _assert_file_matches_hf(out, helpers.hf_bbpe(helpers.split_keep_newline(text), 400, 2, use_regex=use_regex))


def test_encode_then_decode(tok, trained):
    expected = tokenizers.Tokenizer.from_file(str(trained)).encode(SENTENCE).ids

    from_arg = run_cli([*tok, "encode", "-t", str(trained), SENTENCE])
    assert from_arg.returncode == 0, from_arg.stderr
    assert _ids(from_arg.stdout) == expected

    from_stdin = run_cli([*tok, "encode", "-t", str(trained)], input=SENTENCE)
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert _ids(from_stdin.stdout) == expected

    decoded = run_cli([*tok, "decode", "-t", str(trained), *map(str, expected)])
    assert decoded.returncode == 0, decoded.stderr
    assert decoded.stdout.removesuffix("\n") == SENTENCE


def test_info(tok, trained):
    result = run_cli([*tok, "info", str(trained)])
    assert result.returncode == 0, result.stderr
    loaded = toksmith.Tokenizer.from_file(trained)
    assert "bbpe" in result.stdout
    assert re.search(rf"\b{VOCAB_SIZE}\b", result.stdout), result.stdout
    assert SPECIAL in result.stdout
    assert "gpt2" in result.stdout or loaded.pattern in result.stdout, result.stdout


def test_python_m_toksmith_is_tok(tok, trained):
    via_tok = run_cli([*tok, "info", str(trained)])
    via_module = run_cli([*helpers.python_module_cli(), "info", str(trained)])
    assert via_module.returncode == 0, via_module.stderr
    assert via_module.stdout == via_tok.stdout


# id, arguments after `tok` given (trained tokenizer path, tmp_path), text the error line must hold
CLI_ERRORS = [
    ("train missing file", lambda t, d: ["train", str(d / "missing.txt"), "-o", str(d / "o.json"), "--no-progress"],
     None),
    ("train non-UTF-8 file", lambda t, d: ["train", str(d / "latin1.txt"), "-o", str(d / "o.json"), "--no-progress"],
     "latin1.txt"),
    ("encode missing tokenizer", lambda t, d: ["encode", "-t", str(d / "missing.json"), "hello"], None),
    ("decode missing tokenizer", lambda t, d: ["decode", "-t", str(d / "missing.json"), "1", "2"], None),
    ("info missing tokenizer", lambda t, d: ["info", str(d / "missing.json")], None),
    ("decode unknown id", lambda t, d: ["decode", "-t", str(t), "1", str(10 * VOCAB_SIZE)], None),
    ("info on a file that is not json", lambda t, d: ["info", str(d / "latin1.txt")], None),
]


@pytest.mark.parametrize("command", [
    ["encode", "--encoding", "cl100k_base"],
    ["decode", "--encoding", "cl100k_base"],
    ["count", "-", "-o", "{out}"],
    ["train", "-", "--vocab-size", "300", "-o", "{out}", "--no-progress"],
], ids=["encode", "decode", "count", "train"])
@pytest.mark.parametrize("locale_env", [{}, {"PYTHONIOENCODING": "utf-8:surrogateescape"}], ids=["strict", "escape"])
def test_stdin_that_is_not_utf8_is_an_error(tok, tmp_path, command, locale_env):
    """As for files: one line naming stdin and the offset, exit 2, whatever stdin's text error handler would do."""
    out = tmp_path / "out.json"
    env = dict(os.environ, PYTHONUTF8="1", **locale_env)
    result = subprocess.run([*tok, *(a.format(out=out) for a in command)], input=b"12 ok\nab\xffcd 34\n",
                            capture_output=True, env=env, timeout=300, check=False)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, (result.returncode, stderr)
    assert stderr.startswith("tok: error: <stdin>: not UTF-8 text: bad byte at offset 8 ") and stderr.count("\n") == 1
    assert not out.exists() and result.stdout == b""


@pytest.mark.parametrize(("argv", "must_hold"), [c[1:] for c in CLI_ERRORS], ids=[c[0] for c in CLI_ERRORS])
def test_errors_are_one_line_and_exit_2(tok, trained, tmp_path, argv, must_hold):
    (tmp_path / "latin1.txt").write_bytes("café au lait\n".encode("latin-1"))
    result = run_cli([*tok, *argv(trained, tmp_path)])
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tok: error: "), result.stderr
    if must_hold is not None:
        assert must_hold in lines[0]
