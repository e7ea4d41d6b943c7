#!/usr/bin/env bash
# `clv segment`, `actions`, `referrals`, `engagement` and `profile` on
# 1,000,000 simulated customers (~3 million purchases) with a customers file
# (1,000,000 rows: channels, preferential referrals, attributes), the spend
# file and ~5 million engagement events, from a fitted model file.
# Usage: bench/influence.sh [CUSTOMERS] [CLV]   (needs /usr/bin/time; uses hyperfine if installed)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
clv=${2:-target/release/clv}
out=bench-out
mkdir -p "$out"
[ -x "$clv" ] || cargo build --release -p clv-cli
p="$out/influence-$n"
[ -f "$p-events.csv" ] || bench/influence-data.sh "$n" "$clv"
[ -f "$p-model.json" ] || $clv -q fit "$p.csv" --model bg-nbd --spend gamma-gamma --output "$p-model.json"
echo "input: $(($(wc -l < "$p.csv") - 1)) purchases, $(($(wc -l < "$p-customers.csv") - 1)) customers, $(($(wc -l < "$p-events.csv") - 1)) events"
common=("$p.csv" --model-file "$p-model.json" --customers "$p-customers.csv" --spend-file "$p-spend.csv"
  --events "$p-events.csv" --margin 0.3)
mkdir -p "$out/lists"
declare -A cmds=(
  [segment]="$(printf '%q ' "$clv" segment "${common[@]}" --output "$out/segments.csv")"
  [actions]="$(printf '%q ' "$clv" actions "${common[@]}" --out-dir "$out/lists")"
  [referrals]="$(printf '%q ' "$clv" referrals "${common[@]}" --output "$out/referrals.txt")"
  [engagement]="$(printf '%q ' "$clv" engagement "${common[@]}" --output "$out/engagement.txt")"
  [profile]="$(printf '%q ' "$clv" profile "${common[@]}" --output "$out/profile.txt")"
)
for name in segment actions referrals engagement profile; do
  for i in 1 2 3; do
    eval "/usr/bin/time -f '$name: %e s wall, %U s user, %M KB peak RSS' ${cmds[$name]} -q" 2> "$out/stderr.txt" \
      || { cat "$out/stderr.txt"; exit 1; }
    tail -n 1 "$out/stderr.txt"
  done
done
if command -v hyperfine > /dev/null; then
  hyperfine -w 1 -r 5 "${cmds[segment]}-q" "${cmds[actions]}-q" "${cmds[referrals]}-q" \
    "${cmds[engagement]}-q" "${cmds[profile]}-q"
fi
