#!/usr/bin/env bash
# Runs every command of the README's tour with one clv binary and keeps what
# each printed (stdout, stderr with timings masked, exit code) and every file
# it wrote, so that two builds can be compared byte for byte:
#
#   scripts/readme-tour.sh OLD_CLV before/ && scripts/readme-tour.sh target/release/clv after/
#   diff -r before after
#
# Also the source of the README's tour output when it is regenerated.
set -uo pipefail
clv=$(realpath "$1")
out=$(realpath -m "$2")
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out" && mkdir -p "$out/files"
cd "$out/files"
cp "$root/data/cdnow_sample.csv" cdnow.csv
printf 'customer_id,date,amount\n1,2024-01-02,10.00\n2,2024-01-03,abc\n' > orders.csv
step=0
run() { # clv arguments...
  step=$((step + 1))
  local name
  name=$(printf '%02d-%s' "$step" "$1")
  "$clv" "$@" > "$out/$name.stdout" 2> "$out/$name.stderr"
  echo $? > "$out/$name.exit"
  # Timings and the version differ between runs and builds.
  sed -E -i 's/\[ *[0-9]+\.[0-9]+s\]/[T]/g; s/\([0-9]+\.[0-9]+s\)/(T)/g' "$out/$name.stderr"
}
run summarize cdnow.csv --calibration-end 1997-09-30 --output summary.csv
run fit cdnow.csv --calibration-end 1997-09-30 --model bg-nbd --spend gamma-gamma --output model.json
run predict cdnow.csv --calibration-end 1997-09-30 --model-file model.json \
  --horizon "12 months" --discount-rate 0.1 --margin 1 --output predictions.csv
run simulate --customers 100000 --start 2024-01-01 --days 546 \
  --params r=0.243,alpha=4.414,a=0.793,b=2.426 --spend p=6.25,q=3.74,v=15.44 --seed 7 --output sim.csv
run simulate --customers 50000 --start 2024-01-01 --days 730 --acquisition-days 365 \
  --params r=0.243,alpha=4.414,a=0.793,b=2.426 --seed 7 \
  --channels "search:0.4:45:1.0:1.0,social:0.3:30:0.6:0.8,display:0.1:60:0.5:0.9,referral:0.2:12:1.4:1.1" \
  --output shop.csv --customers-output shop_customers.csv --spend-output shop_spend.csv
run fit shop.csv --model bg-nbd --spend gamma-gamma --output shop_model.json
run economics shop.csv --customers shop_customers.csv --spend shop_spend.csv \
  --margin 0.4 --cost-to-serve 1 --cost-period month --model-file shop_model.json \
  --horizon "24 months" --heatmap cohorts.svg --per-customer value.csv
run economics shop.csv --customers shop_customers.csv --spend shop_spend.csv \
  --margin 0.4 --model-file shop_model.json --format json --output economics.json
run fit cdnow.csv --calibration-end 1997-09-30 --model pareto-nbd --output pnbd.json
run fit cdnow.csv --calibration-end 1997-09-30 --model auto --output auto.json
run predict cdnow.csv --calibration-end 1997-09-30 --model bg-nbd --spend gamma-gamma \
  --horizon "12 months" --intervals 0.9 --output intervals.csv
run validate cdnow.csv --calibration-end 1997-09-30 --observation-end 1998-06-30 --charts charts
run validate cdnow.csv --calibration-end 1997-09-30 --observation-end 1998-06-30 --format json
run summarize orders.csv
run fit cdnow.csv --model sbg
run predict cdnow.csv --horizon "12 months"
run summarize no-such-file.csv
run fit cdnow.csv
run summarize cdnow.csv --delimiter ab
run predict cdnow.csv --model sbg --horizon "12 months"
run economics cdnow.csv --calibration-end 1997-09-30
run validate cdnow.csv
run simulate --customers 10 --start 2024-13-01 --days 10 --params r=1,alpha=1,a=1,b=1
# The model files carry the version that wrote them.
sed -E -i 's/"clv_version": "[^"]*"/"clv_version": "V"/' ./*.json
echo "$step commands; outputs in $out"
