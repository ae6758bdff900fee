"""The build backend (build_backend/toksmith_build.py): the profile it builds with, and the Rust flags it sets."""

from __future__ import annotations

import importlib.util
import os
import struct
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def backend() -> ModuleType:
    spec = importlib.util.spec_from_file_location("toksmith_build", ROOT / "build_backend" / "toksmith_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("CARGO_ENCODED_RUSTFLAGS", "RUSTFLAGS", "TOKSMITH_PGO"):
        monkeypatch.delenv(k, raising=False)


def test_the_profile_is_an_llvm_19_readable_ir_profile(backend: ModuleType) -> None:
    """An indexed profile of IR instrumentation (rustc's -Cprofile-generate), in a format LLVM 19 reads."""
    head = backend.PROFILE.read_bytes()[:16]
    magic, version = struct.unpack("<QQ", head)
    assert magic == 0x8169666F72706CFF, f"{backend.PROFILE} is not an indexed LLVM profile"
    assert version & 0xFFFFFFFF <= 12, f"indexed format version {version & 0xFFFFFFFF}: too new for LLVM 19"
    assert version >> 56 & 1, "not an IR-level profile"
    # The file and the backend say the same: pyproject includes the profile in the sdist.
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'build-backend = "toksmith_build"' in pyproject
    assert '{ path = "pgo/toksmith.profdata", format = "sdist" }' in pyproject
    assert '{ path = "pgo/sources.sha256", format = "sdist" }' in pyproject


def test_the_profile_was_made_from_these_sources(backend: ModuleType) -> None:
    """pgo/sources.sha256 (written by scripts/pgo.sh) is the digest of the Rust sources as they are now."""
    recorded = backend.SOURCES.read_text(encoding="ascii").strip()
    assert recorded == backend.sources_digest(), (
        "the Rust sources changed since pgo/toksmith.profdata was made: run `bash scripts/pgo.sh` and commit "
        "the profile and pgo/sources.sha256"
    )


def test_the_digest_leaves_out_comments_but_not_code(backend: ModuleType, tmp_path: Path) -> None:
    code = "//! A crate.\n\n/// One.\npub fn one() -> u32 {\n    1 // the one\n}\n"
    trees = iter(range(100))

    def digest(files: dict[str, str] | None = None) -> str:
        """The digest of a small source tree, with `files` (relative path: text) added or replaced."""
        root = tmp_path / str(next(trees))
        tree = {
            "Cargo.toml": "[workspace]\n",
            "Cargo.lock": "version = 4\n",
            "rust/core/Cargo.toml": "[package]\n",
            "rust/core/src/lib.rs": code,
            "rust/core/examples/x.rs": "fn main() {}\n",
        }
        tree.update(files or {})
        for rel, text in tree.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        return backend.sources_digest(root)

    base = digest()
    notes = (
        "//! A crate.\n//! Performance notes: tried x.\n\n/// One, always.\n"
        "pub fn one() -> u32 {\n\n    // note\n    1 // the one\n}\n"
    )
    assert digest({"rust/core/src/lib.rs": notes}) == base
    # Examples are not part of the extension.
    assert digest({"rust/core/examples/x.rs": "fn main() { println!() }\n"}) == base
    for changed in (
        {"rust/core/src/lib.rs": code.replace("1 //", "2 //")},  # code
        {"rust/core/src/lib.rs": code.replace("// the one", "// one")},  # a comment after code on its line
        {"rust/core/src/lib.rs": code + "pub fn two() {}\n"},
        {"rust/core/src/extra.rs": "fn f() {}\n"},
        {"Cargo.lock": "version = 3\n"},
    ):
        assert digest(changed) != base, changed


@pytest.mark.parametrize("record", ["other", "missing"])
def test_a_stale_profile_is_said(
    backend: ModuleType, clean_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path, record: str,
) -> None:
    """The build still uses it (the functions that did not change gain), and says so on stderr."""
    sources = tmp_path / "sources.sha256"
    if record == "other":
        sources.write_text("0" * 64 + "\n", encoding="ascii")
    monkeypatch.setattr(backend, "SOURCES", sources)
    assert backend.pgo_flags() == [f"-Cprofile-use={backend.PROFILE}"]
    err = capsys.readouterr().err
    assert err.startswith(f"toksmith build: PGO with {backend.PROFILE}, ")
    assert ("other Rust sources" if record == "other" else "no sources.sha256") in err
    assert "scripts/pgo.sh" in err and err.count("\n") == 1


def test_this_rustc_reads_the_profile(
    backend: ModuleType, clean_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    major = backend._llvm_major()
    assert major is not None and major >= backend.MIN_LLVM, f"rustc's LLVM {major} cannot build with the profile"
    assert backend.pgo_flags() == [f"-Cprofile-use={backend.PROFILE}"]
    assert capsys.readouterr().err == f"toksmith build: PGO with {backend.PROFILE}\n"
    assert Path(backend.PROFILE).is_absolute()


@pytest.mark.parametrize("why", ["asked", "old-llvm", "no-rustc", "no-profile"])
def test_pgo_is_left_out_and_says_why(
    backend: ModuleType, clean_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path, why: str,
) -> None:
    if why == "asked":
        monkeypatch.setenv("TOKSMITH_PGO", "0")
        said = "TOKSMITH_PGO=0"
    elif why == "old-llvm":
        monkeypatch.setattr(backend, "_llvm_major", lambda: 18)
        said = "LLVM is 18"
    elif why == "no-rustc":
        monkeypatch.setenv("RUSTC", str(tmp_path / "no-such-rustc"))
        said = "LLVM is None"
    else:
        monkeypatch.setattr(backend, "PROFILE", tmp_path / "missing.profdata")
        said = "missing.profdata"
    assert backend.pgo_flags() == []
    err = capsys.readouterr().err
    assert "without PGO" in err or "building without it" in err
    assert said in err


@pytest.mark.parametrize(
    ("encoded", "plain", "before"),
    [
        (None, None, []),
        (None, "-Ctarget-cpu=native  -Cdebuginfo=1", ["-Ctarget-cpu=native", "-Cdebuginfo=1"]),
        ("-Cfoo=a b\x1f-Cbar", "-Cignored", ["-Cfoo=a b", "-Cbar"]),
        ("", "-Cignored", []),
    ],
)
def test_the_flags_go_after_the_callers_and_the_environment_is_restored(
    backend: ModuleType, clean_env: None, monkeypatch: pytest.MonkeyPatch,
    encoded: str | None, plain: str | None, before: list[str],
) -> None:
    if encoded is not None:
        monkeypatch.setenv("CARGO_ENCODED_RUSTFLAGS", encoded)
    if plain is not None:
        monkeypatch.setenv("RUSTFLAGS", plain)
    monkeypatch.setattr(backend, "_llvm_major", lambda: 22)
    seen: list[str] = []

    def hook(*args: object) -> str:
        seen.append(os.environ["CARGO_ENCODED_RUSTFLAGS"])
        raise RuntimeError("the build failed")

    with pytest.raises(RuntimeError, match="the build failed"):
        backend._with_pgo(hook, "wheels")
    assert seen == ["\x1f".join(before + [f"-Cprofile-use={backend.PROFILE}"])]
    assert os.environ.get("CARGO_ENCODED_RUSTFLAGS") == encoded
    assert os.environ.get("RUSTFLAGS") == plain


def test_the_wheel_hooks_build_with_pgo(backend: ModuleType, clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, object, str]] = []

    def fake(name: str):
        def hook(directory: object, *rest: object) -> str:
            calls.append((name, directory, os.environ.get("CARGO_ENCODED_RUSTFLAGS", "")))
            return "toksmith.whl"
        return hook

    monkeypatch.setattr(backend.maturin, "build_wheel", fake("wheel"))
    monkeypatch.setattr(backend.maturin, "build_editable", fake("editable"))
    monkeypatch.setattr(backend, "_llvm_major", lambda: 19)
    assert backend.build_wheel("w") == "toksmith.whl"
    assert backend.build_editable("e") == "toksmith.whl"
    flag = f"-Cprofile-use={backend.PROFILE}"
    assert calls == [("wheel", "w", flag), ("editable", "e", flag)]
