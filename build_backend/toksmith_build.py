"""The PEP 517 build backend: maturin's, building the extension with profile-guided optimisation (PGO).

Every hook is maturin's. Those that build a wheel first add ``-Cprofile-use=<repo>/pgo/toksmith.profdata`` to the
Rust flags (through ``CARGO_ENCODED_RUSTFLAGS``, after any flags already set there or in ``RUSTFLAGS``), so that
``pip install .`` builds the release extension with the branch and call counts that ``scripts/pgo.sh`` recorded
from ``scripts/pgo_workload.py``. The path is absolute: cargo runs rustc for crates from the registry in their own
directory, so a relative path in ``.cargo/config.toml`` would not be found there.

PGO is left out, with a line on stderr saying why, when the profile is missing (a source tree without it), when
rustc's LLVM is older than 19 (it cannot read the profile's format), or when ``TOKSMITH_PGO=0``. A profile older
than the code only loses its effect on the functions that changed (LLVM matches functions by a hash of their
control flow and ignores stale ones, silently); ``scripts/pgo.sh`` makes it anew. So that a stale profile does
not go unnoticed, ``scripts/pgo.sh`` records beside it the digest of the Rust sources it was made from
(:func:`sources_digest`, which leaves comments out); the backend says on stderr when the sources differ, and a
test fails.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import maturin
from maturin import (  # noqa: F401  (hooks passed through unchanged)
    build_sdist,
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    get_requires_for_build_wheel,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "pgo" / "toksmith.profdata"
#: The digest of the Rust sources the profile was made from (:func:`sources_digest`), written by scripts/pgo.sh.
SOURCES = ROOT / "pgo" / "sources.sha256"
#: The oldest LLVM that reads the profile (indexed format version 12, written by llvm-profdata 19).
MIN_LLVM = 19


def _llvm_major() -> int | None:
    rustc = os.environ.get("RUSTC", "rustc")
    try:
        out = subprocess.run([rustc, "-vV"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    m = re.search(r"^LLVM version: (\d+)", out, re.MULTILINE)
    return int(m.group(1)) if m else None


def sources_digest(root: Path = ROOT) -> str:
    """sha256 of what the extension is compiled from: the Rust sources of both crates, the manifests and the lock.

    Lines that are only a comment (``//``, ``///``, ``//!``) and blank lines are left out, so that editing the
    documentation or the performance notes does not make the profile stale; any other change does.
    """
    files = sorted(
        [*root.glob("rust/*/src/**/*.rs"), *root.glob("rust/*/Cargo.toml"), root / "Cargo.toml", root / "Cargo.lock"]
    )
    h = hashlib.sha256()
    for f in files:
        text = f.read_bytes()
        if f.suffix == ".rs":
            text = b"\n".join(
                line for line in text.splitlines() if line.strip() and not line.lstrip().startswith(b"//")
            )
        h.update(f"{f.relative_to(root).as_posix()}\0{len(text)}\0".encode())
        h.update(text)
    return h.hexdigest()


def _stale() -> str | None:
    """Why the profile is older than the sources, or None when it was made from them."""
    try:
        recorded = SOURCES.read_text(encoding="ascii").strip()
    except OSError:
        return f"no {SOURCES.name} beside it saying which sources it was made from"
    if recorded != sources_digest():
        return "made from other Rust sources than these"
    return None


def pgo_flags() -> list[str]:
    """The Rust flags that turn PGO on, or none; which, and why, on stderr."""
    if os.environ.get("TOKSMITH_PGO", "1") == "0":
        print("toksmith build: TOKSMITH_PGO=0, building without PGO", file=sys.stderr)
        return []
    if not PROFILE.is_file():
        print(f"toksmith build: no {PROFILE}, building without PGO", file=sys.stderr)
        return []
    llvm = _llvm_major()
    if llvm is None or llvm < MIN_LLVM:
        print(f"toksmith build: rustc's LLVM is {llvm}, PGO needs {MIN_LLVM} or later; building without it",
              file=sys.stderr)
        return []
    stale = _stale()
    if stale:
        print(f"toksmith build: PGO with {PROFILE}, {stale}: the functions changed since build without it "
              "(scripts/pgo.sh makes it anew)", file=sys.stderr)
    else:
        print(f"toksmith build: PGO with {PROFILE}", file=sys.stderr)
    return [f"-Cprofile-use={PROFILE}"]


def _with_pgo(hook: Any, *args: Any, **kwargs: Any) -> str:
    flags = pgo_flags()
    if not flags:
        return hook(*args, **kwargs)
    saved = {k: os.environ.get(k) for k in ("CARGO_ENCODED_RUSTFLAGS", "RUSTFLAGS")}
    encoded = saved["CARGO_ENCODED_RUSTFLAGS"]
    if encoded is not None:
        before = encoded.split("\x1f") if encoded else []
    else:
        before = (saved["RUSTFLAGS"] or "").split()
    os.environ["CARGO_ENCODED_RUSTFLAGS"] = "\x1f".join(before + flags)
    try:
        return hook(*args, **kwargs)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build_wheel(wheel_directory: str, config_settings: Any = None, metadata_directory: Any = None) -> str:
    """maturin's ``build_wheel``, with PGO."""
    return _with_pgo(maturin.build_wheel, wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory: str, config_settings: Any = None, metadata_directory: Any = None) -> str:
    """maturin's ``build_editable``, with PGO."""
    return _with_pgo(maturin.build_editable, wheel_directory, config_settings, metadata_directory)
