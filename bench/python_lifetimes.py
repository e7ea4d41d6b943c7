"""The lifetimes notebook workflow at scale, three ways in one run: `lifetimes`
0.11.3, `clv.lifetimes` (the same code with the import changed), and clv's
native API.

Usage: python bench/python_lifetimes.py bench-out/sim-1000000.csv
(bench/python.sh makes the file, builds the release wheel and runs this).

The workflow: read the CSV with pandas, weekly summary
(`summary_data_from_transaction_data(..., freq="W")`), BG/NBD fit,
Gamma-Gamma fit on repeat buyers, P(alive) and 12-month CLV at 1%/month
for every customer. The native API does the same job from the file
(`clv.fit(path, model="bg-nbd", spend="gamma-gamma", convention="period")`,
then `model.predict(path, horizon="12 months")`: reading, summarising,
fitting and predicting in Rust).
"""

import sys
import time
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")


def workflow(name, fitters, utils, path):
    times = {}
    t = time.perf_counter()
    tx = pd.read_csv(path, dtype={"customer_id": str})
    times["read CSV (pandas)"] = time.perf_counter() - t
    t = time.perf_counter()
    summary = utils.summary_data_from_transaction_data(tx, "customer_id", "date", "amount", freq="W")
    times["summary"] = time.perf_counter() - t
    t = time.perf_counter()
    bgf = fitters.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    times["BG/NBD fit"] = time.perf_counter() - t
    t = time.perf_counter()
    repeat = summary[summary["frequency"] > 0]
    ggf = fitters.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    times["Gamma-Gamma fit"] = time.perf_counter() - t
    t = time.perf_counter()
    alive = bgf.conditional_probability_alive(summary["frequency"], summary["recency"], summary["T"])
    clv = ggf.customer_lifetime_value(
        bgf, summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"],
        time=12, discount_rate=0.01, freq="W",
    )
    times["P(alive) + CLV"] = time.perf_counter() - t
    times["total"] = sum(times.values())
    return times, bgf, ggf, np.asarray(alive, dtype=float), np.asarray(clv, dtype=float)


def native(path):
    import clv

    times = {}
    t = time.perf_counter()
    model = clv.fit(path, model="bg-nbd", spend="gamma-gamma", convention="period", time_unit="week")
    times["read + summary + fits (clv.fit)"] = time.perf_counter() - t
    t = time.perf_counter()
    pred = model.predict(path, horizon="12 months", discount_rate=0.1, convention="period")
    times["read + summary + predictions (Model.predict)"] = time.perf_counter() - t
    times["total"] = sum(times.values())
    return times, model, pred


def main():
    path = sys.argv[1]
    which = sys.argv[2:] or ["lifetimes", "clv.lifetimes", "native"]
    results = {}
    if "lifetimes" in which:
        import lifetimes
        import lifetimes.utils

        results["lifetimes"] = workflow("lifetimes", lifetimes, lifetimes.utils, path)
    if "clv.lifetimes" in which:
        import clv.lifetimes
        import clv.lifetimes.utils

        results["clv.lifetimes"] = workflow("clv.lifetimes", clv.lifetimes, clv.lifetimes.utils, path)
    for name, (times, bgf, ggf, _, _) in results.items():
        print(f"== {name} ({len(bgf.data)} customers)")
        for step, seconds in times.items():
            print(f"  {step:<28} {seconds:8.2f} s")
        print("  BG/NBD", {k: round(v, 6) for k, v in bgf.params_.items()},
              "Gamma-Gamma", {k: round(v, 6) for k, v in ggf.params_.items()})
    if "lifetimes" in results and "clv.lifetimes" in results:
        (_, lb, lg, la, lc), (_, cb, cg, ca, cc) = results["lifetimes"], results["clv.lifetimes"]
        rel = lambda a, b: float(np.nanmax(np.abs(np.asarray(a) - np.asarray(b)) / np.abs(np.asarray(b))))  # noqa: E731
        print(f"== agreement: BG/NBD params {rel(cb.params_, lb.params_):.1e}, Gamma-Gamma params "
              f"{rel(cg.params_, lg.params_):.1e}, P(alive) {rel(ca, la):.1e}; "
              f"lifetimes NaN P(alive): {int(np.isnan(la).sum())}, clv NaN: {int(np.isnan(ca).sum())}; "
              f"CLV differs by design (30-day vs 30.4375-day months): median ratio {np.nanmedian(cc / lc):.5f}")
    if "native" in which:
        times, model, pred = native(path)
        print(f"== clv native API ({len(pred)} customers)")
        for step, seconds in times.items():
            print(f"  {step:<46} {seconds:8.2f} s")
        print("  params", {k: round(v, 6) for k, v in model.params.items()})
    if len(results) == 2 and "native" in which:
        lt, ct = results["lifetimes"][0]["total"], results["clv.lifetimes"][0]["total"]
        print(f"== speed-up: clv.lifetimes {lt / ct:.1f}x, native {lt / times['total']:.1f}x over lifetimes")


if __name__ == "__main__":
    main()
