#!/usr/bin/env bash
# Benchmark data of the influence commands (segment, actions, referrals,
# engagement, profile): 1,000,000 simulated customers in four channels
# (~3.2 million purchases), the customers file with referrers (drawn in
# proportion to purchase rates) and the planted attributes region and plan,
# the monthly spend file, and ~5 million engagement events; into bench-out/.
# Prints the time and peak memory of `clv simulate` itself.
# Usage: bench/influence-data.sh [CUSTOMERS] [CLV]   (needs /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
clv=${2:-target/release/clv}
out=bench-out
mkdir -p "$out"
if [ "$clv" = target/release/clv ]; then
  cargo build --release -p clv-cli
fi
p="$out/influence-$n"
# The parameters of bench/economics.sh (CDNOW's fit, in weeks; 770 days,
# acquisition over the first 120), plus the influence outputs.
/usr/bin/time -f "clv simulate: %e s wall, %U s user, %M KB peak RSS" \
  $clv simulate --customers "$n" --start 2024-01-01 --days 770 --acquisition-days 120 \
    --params r=0.243,alpha=4.414,a=0.793,b=2.426 --spend p=6.25,q=3.74,v=15.44 --seed 1 \
    --channels "search:0.4:45:1.0:1.0,social:0.3:30:0.6:0.8,display:0.1:60:0.5:0.9,referral:0.2:12:1.4:1.1" \
    --referrals preferential --attributes \
    --output "$p.csv" --customers-output "$p-customers.csv" --spend-output "$p-spend.csv" \
    --events-output "$p-events.csv"
echo "purchases: $(($(wc -l < "$p.csv") - 1)), customers: $(($(wc -l < "$p-customers.csv") - 1))," \
  "events: $(($(wc -l < "$p-events.csv") - 1)), sizes (MB): $(du -m "$p.csv" "$p-customers.csv" "$p-events.csv" | cut -f1 | paste -sd ' ')"
