"""The native API: the app layer's use cases from Python, every input kind,
the same kind out, the CLI's model file, the published CDNOW values."""

import json
import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import clv

CAL = "1997-09-30"


@pytest.fixture(scope="module")
def model(cdnow_path):
    return clv.fit(cdnow_path, model="bg-nbd", spend="gamma-gamma", calibration_end=CAL)


def test_published_cdnow_parameters(model):
    # Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426;
    # Gamma-Gamma (Fader, Hardie & Lee 2005b) p = 6.25, q = 3.74, v = 15.44.
    # Each to the precision it was published with (half a unit of the last digit).
    published = {"r": "0.243", "alpha": "4.414", "a": "0.793", "b": "2.426", "p": "6.25", "q": "3.74", "v": "15.44"}
    for k, text in published.items():
        half_unit = 0.5 * 10 ** -len(text.split(".")[1])
        assert model.params[k] == pytest.approx(float(text), abs=half_unit), k
    assert list(model.standard_errors.index) == list(model.params.index)
    s = model.summary()
    assert list(s.columns) == ["model", "coef", "se(coef)", "lower 95% bound", "upper 95% bound"]
    assert (s["lower 95% bound"] < s["coef"]).all() and (s["coef"] < s["upper 95% bound"]).all()
    assert model.identified is True
    assert model.model == "bg-nbd" and model.spend_model == "gamma-gamma" and model.time_unit == "week"


def input_kinds(cdnow_path):
    import polars as pl

    df = pd.read_csv(cdnow_path, dtype={"customer_id": str, "date": str})
    return {
        "path": (cdnow_path, pd.DataFrame),
        "pandas": (df, pd.DataFrame),
        "polars": (pl.from_pandas(df), pl.DataFrame),
        "pyarrow": (pa.Table.from_pandas(df, preserve_index=False), pa.Table),
        "pyarrow-batch": (pa.RecordBatch.from_pandas(df, preserve_index=False), pa.Table),
    }


def column(table, name):
    if isinstance(table, pd.DataFrame):
        return (table.index if name == "customer_id" else table[name]).to_numpy()
    return np.asarray(table[name].to_numpy() if hasattr(table[name], "to_numpy") else table[name])


@pytest.mark.parametrize("kind", ["path", "pandas", "polars", "pyarrow", "pyarrow-batch"])
def test_every_input_kind_gives_the_same_summary_in_its_own_kind(cdnow_path, kind):
    data, out_type = input_kinds(cdnow_path)[kind]
    reference = clv.summarize(cdnow_path, calibration_end=CAL)
    got = clv.summarize(data, calibration_end=CAL)
    assert isinstance(got, out_type)
    assert len(got) == 2357
    for c in ("frequency", "recency", "T", "monetary_value", "frequency_holdout"):
        np.testing.assert_array_equal(column(got, c), reference[c].to_numpy())
    assert [str(i) for i in column(got, "customer_id")] == list(reference.index)


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_predict_from_a_table_equals_predict_from_the_file(model, cdnow_path, kind):
    data, out_type = input_kinds(cdnow_path)[kind]
    ref = model.predict(cdnow_path, horizon="12 months", calibration_end=CAL)
    got = model.predict(data, horizon="12 months", calibration_end=CAL)
    assert isinstance(got, out_type)
    for c in ("p_alive", "expected_purchases", "expected_spend", "clv"):
        np.testing.assert_allclose(column(got, c), ref[c].to_numpy(), rtol=0, atol=0)
    assert np.all(np.isfinite(ref["clv"])) and (ref["p_alive"].between(0, 1)).all()


def test_dates_as_datetimes_and_integer_ids(cdnow_path):
    df = pd.read_csv(cdnow_path, dtype={"date": str})
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    got = clv.summarize(df, calibration_end=CAL)
    ref = clv.summarize(cdnow_path, calibration_end=CAL)
    np.testing.assert_array_equal(got["recency"].to_numpy(), ref["recency"].to_numpy())


def test_model_file_round_trip_is_the_cli_contract(model, cdnow_path, tmp_path):
    path = tmp_path / "model.json"
    model.save(path)
    doc = json.loads(path.read_text())
    for key in ("model", "time_unit", "params", "standard_errors", "log_likelihood", "aic", "bic", "n_customers",
                "converged", "iterations", "spend", "identified", "warnings"):
        assert key in doc, key
    assert doc["spend"]["model"] == "gamma-gamma"
    loaded = clv.load_model(path)
    pd.testing.assert_series_equal(loaded.params, model.params)
    a = model.predict(cdnow_path, calibration_end=CAL)
    b = loaded.predict(cdnow_path, calibration_end=CAL)
    pd.testing.assert_frame_equal(a, b)


def test_fit_from_a_summary_file(tmp_path, cdnow_path):
    s = clv.summarize(cdnow_path, calibration_end=CAL)
    path = tmp_path / "summary.csv"
    s[["frequency", "recency", "T"]].to_csv(path)
    m = clv.fit(summary_file=path, model="bg-nbd")
    assert m.params["r"] == pytest.approx(0.2426, abs=1e-4)


def test_validate_economics_segment_actions(model, cdnow_path):
    v = model.validate(cdnow_path, calibration_end=CAL)
    assert [m["model"] for m in v["models"]] == ["bg-nbd"]
    assert v["holdout_actual"] > 0
    every = clv.validate(cdnow_path, calibration_end=CAL)
    assert {m["model"] for m in every["models"]} >= {"bg-nbd", "pareto-nbd", "mbg-nbd"}
    e = model.economics(cdnow_path, margin=0.3, resamples=20)
    assert e["customers"] == 2357
    seg = model.segment(pd.read_csv(cdnow_path, dtype={"customer_id": str, "date": str}))
    assert isinstance(seg, pd.DataFrame) and len(seg) == 2357
    assert {"rfm_segment", "clv", "p_alive", "churn_risk"} <= set(seg.columns)
    lists = model.actions(cdnow_path, max_per_list=50)
    assert set(lists) == {"win_back", "remind", "reward", "ask_referral", "activate_advocates"}
    assert all(len(t) <= 50 for t in lists.values())
    assert len(lists["win_back"]) > 0


def test_models_registry():
    m = clv.models()
    assert {"bg-nbd", "pareto-nbd", "mbg-nbd", "bg-bb"} <= set(m["name"])


def test_heavy_work_releases_the_gil(cdnow_path):
    """A Python thread keeps running while clv predicts 2.4M customers on another."""
    import clv.lifetimes as C

    s = clv.summarize(cdnow_path, calibration_end=CAL)
    bgf = C.BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    f, r, T = (np.tile(s[c].to_numpy(), 1000) for c in ("frequency", "recency", "T"))
    done = threading.Event()

    def work():
        for _ in range(3):
            bgf.conditional_expected_number_of_purchases_up_to_time(52, f, r, T)
        done.set()

    worker = threading.Thread(target=work)
    ticks = 0
    worker.start()
    while not done.is_set():
        ticks += 1
        done.wait(0.001)
    worker.join()
    # With the GIL held through each call, this loop could not run meanwhile.
    assert ticks >= 20
