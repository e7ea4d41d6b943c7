import sys, pandas as pd, numpy as np
from lifetimes.utils import summary_data_from_transaction_data, calibration_and_holdout_data
tx = pd.read_csv("tx.csv", dtype={"customer_id": str})
tx["date"] = pd.to_datetime(tx["date"])
for freq, unit in [("D","day"),("W","week")]:
    s = summary_data_from_transaction_data(tx, "customer_id", "date", "amount", observation_period_end="2021-12-31", freq=freq)
    s.index = s.index.astype(int); s = s.sort_index()
    s.to_csv(f"lt_{unit}.csv")
    c = calibration_and_holdout_data(tx, "customer_id", "date", calibration_period_end="2021-03-31", observation_period_end="2021-12-31", freq=freq, monetary_value_col="amount")
    c.index = c.index.astype(int); c = c.sort_index()
    c.to_csv(f"ltc_{unit}.csv")
print("ok")
