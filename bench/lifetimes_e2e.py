"""The same job as bench/e2e.sh with Python `lifetimes` 0.11.3, for comparison.

Usage: python bench/lifetimes_e2e.py bench-out/sim-1000000.csv
(pip install lifetimes==0.11.3). Exact-convention-like settings: weeks,
observation end = last date, BG/NBD + Gamma-Gamma, 12-month CLV at 10%/year.
"""
import sys
import time

import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

path = sys.argv[1]
t0 = time.perf_counter()
tx = pd.read_csv(path, dtype={"customer_id": str})
summary = summary_data_from_transaction_data(
    tx, "customer_id", "date", monetary_value_col="amount", freq="W"
)
t1 = time.perf_counter()
bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
t2 = time.perf_counter()
repeat = summary[summary["frequency"] > 0]
ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
t3 = time.perf_counter()
clv = ggf.customer_lifetime_value(
    bgf,
    summary["frequency"],
    summary["recency"],
    summary["T"],
    summary["monetary_value"],
    time=12,
    freq="W",
    discount_rate=0.1 / 12,
)
alive = bgf.conditional_probability_alive(summary["frequency"], summary["recency"], summary["T"])
t4 = time.perf_counter()
print(f"summary {t1 - t0:.1f} s, BG/NBD fit {t2 - t1:.1f} s, Gamma-Gamma fit {t3 - t2:.1f} s, "
      f"CLV + P(alive) {t4 - t3:.1f} s, total {t4 - t0:.1f} s ({len(summary)} customers)")
print(bgf.params_.to_dict(), ggf.params_.to_dict())
