"""The charts people expect in a notebook (matplotlib, an optional dependency:
``pip install matplotlib``).

Every function draws on ``ax`` (or a new figure's axes) and returns the axes.
The model arguments are fitters of :mod:`clv.lifetimes` (or of ``lifetimes``
itself): the charts use only their public prediction methods.

- :func:`plot_frequency_recency_matrix`: expected purchases in the next ``T``
  periods over frequency x recency;
- :func:`plot_probability_alive_matrix`: P(alive) over frequency x recency;
- :func:`plot_calibration_purchases_vs_holdout_purchases`: mean holdout
  purchases, actual and predicted, by calibration frequency;
- :func:`plot_cumulative_transactions` and :func:`plot_incremental_transactions`:
  the tracking curve, actual and expected repeat purchases per period;
- :func:`plot_clv_distribution`: a histogram of predicted CLV.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pandas as pd

__all__ = [
    "plot_frequency_recency_matrix",
    "plot_probability_alive_matrix",
    "plot_calibration_purchases_vs_holdout_purchases",
    "plot_cumulative_transactions",
    "plot_incremental_transactions",
    "plot_clv_distribution",
    "expected_cumulative_transactions",
]


def _axes(ax: Any = None) -> Any:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("clv.plotting needs matplotlib: pip install matplotlib") from e
    return plt.figure().add_subplot(111)


def _grid(model: Any, max_frequency: Optional[int], max_recency: Optional[int]) -> tuple:
    if max_frequency is None:
        max_frequency = int(model.data["frequency"].max())
    if max_recency is None:
        max_recency = int(model.data["T"].max())
    f, r = np.meshgrid(np.arange(max_frequency + 1), np.arange(max_recency + 1))  # rows: recency
    r = np.where(f == 0, 0, r)  # no repeat purchase: recency 0
    return f, r, max_frequency, max_recency


def _matrix(ax: Any, z: np.ndarray, title: str, xlabel: str, ylabel: str, **kwargs: Any) -> Any:
    kwargs.setdefault("cmap", "RdYlGn" if "alive" in title.lower() else "viridis")
    image = ax.imshow(z, aspect="auto", origin="upper", **kwargs)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.figure.colorbar(image, ax=ax)
    return ax


def plot_frequency_recency_matrix(model: Any, T: float = 1, max_frequency: Optional[int] = None,
                                  max_recency: Optional[int] = None, title: Optional[str] = None,
                                  xlabel: str = "Customer's Historical Frequency",
                                  ylabel: str = "Customer's Recency", ax: Any = None, **kwargs: Any) -> Any:
    """Expected purchases in the next ``T`` periods by frequency (columns) and recency (rows).

    Parameters
    ----------
    model : fitted purchase fitter
    T : float
        Periods ahead.
    max_frequency, max_recency : int, optional
        Grid size (default: the fitted data's largest frequency and ``T``).
    title, xlabel, ylabel : str
    ax : matplotlib Axes, optional
    **kwargs
        Passed to ``imshow``.

    Returns
    -------
    matplotlib Axes
    """
    f, r, _, max_recency = _grid(model, max_frequency, max_recency)
    z = np.asarray(
        model.conditional_expected_number_of_purchases_up_to_time(T, f.ravel(), r.ravel(), float(max_recency))
    ).reshape(f.shape)
    if title is None:
        title = f"Expected Number of Future Purchases for {T} Unit{'s' * (T != 1)} of Time,\n" \
                "by Frequency and Recency of a Customer"
    return _matrix(_axes(ax), z, title, xlabel, ylabel, **kwargs)


def plot_probability_alive_matrix(model: Any, max_frequency: Optional[int] = None,
                                  max_recency: Optional[int] = None,
                                  title: str = "Probability Customer is Alive,\nby Frequency and Recency of a Customer",
                                  xlabel: str = "Customer's Historical Frequency",
                                  ylabel: str = "Customer's Recency", ax: Any = None, **kwargs: Any) -> Any:
    """P(alive) by frequency (columns) and recency (rows), at ``T = max_recency``.

    Returns
    -------
    matplotlib Axes
    """
    f, r, _, max_recency = _grid(model, max_frequency, max_recency)
    z = np.asarray(model.conditional_probability_alive(f.ravel(), r.ravel(), float(max_recency))).reshape(f.shape)
    return _matrix(_axes(ax), z, title, xlabel, ylabel, **kwargs)


def plot_calibration_purchases_vs_holdout_purchases(model: Any, calibration_holdout_matrix: pd.DataFrame,
                                                    kind: str = "frequency_cal", n: int = 7, ax: Any = None,
                                                    **kwargs: Any) -> Any:
    """Mean holdout purchases, actual and predicted, by calibration frequency (0..n).

    Parameters
    ----------
    model : fitted purchase fitter
    calibration_holdout_matrix : pandas.DataFrame
        From :func:`clv.lifetimes.utils.calibration_and_holdout_data`.
    kind : str
        The column to group by (``frequency_cal``).
    n : int
        Groups 0..n; larger values are grouped with ``n``.

    Returns
    -------
    matplotlib Axes
    """
    d = calibration_holdout_matrix.copy()
    d["model_predictions"] = np.asarray(
        model.conditional_expected_number_of_purchases_up_to_time(
            d["duration_holdout"], d["frequency_cal"], d["recency_cal"], d["T_cal"]
        )
    )
    group = d[kind].clip(upper=n)
    means = d.groupby(group)[["frequency_holdout", "model_predictions"]].mean()
    ax = _axes(ax)
    ax.plot(means.index, means["frequency_holdout"], marker="o", label="frequency_holdout", **kwargs)
    ax.plot(means.index, means["model_predictions"], marker="s", label="model_predictions", **kwargs)
    ax.set_title("Actual Purchases in Holdout Period vs Predicted Purchases")
    ax.set_xlabel("Purchases in calibration period")
    ax.set_ylabel("Average of Purchases in Holdout Period")
    ax.legend()
    return ax


def expected_cumulative_transactions(model: Any, transactions: pd.DataFrame, datetime_col: str,
                                     customer_id_col: str, t: int, datetime_format: Optional[str] = None,
                                     freq: str = "D") -> pd.DataFrame:
    """Actual and expected cumulative repeat purchases over ``t`` periods from the first purchase date.

    The expectation sums, over customers, the model's expected purchases of a
    new customer from the customer's first purchase to each period's end.

    Returns
    -------
    pandas.DataFrame
        Columns ``actual`` and ``predicted``, one row per period ``1..t``.
    """
    dates = pd.to_datetime(transactions[datetime_col], format=datetime_format)
    periods = dates.dt.to_period(freq)
    start = periods.min()
    index = (periods - start).apply(lambda d: d.n).to_numpy()
    frame = pd.DataFrame({"id": transactions[customer_id_col].to_numpy(), "p": index}).drop_duplicates()
    first = frame.groupby("id")["p"].min()
    frame = frame.join(first.rename("first"), on="id")
    repeat = frame[frame["p"] > frame["first"]]
    actual = np.array([(repeat["p"] < k).sum() for k in range(1, t + 1)], dtype=float)
    births = first.value_counts().sort_index()
    predicted = np.zeros(t)
    for birth, count in births.items():
        ages = np.arange(1, t + 1) - birth
        alive = ages > 0
        if alive.any():
            predicted[alive] += count * np.asarray(
                model.expected_number_of_purchases_up_to_time(ages[alive].astype(float)), dtype=float
            )
    return pd.DataFrame({"actual": actual, "predicted": predicted}, index=pd.RangeIndex(1, t + 1, name="period"))


def _tracking(model: Any, transactions: pd.DataFrame, datetime_col: str, customer_id_col: str, t: int,
              t_cal: int, datetime_format: Optional[str], freq: str, incremental: bool, ax: Any,
              title: str, xlabel: str, ylabel: str) -> Any:
    df = expected_cumulative_transactions(model, transactions, datetime_col, customer_id_col, t,
                                          datetime_format=datetime_format, freq=freq)
    if incremental:
        df = df.diff().fillna(df.iloc[0])
    ax = _axes(ax)
    ax.plot(df.index, df["actual"], label="actual")
    ax.plot(df.index, df["predicted"], linestyle="--", label="predicted")
    ax.axvline(t_cal, color="k", linestyle=":", linewidth=1)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax


def plot_cumulative_transactions(model: Any, transactions: pd.DataFrame, datetime_col: str, customer_id_col: str,
                                 t: int, t_cal: int, datetime_format: Optional[str] = None, freq: str = "D",
                                 title: str = "Tracking Cumulative Transactions", xlabel: str = "period",
                                 ylabel: str = "Cumulative Transactions", ax: Any = None, **kwargs: Any) -> Any:
    """The cumulative tracking curve: actual vs expected repeat purchases, calibration end marked.

    Parameters
    ----------
    model : fitted purchase fitter
    transactions : pandas.DataFrame
    datetime_col, customer_id_col : str
    t : int
        Periods to draw from the first purchase date.
    t_cal : int
        The calibration end, in periods from the first purchase date.

    Returns
    -------
    matplotlib Axes
    """
    return _tracking(model, transactions, datetime_col, customer_id_col, t, t_cal, datetime_format, freq, False,
                     ax, title, xlabel, ylabel)


def plot_incremental_transactions(model: Any, transactions: pd.DataFrame, datetime_col: str, customer_id_col: str,
                                  t: int, t_cal: int, datetime_format: Optional[str] = None, freq: str = "D",
                                  title: str = "Tracking Daily Transactions", xlabel: str = "period",
                                  ylabel: str = "Transactions", ax: Any = None, **kwargs: Any) -> Any:
    """The incremental tracking curve (repeat purchases per period); see :func:`plot_cumulative_transactions`."""
    return _tracking(model, transactions, datetime_col, customer_id_col, t, t_cal, datetime_format, freq, True,
                     ax, title, xlabel, ylabel)


def plot_clv_distribution(clv: Any, bins: int = 50, log: bool = True, ax: Any = None,
                          title: str = "Distribution of predicted CLV", **kwargs: Any) -> Any:
    """A histogram of predicted CLV (log-scaled counts by default: CLV is heavy-tailed).

    Parameters
    ----------
    clv : array_like
        CLV per customer (a column of ``Model.predict`` or ``customer_lifetime_value``).

    Returns
    -------
    matplotlib Axes
    """
    values = np.asarray(clv, dtype=float)
    values = values[np.isfinite(values)]
    ax = _axes(ax)
    ax.hist(values, bins=bins, log=log, **kwargs)
    ax.set_title(title)
    ax.set_xlabel("CLV")
    ax.set_ylabel("customers")
    return ax
