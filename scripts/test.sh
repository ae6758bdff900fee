#!/usr/bin/env bash
# Runs every test: installs the package with its test dependencies (building
# the Rust extension in release mode), then Rust lint + unit tests, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --upgrade-strategy only-if-needed '.[test]'
# SentencePiece's test models come from its sdist on PyPI (sha256-checked).
python3 scripts/fetch_test_models.py
cargo fmt --all --check
cargo clippy -p toksmith -p toksmith-py --all-targets --quiet -- -D warnings
cargo test -p toksmith --quiet
if [ "${CI:-}" = "true" ]; then export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}"; fi
# Run from tests/ so that `import toksmith` is the installed package, not ./python.
python3 -m pytest -q -p no:cacheprovider tests "$@"
