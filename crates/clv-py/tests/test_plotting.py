"""The notebook charts: drawn from the model's own predictions, saved as PNG."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import clv.lifetimes as C  # noqa: E402
import clv.lifetimes.utils as CU  # noqa: E402
from clv.lifetimes import plotting  # noqa: E402


@pytest.fixture(scope="module")
def fitted(transactions):
    cal = CU.calibration_and_holdout_data(transactions, "customer_id", "date", "1997-09-30", freq="W",
                                          monetary_value_col="amount")
    bgf = C.BetaGeoFitter().fit(cal["frequency_cal"], cal["recency_cal"], cal["T_cal"])
    return cal, bgf


def image_of(ax):
    return np.asarray(ax.images[0].get_array())


def test_matrices_show_the_models_predictions(fitted, tmp_path):
    cal, bgf = fitted
    ax = plotting.plot_probability_alive_matrix(bgf, max_frequency=10, max_recency=30)
    z = image_of(ax)
    assert z.shape == (31, 11)
    assert z[30, 5] == pytest.approx(bgf.conditional_probability_alive(5, 30, 30))
    assert z[10, 5] < z[30, 5]  # the longer since the last purchase, the less alive
    ax.figure.savefig(tmp_path / "alive.png")
    assert (tmp_path / "alive.png").stat().st_size > 1000
    ax = plotting.plot_frequency_recency_matrix(bgf, T=4, max_frequency=10, max_recency=30)
    assert image_of(ax)[30, 5] == pytest.approx(bgf.conditional_expected_number_of_purchases_up_to_time(4, 5, 30, 30))


def test_calibration_vs_holdout(fitted):
    cal, bgf = fitted
    ax = plotting.plot_calibration_purchases_vs_holdout_purchases(bgf, cal, n=5)
    actual, predicted = (line.get_ydata() for line in ax.lines)
    assert len(actual) == len(predicted) == 6
    zero = cal["frequency_cal"] == 0
    assert actual[0] == pytest.approx(cal.loc[zero, "frequency_holdout"].mean())
    assert np.all(np.diff(predicted) > 0)


def test_tracking_curve(fitted, transactions):
    cal, bgf = fitted
    df = plotting.expected_cumulative_transactions(bgf, transactions, "date", "customer_id", t=80, freq="W")
    # Actual repeat purchases (distinct customer-weeks after the first) over the whole period.
    assert df["actual"].iloc[-1] == CU.summary_data_from_transaction_data(
        transactions, "customer_id", "date", freq="W")["frequency"].sum()
    # The model tracks the calibration period within 5%.
    assert df["predicted"].iloc[38] == pytest.approx(df["actual"].iloc[38], rel=0.05)
    ax = plotting.plot_cumulative_transactions(bgf, transactions, "date", "customer_id", t=80, t_cal=39, freq="W")
    assert len(ax.lines) == 3
    ax = plotting.plot_incremental_transactions(bgf, transactions, "date", "customer_id", t=80, t_cal=39, freq="W")
    assert np.asarray(ax.lines[0].get_ydata()).sum() == df["actual"].iloc[-1]


def test_clv_distribution(fitted):
    values = np.array([0.0, 1.0, 2.0, 100.0, np.nan])
    ax = plotting.plot_clv_distribution(values, bins=4)
    assert sum(p.get_height() for p in ax.patches) == 4
