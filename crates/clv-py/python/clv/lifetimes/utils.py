"""``lifetimes.utils``: per-customer summaries of a transaction log, by clv's data layer.

The summaries are clv's ``period`` convention (the one of ``lifetimes``):
purchases in the same period (day, week from Monday, ...) count once, with
their amounts summed; ``frequency`` is the number of periods with a purchase
after the first, ``recency`` and ``T`` are counted in whole periods from the
first one, ``monetary_value`` is the mean of the repeat periods' sums. The
transactions are read by the native reader (through Arrow), so a malformed
date or amount raises :class:`clv.ClvError` with its row and column instead
of a pandas error.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pandas as pd

from .. import ClvError, summarize
from .._frames import as_source

__all__ = [
    "summary_data_from_transaction_data",
    "calibration_and_holdout_data",
    "ClvError",
]

_UNITS = {"D": "day", "W": "week", "M": "month", "Y": "year", "A": "year"}


def _unit(freq: str) -> str:
    try:
        return _UNITS[freq.upper()]
    except (KeyError, AttributeError):
        raise ValueError(f"freq {freq!r} is not supported: use one of 'D', 'W', 'M', 'Y'") from None


def _date_text(value: Any, datetime_format: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    return pd.to_datetime(value, format=datetime_format).date().isoformat()


def _period_end(value: Any, datetime_format: Optional[str], freq: str) -> Optional[str]:
    """The last day of the period holding ``value``: lifetimes keeps every
    purchase of the observation end's period (it compares period starts)."""
    if value is None:
        return None
    stamp = pd.to_datetime(value, format=datetime_format)
    return stamp.to_period(freq).end_time.date().isoformat()


def _transactions(transactions: pd.DataFrame, customer_id_col: str, datetime_col: str,
                  monetary_value_col: Optional[str]) -> Any:
    columns = {
        "customer_id": transactions[customer_id_col],
        "date": transactions[datetime_col],
        "amount": transactions[monetary_value_col] if monetary_value_col else np.ones(len(transactions)),
    }
    frame = pd.DataFrame(columns)
    if frame["date"].dtype == object and pd.api.types.infer_dtype(frame["date"], skipna=True) != "string":
        # Timestamps given as Python objects: let pandas convert them. Text
        # goes over as it is: the native reader parses ISO dates and
        # timestamps, YYYYMMDD or ``datetime_format``, and names the row of
        # a bad one.
        parsed = pd.to_datetime(frame["date"], errors="coerce")
        if parsed.notna().all():
            frame["date"] = parsed
    return frame


def _restore_ids(summary: pd.DataFrame, transactions: pd.DataFrame, customer_id_col: str) -> pd.DataFrame:
    """Index by the original ids (their dtype, named as the column), sorted as lifetimes sorts them."""
    column = transactions[customer_id_col]
    if column.dtype.kind in "iu":
        summary.index = pd.Index(summary.index.astype(column.dtype), name=customer_id_col)
    elif pd.api.types.infer_dtype(column, skipna=True) == "string":
        summary.index = pd.Index(summary.index, name=customer_id_col)
    else:
        original = pd.Series(column.unique())
        lookup = dict(zip(original.astype(str), original))
        ids = [lookup.get(i, i) for i in summary.index.astype(str)]
        summary.index = pd.Index(ids, name=customer_id_col)
    try:
        summary = summary.sort_index()
    except TypeError:
        pass
    return summary


def _summarize(transactions: pd.DataFrame, customer_id_col: str, datetime_col: str,
               monetary_value_col: Optional[str], datetime_format: Optional[str], freq: str,
               calibration_end: Optional[str], observation_end: Optional[str]) -> pd.DataFrame:
    frame = _transactions(transactions, customer_id_col, datetime_col, monetary_value_col)
    source, _ = as_source(frame)
    return summarize(
        source,
        time_unit=_unit(freq),
        convention="period",
        date_format=datetime_format,
        calibration_end=calibration_end,
        observation_end=observation_end,
        name="transactions",
    ).to_pandas().set_index("customer_id")


def summary_data_from_transaction_data(
    transactions: pd.DataFrame,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: Optional[str] = None,
    datetime_format: Optional[str] = None,
    observation_period_end: Any = None,
    freq: str = "D",
    freq_multiplier: int = 1,
    include_first_transaction: bool = False,
) -> pd.DataFrame:
    """Per-customer ``frequency``, ``recency``, ``T`` (and ``monetary_value``).

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase.
    customer_id_col, datetime_col : str
        The customer id and purchase time columns.
    monetary_value_col : str, optional
        The amount column; without it there is no ``monetary_value``.
    datetime_format : str, optional
        A strftime format of the dates (default: ISO dates and timestamps, or ``YYYYMMDD``).
    observation_period_end : date or str, optional
        The end of observation (default: the last purchase date); later purchases are left out.
    freq : {"D", "W", "M", "Y"}
        The period.
    freq_multiplier : int
        Divides ``recency`` and ``T`` (``lifetimes``: periods of ``freq_multiplier`` units).
    include_first_transaction : bool
        Count the first purchase in ``frequency`` and ``monetary_value``.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted), float columns.
    """
    s = _summarize(transactions, customer_id_col, datetime_col, monetary_value_col, datetime_format, freq,
                   None, _period_end(observation_period_end, datetime_format, freq))
    out = pd.DataFrame(index=s.index)
    out["frequency"] = s["frequency"]
    out["recency"] = s["recency"] / freq_multiplier
    out["T"] = s["T"] / freq_multiplier
    if monetary_value_col:
        out["monetary_value"] = s["monetary_value"]
    if include_first_transaction:
        _include_first(out, transactions, customer_id_col, datetime_col, monetary_value_col, datetime_format, freq,
                       _period_end(observation_period_end, datetime_format, freq))
    return _restore_ids(out.astype(float), transactions, customer_id_col)


def _include_first(out: pd.DataFrame, transactions: pd.DataFrame, customer_id_col: str, datetime_col: str,
                   monetary_value_col: Optional[str], datetime_format: Optional[str], freq: str,
                   observation_end: Optional[str]) -> None:
    # Frequency counts the first period too; the mean spend takes the first
    # period's sum in: (x * m + first) / (x + 1), with the first period's sum
    # from the data layer's summary of the first purchases alone.
    if monetary_value_col:
        frame = _transactions(transactions, customer_id_col, datetime_col, monetary_value_col)
        dates = pd.to_datetime(frame["date"], format=datetime_format)
        if observation_end is not None:
            frame = frame[dates <= pd.Timestamp(observation_end)]
            dates = dates[dates <= pd.Timestamp(observation_end)]
        period = dates.dt.to_period(freq)
        first = period.groupby(frame["customer_id"].astype(str)).transform("min")
        first_sum = frame["amount"][period == first].groupby(frame["customer_id"].astype(str)[period == first]).sum()
        first_sum = first_sum.reindex(out.index.astype(str)).to_numpy()
        x = out["frequency"].to_numpy()
        out["monetary_value"] = (x * out["monetary_value"].to_numpy() + first_sum) / (x + 1)
    out["frequency"] = out["frequency"] + 1


def calibration_and_holdout_data(
    transactions: pd.DataFrame,
    customer_id_col: str,
    datetime_col: str,
    calibration_period_end: Any,
    observation_period_end: Any = None,
    freq: str = "D",
    freq_multiplier: int = 1,
    datetime_format: Optional[str] = None,
    monetary_value_col: Optional[str] = None,
    include_first_transaction: bool = False,
) -> pd.DataFrame:
    """The calibration summary and what each customer did in the holdout.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase.
    customer_id_col, datetime_col : str
        The customer id and purchase time columns.
    calibration_period_end : date or str
        The last day of the calibration period.
    observation_period_end : date or str, optional
        The last day of the holdout (default: the last purchase date).
    freq, freq_multiplier, datetime_format, monetary_value_col, include_first_transaction
        As :func:`summary_data_from_transaction_data`.

    Returns
    -------
    pandas.DataFrame
        ``frequency_cal``, ``recency_cal``, ``T_cal`` (``monetary_value_cal``),
        ``frequency_holdout`` (periods with a purchase), ``monetary_value_holdout``
        (mean amount of the holdout's purchases) and ``duration_holdout``, for
        the customers of the calibration period.
    """
    if include_first_transaction:
        raise NotImplementedError("include_first_transaction=True is not supported by calibration_and_holdout_data")
    cal_end = _date_text(calibration_period_end, datetime_format)
    obs_end = _date_text(observation_period_end, datetime_format)
    if obs_end is None:
        obs_end = _date_text(pd.to_datetime(transactions[datetime_col], format=datetime_format).max(), None)
    s = _summarize(transactions, customer_id_col, datetime_col, monetary_value_col, datetime_format, freq,
                   cal_end, obs_end)
    if "frequency_holdout" not in s.columns:
        raise ValueError(
            "There is no data available. Check the `observation_period_end` and `calibration_period_end` and "
            "confirm that values in `transactions` occur prior to those dates."
        )
    out = pd.DataFrame(index=s.index)
    out["frequency_cal"] = s["frequency"]
    out["recency_cal"] = s["recency"] / freq_multiplier
    out["T_cal"] = s["T"] / freq_multiplier
    if monetary_value_col:
        out["monetary_value_cal"] = s["monetary_value"]
    out["frequency_holdout"] = s["frequency_holdout"]
    if monetary_value_col:
        # lifetimes' definition, kept: the mean amount of the holdout's rows
        # (not of its periods' sums, as the calibration's monetary value is).
        dates = pd.to_datetime(transactions[datetime_col], format=datetime_format)
        rows = (dates > pd.Timestamp(cal_end)) & (dates <= pd.Timestamp(obs_end))
        ids = transactions[customer_id_col][rows].astype(str)
        mean = transactions[monetary_value_col][rows].astype(float).groupby(ids.to_numpy()).mean()
        out["monetary_value_holdout"] = mean.reindex(out.index.astype(str)).fillna(0.0).to_numpy()
    out["duration_holdout"] = s["duration_holdout"] / freq_multiplier
    return _restore_ids(out.astype(float), transactions, customer_id_col)
