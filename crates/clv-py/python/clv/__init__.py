"""clv: customer lifetime value from a notebook.

The native API mirrors the command line (``clv summarize``, ``clv fit``,
``clv predict``, ...): every function runs the same use case of the Rust
application layer on the same settings, with the GIL released while it
works. Tables go in and out through Arrow: give a path (CSV, Parquet or
JSON, as the CLI reads), a pandas or polars DataFrame or a pyarrow Table,
and get the same kind back (a path gives pandas).

>>> import clv
>>> model = clv.fit("data/cdnow_sample.csv", model="bg-nbd", spend="gamma-gamma",
...                 calibration_end="1997-09-30")
>>> model.params["r"]                                       # doctest: +SKIP
0.2426...
>>> predictions = model.predict("data/cdnow_sample.csv", horizon="12 months",
...                             calibration_end="1997-09-30")

``clv.lifetimes`` is a drop-in replacement for the ``lifetimes`` package
(``from clv.lifetimes import BetaGeoFitter``); ``clv.plotting`` draws the
usual charts with matplotlib.

Bad input raises :class:`ClvError` (a ``ValueError``) whose message names
the file or table, the line or row, and the column.
"""

from __future__ import annotations

import datetime as _dt
import json as _json
import os as _os
from typing import Any, Dict, Iterable, List, Optional, Union

import pandas as _pd

from . import _clv
from ._clv import ClvError
from ._frames import as_source as _as_source
from ._frames import output as _output

__version__ = _clv.__version__

__all__ = [
    "ClvError",
    "Model",
    "summarize",
    "fit",
    "load_model",
    "validate",
    "economics",
    "models",
    "__version__",
]

_DATA_KEYS = (
    "customer_col",
    "date_col",
    "amount_col",
    "date_format",
    "time_unit",
    "convention",
    "calibration_end",
    "observation_end",
    "zero_amounts",
    "skip_invalid",
    "delimiter",
    "decimal_comma",
    "name",
)


def _date_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, _pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def _settings(kwargs: Dict[str, Any], extra: Iterable[str] = ()) -> Dict[str, Any]:
    allowed = set(_DATA_KEYS) | set(extra)
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(unknown)}")
    out = {k: v for k, v in kwargs.items() if v is not None}
    for k in ("calibration_end", "observation_end"):
        if k in out:
            out[k] = _date_text(out[k])
    for k in ("customers", "spend_file", "events", "segment_map", "charts", "summary_file"):
        if k in out:
            out[k] = _os.fspath(out[k])
    return out


def models() -> "_pd.DataFrame":
    """The purchase models of the registry.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``name`` (as ``model=`` takes it), ``label``,
        ``params`` (the papers' names) and ``discrete``.
    """
    rows = [
        {"name": n, "label": label, "params": list(p), "discrete": d}
        for n, label, p, d in _clv.models()
    ]
    return _pd.DataFrame(rows)


def summarize(data: Any, **settings: Any) -> Any:
    """Per-customer summary of a transaction log (``clv summarize``).

    Parameters
    ----------
    data : str, os.PathLike, pandas.DataFrame, polars.DataFrame or pyarrow.Table
        The transactions: a file (CSV, Parquet, JSON) or a table with the
        customer id, date and amount columns.
    **settings
        How to read them, as the CLI's flags: ``customer_col`` ("customer_id"),
        ``date_col`` ("date"), ``amount_col`` ("amount"), ``date_format``
        (a strftime format), ``time_unit`` ("day", "week" (default), "month",
        "year"), ``convention`` ("exact" or "period", the latter as
        ``lifetimes``), ``calibration_end`` and ``observation_end`` (dates),
        ``zero_amounts`` ("keep" or "drop"), ``skip_invalid``, ``delimiter``,
        ``decimal_comma``; ``name`` names an in-memory table in messages.

    Returns
    -------
    DataFrame of the input's kind
        ``frequency``, ``recency``, ``T``, ``monetary_value`` per customer
        (and the holdout columns with a ``calibration_end``); a pandas frame
        is indexed by ``customer_id``.

    Raises
    ------
    ClvError
        For bad input, with the file (or table), line (or row) and column.
    """
    source, kind = _as_source(data)
    batch = _clv.summarize(source, _settings(settings))
    return _output(batch, kind, index="customer_id")


class Model:
    """A fitted purchase model (and spend model): the model file of ``clv fit``.

    Build one with :func:`fit` or :func:`load_model`. The JSON is the one the
    CLI writes and reads (``clv predict --model-file``).

    Attributes
    ----------
    model : str
        The purchase model's name (``"bg-nbd"``, ...).
    spend_model : str or None
        The spend model's name (``"gamma-gamma"``) or ``None``.
    time_unit : str
        The time unit of the parameters' rates.
    """

    def __init__(self, document: Union[str, Dict[str, Any]]):
        text = document if isinstance(document, str) else _json.dumps(document)
        self._json = _clv.check_model(text)
        self._doc = _json.loads(self._json)

    # -- what was fitted
    @property
    def model(self) -> str:
        """The purchase model's name (``"bg-nbd"``, ``"pareto-nbd"``, ...)."""
        return self._doc["model"]

    @property
    def spend_model(self) -> Optional[str]:
        """The spend model's name (``"gamma-gamma"``), or ``None``."""
        spend = self._doc.get("spend")
        return spend["model"] if spend else None

    @property
    def time_unit(self) -> str:
        """The time unit of the rates (``"week"``, ...): what ``predict`` reads the data in."""
        return self._doc["time_unit"]

    @property
    def params(self) -> "_pd.Series":
        """Every parameter (purchase model, then spend model) by its paper's name."""
        values = dict(self._doc["params"])
        if self._doc.get("spend"):
            values.update(self._doc["spend"]["params"])
        return _pd.Series(values, dtype=float, name="params")

    @property
    def standard_errors(self) -> "_pd.Series":
        """Asymptotic standard errors, in the order of :attr:`params`."""
        values = dict(self._doc["standard_errors"])
        if self._doc.get("spend"):
            values.update(self._doc["spend"]["standard_errors"])
        return _pd.Series(values, dtype=float, name="standard_errors")

    @property
    def identified(self) -> Optional[bool]:
        """Whether the data pin the parameters down (see the CLI's fit diagnostics)."""
        return self._doc.get("identified")

    @property
    def warnings(self) -> List[Dict[str, str]]:
        """The diagnostics' warnings (``model``, ``code``, ``message``)."""
        return list(self._doc.get("warnings", []))

    def summary(self) -> "_pd.DataFrame":
        """The fit as a table, as lifetimes' and CLVTools' summaries.

        Returns
        -------
        pandas.DataFrame
            Indexed by parameter; columns ``model``, ``coef``, ``se(coef)``,
            ``lower 95% bound``, ``upper 95% bound`` (Wald intervals).
        """
        rows = []
        sections = [self._doc] + ([self._doc["spend"]] if self._doc.get("spend") else [])
        for s in sections:
            for name, coef in s["params"].items():
                se = s["standard_errors"].get(name)
                se = float("nan") if se is None else float(se)
                rows.append(
                    {
                        "param": name,
                        "model": s["model"],
                        "coef": float(coef),
                        "se(coef)": se,
                        "lower 95% bound": float(coef) - 1.959963984540054 * se,
                        "upper 95% bound": float(coef) + 1.959963984540054 * se,
                    }
                )
        return _pd.DataFrame(rows).set_index("param")

    @property
    def log_likelihood(self) -> float:
        """Total log-likelihood of the purchase model at the optimum."""
        return float(self._doc["log_likelihood"])

    def to_json(self) -> str:
        """The model file's JSON (what ``clv fit --output`` writes)."""
        return self._json + "\n"

    def save(self, path: Union[str, "_os.PathLike[str]"]) -> None:
        """Writes the model file (readable by ``clv predict --model-file``)."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.to_json())

    @classmethod
    def load(cls, path: Union[str, "_os.PathLike[str]"]) -> "Model":
        """Reads a model file written by ``clv fit`` or :meth:`save`."""
        with open(path, encoding="utf-8") as f:
            return cls(f.read())

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"<clv.Model {self.model}{' + ' + self.spend_model if self.spend_model else ''}: {p}>"

    # -- use cases
    def predict(
        self,
        data: Any,
        horizon: str = "12 months",
        discount_rate: float = 0.1,
        margin: float = 1.0,
        intervals: Optional[float] = None,
        bootstrap: Optional[int] = None,
        draws: Optional[int] = None,
        seed: Optional[int] = None,
        allow_unidentified: bool = False,
        **settings: Any,
    ) -> Any:
        """Predicts every customer of ``data`` (``clv predict --model-file``).

        Parameters
        ----------
        data : path or table
            The transactions (see :func:`summarize`).
        horizon : str
            Prediction horizon, such as ``"12 months"`` or ``"52 weeks"``.
        discount_rate : float
            Annual discount rate of the CLV.
        margin : float
            Margin applied to revenue.
        intervals : float, optional
            Interval level (``0.9`` for 5%-95%) of the predictions.
        bootstrap : int, optional
            Intervals from this many bootstrap refits instead of parameter draws.
        draws, seed : int, optional
            Parameter draws and seed of the intervals.
        allow_unidentified : bool
            Predict even from a model the diagnostics refuse.
        **settings
            How to read ``data`` (see :func:`summarize`).

        Returns
        -------
        DataFrame of the input's kind
            The columns of ``clv predict``: ``p_alive``, ``expected_purchases``,
            ``expected_spend``, ``clv`` (and intervals), per customer.
        """
        source, kind = _as_source(data)
        s = _settings(settings)
        s.update(
            horizon=horizon,
            discount_rate=discount_rate,
            margin=margin,
            intervals=intervals,
            bootstrap=bootstrap,
            draws=draws,
            seed=seed,
            allow_unidentified=allow_unidentified,
        )
        s = {k: v for k, v in s.items() if v is not None}
        return _output(_clv.predict(source, self._json, s), kind, index="customer_id")

    def validate(self, data: Any, penalty: float = 0.0, **settings: Any) -> Dict[str, Any]:
        """Validates this model's kind on the holdout of ``data`` (``clv validate``).

        ``data`` needs a ``calibration_end``. Returns the JSON report as a dict.
        """
        return validate(data, models=[self.model], penalty=penalty, **settings)

    def economics(
        self,
        data: Any,
        customers: Any = None,
        spend: Any = None,
        margin: Optional[float] = None,
        **settings: Any,
    ) -> Dict[str, Any]:
        """Unit economics with this model's projection (``clv economics --model-file``).

        See :func:`economics` for the parameters.
        """
        return economics(data, customers=customers, spend=spend, margin=margin, model=self, **settings)

    def _influence(self, data: Any, settings: Dict[str, Any], extra: Iterable[str]) -> Any:
        source, kind = _as_source(data)
        spend = settings.pop("spend", None)
        s = _settings(settings, extra)
        if spend is not None:
            s["spend"] = _os.fspath(spend)
        return source, kind, s

    def segment(self, data: Any, **settings: Any) -> Any:
        """Scores and segments every customer (``clv segment --model-file``).

        Parameters
        ----------
        data : path or table
            The transactions (the whole history).
        **settings
            ``customers``, ``spend``, ``events`` (files), ``segment_map``,
            ``windows`` (days), ``horizon``, ``discount_rate``, ``margin``,
            ``allow_unidentified``, and how to read ``data``.

        Returns
        -------
        DataFrame of the input's kind
            The columns of ``clv segment`` (RFM scores and segment, CLV, tier,
            P(alive), churn risk, next purchase, CRV, engagement, ...).
        """
        source, kind, s = self._influence(data, dict(settings), _INFLUENCE_KEYS)
        return _output(_clv.segment(source, self._json, s), kind, index="customer_id")

    def actions(self, data: Any, **settings: Any) -> Dict[str, Any]:
        """The action lists (``clv actions --model-file``).

        Parameters
        ----------
        data : path or table
            The transactions.
        **settings
            As :meth:`segment`, plus ``max_per_list``, ``win_back_below``,
            ``remind_days``.

        Returns
        -------
        dict
            List name (``win_back``, ``remind``, ``reward``, ``ask_referral``,
            ``activate_advocates``) to a table of the input's kind.
        """
        source, kind, s = self._influence(
            data, dict(settings), _INFLUENCE_KEYS + ("max_per_list", "win_back_below", "remind_days")
        )
        return {name: _output(b, kind) for name, b in _clv.actions(source, self._json, s)}


_INFLUENCE_KEYS = (
    "customers",
    "events",
    "segment_map",
    "windows",
    "horizon",
    "discount_rate",
    "margin",
    "allow_unidentified",
)


def fit(
    data: Any = None,
    model: str = "bg-nbd",
    spend: Optional[str] = None,
    penalty: float = 0.0,
    summary_file: Any = None,
    **settings: Any,
) -> Model:
    """Fits a purchase model (and a spend model) by maximum likelihood (``clv fit``).

    Parameters
    ----------
    data : path or table, optional
        The transactions (see :func:`summarize`); ``None`` with ``summary_file``.
    model : str
        ``"bg-nbd"``, ``"pareto-nbd"``, ``"mbg-nbd"``, ``"bg-bb"`` or ``"auto"``
        (the best on a holdout; needs ``calibration_end``).
    spend : str, optional
        ``"gamma-gamma"`` to fit the spend model too.
    penalty : float
        L2 penalty weight (0: plain maximum likelihood).
    summary_file : path, optional
        A per-customer summary file instead of transactions.
    **settings
        How to read ``data`` (see :func:`summarize`).

    Returns
    -------
    Model
        With ``params``, ``standard_errors``, ``summary()``, ``predict()``, ...

    Raises
    ------
    ClvError
        For bad input or a model the data cannot fit.
    """
    source, _ = (None, None) if data is None else _as_source(data)
    s = _settings(settings)
    s.update(model=model, spend=spend, penalty=penalty)
    if summary_file is not None:
        s["summary_file"] = _os.fspath(summary_file)
    s = {k: v for k, v in s.items() if v is not None}
    return Model(_clv.fit(source, s))


def load_model(path: Union[str, "_os.PathLike[str]"]) -> Model:
    """Reads a model file written by ``clv fit`` or :meth:`Model.save`."""
    return Model.load(path)


def validate(
    data: Any,
    models: Optional[List[str]] = None,
    penalty: float = 0.0,
    charts: Any = None,
    **settings: Any,
) -> Dict[str, Any]:
    """Fits models on the calibration window and compares them on the holdout (``clv validate``).

    Parameters
    ----------
    data : path or table
        The transactions; ``calibration_end`` is required.
    models : list of str, optional
        Models to validate (default: every continuous-time model).
    penalty : float
        L2 penalty weight.
    charts : path, optional
        A directory for the SVG charts.
    **settings
        How to read ``data`` (see :func:`summarize`).

    Returns
    -------
    dict
        The JSON report of ``clv validate --format json``.
    """
    source, _ = _as_source(data)
    s = _settings(settings)
    s.update(penalty=penalty)
    if models:
        s["models"] = list(models)
    if charts is not None:
        s["charts"] = _os.fspath(charts)
    return _json.loads(_clv.validate(source, s))


def economics(
    data: Any,
    customers: Any = None,
    spend: Any = None,
    margin: Optional[float] = None,
    model: Optional[Model] = None,
    **settings: Any,
) -> Dict[str, Any]:
    """Unit economics: formula and model LTV, CAC, LTV:CAC, payback, cohorts (``clv economics``).

    Parameters
    ----------
    data : path or table
        The transactions.
    customers, spend : path, optional
        The customers file (channel, acquisition cost) and the marketing spend file.
    margin : float, optional
        Gross margin as a fraction of revenue.
    model : Model, optional
        A fitted model for the model LTV and projected payback.
    **settings
        ``cost_to_serve``, ``horizon``, ``discount_rate``, ``resamples``, ``seed``,
        ``cost_col``, ``segment``, ``allow_unidentified``, and how to read ``data``.

    Returns
    -------
    dict
        The JSON report of ``clv economics --format json``.
    """
    source, _ = _as_source(data)
    s = _settings(
        settings,
        ("cost_to_serve", "horizon", "discount_rate", "resamples", "seed", "cost_col", "segment", "allow_unidentified"),
    )
    if customers is not None:
        s["customers"] = _os.fspath(customers)
    if spend is not None:
        s["spend"] = _os.fspath(spend)
    if margin is not None:
        s["margin"] = margin
    return _json.loads(_clv.economics(source, None if model is None else model._json, s))
