#!/usr/bin/env bash
# The lifetimes workflow at 1,000,000 customers in one run: lifetimes 0.11.3,
# clv.lifetimes and clv's native API (bench/python_lifetimes.py), on the file
# bench/e2e.sh simulates, with a release build of the Python package.
# Usage: bench/python.sh [CUSTOMERS]   (CLV=path/to/clv to reuse a release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
out=bench-out
mkdir -p "$out"
clv=${CLV:-target/release/clv}
[ -x "$clv" ] || cargo build --release -p clv-cli
csv="$out/sim-$n.csv"
if [ ! -f "$csv" ]; then
  # As bench/e2e.sh: CDNOW's fitted parameters (weeks), 90 weeks, customers acquired over 12 weeks.
  "$clv" simulate --customers "$n" --start 2024-01-01 --days 630 --acquisition-days 84 \
    --params r=0.243,alpha=4.414,a=0.793,b=2.426 --spend p=6.25,q=3.74,v=15.44 \
    --seed 1 --output "$csv"
fi
venv="$out/py-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "maturin>=1.5,<2" "lifetimes==0.11.3" "pandas<2" "numpy<2" "pyarrow>=14,<21"
"$venv/bin/maturin" build --release --manifest-path crates/clv-py/Cargo.toml \
  --interpreter "$venv/bin/python" --out "$out/wheels" --quiet
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
  "$out"/wheels/clv-*.whl
echo "input: $(wc -l < "$csv") lines, $(du -m "$csv" | cut -f1) MB; $(nproc) cores"
"$venv/bin/python" bench/python_lifetimes.py "$csv"
