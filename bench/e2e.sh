#!/usr/bin/env bash
# End-to-end benchmark: 1,000,000 simulated customers (~2.95 million purchases,
# ~70 MB of CSV) from the raw CSV to every customer's prediction, both as
# `clv fit` + `clv predict --model-file` and as one `clv predict --model ...`.
# Usage: bench/e2e.sh [CUSTOMERS]   (needs /usr/bin/time; uses hyperfine if installed)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
out=bench-out
mkdir -p "$out"
cargo build --release -p clv-cli
clv=target/release/clv
csv="$out/sim-$n.csv"
if [ ! -f "$csv" ]; then
  # CDNOW's fitted parameters (weeks), 90 weeks, customers acquired over the first 12 weeks.
  $clv simulate --customers "$n" --start 2024-01-01 --days 630 --acquisition-days 84 \
    --params r=0.243,alpha=4.414,a=0.793,b=2.426 --spend p=6.25,q=3.74,v=15.44 \
    --seed 1 --output "$csv"
fi
echo "input: $(wc -l < "$csv") lines, $(du -m "$csv" | cut -f1) MB"
timed() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "$label: %e s wall, %U s user, %M KB peak RSS" "$@" > /dev/null 2> "$out/stderr.txt" \
    || { cat "$out/stderr.txt"; exit 1; }
  tail -n 1 "$out/stderr.txt"
}
for i in 1 2 3; do
  timed "fit (BG/NBD + Gamma-Gamma)" $clv fit "$csv" --model bg-nbd --spend gamma-gamma --output "$out/model.json"
  timed "predict --model-file" $clv predict "$csv" --model-file "$out/model.json" --horizon "12 months" --output "$out/pred.csv"
  timed "predict --model bg-nbd --spend gamma-gamma" $clv predict "$csv" --model bg-nbd --spend gamma-gamma --horizon "12 months" --output "$out/pred.csv"
done
if command -v hyperfine > /dev/null; then
  hyperfine -w 1 -r 5 \
    "$clv -q fit $csv --model bg-nbd --spend gamma-gamma --output $out/model.json && $clv -q predict $csv --model-file $out/model.json --horizon '12 months' --output $out/pred.csv" \
    "$clv -q predict $csv --model bg-nbd --spend gamma-gamma --horizon '12 months' --output $out/pred.csv"
fi
