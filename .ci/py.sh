#!/usr/bin/env bash
# CI for the Python package (crates/clv-py): a fresh virtual environment, the
# wheel built from this checkout (debug profile: it reuses what `cargo test
# --workspace` compiled), the test dependencies (lifetimes 0.11.3 with the
# pandas and numpy it runs on), then pytest. Exits non-zero on any failure,
# including pytest's exit 5 (no test collected); pytest's closing line is the
# last line printed.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
start=$(date +%s)

PYTHON=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/clv-py-ci.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== venv ($($PYTHON --version 2>&1)) in $work"
$PYTHON -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check --upgrade pip
# lifetimes 0.11.3 needs pandas < 2 (its calibration_and_holdout_data breaks on
# later pandas) and numpy < 2; pyarrow 21+ needs numpy 2.
"$py" -m pip install --quiet --disable-pip-version-check \
  "maturin>=1.5,<2" pytest "lifetimes==0.11.3" "pandas<2" "numpy<2" "pyarrow>=14,<21" polars matplotlib

echo "== maturin build (debug profile)"
"$work/venv/bin/maturin" build --profile dev --manifest-path crates/clv-py/Cargo.toml \
  --interpreter "$py" --out "$work/wheels" --quiet 2>&1 | grep -v '^\s*$' | tail -n 3
"$py" -m pip install --quiet --disable-pip-version-check --no-deps "$work"/wheels/clv-*.whl
echo "== set-up and build took $(( $(date +%s) - start )) s"

echo "== pytest"
set +e
(cd crates/clv-py && MPLBACKEND=Agg "$py" -m pytest -q -p no:cacheprovider tests)
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no test: failing" >&2
  exit 1
fi
exit "$rc"
