"""The fitters of ``lifetimes`` 0.11.3, on clv's statistics core.

Same constructors, ``fit`` signatures, attributes (``params_``,
``standard_errors_``, ``variance_matrix_``, ``confidence_intervals_``,
``summary``, ``data``, ``penalizer_coef``, ``predict``) and prediction
methods as ``lifetimes``; the fits run clv-core's one maximum-likelihood
driver (analytic gradients, quasi-Newton with a Newton polish, tolerance
1e-9 on the gradient) with the GIL released.

What is the same as ``lifetimes``, by construction:

- the objective: the weighted *mean* negative log-likelihood plus
  ``penalizer_coef * sum(params ** 2)``, with the parameters in ``lifetimes``'
  scaled time (times divided by ``T.max()`` before the fit, rates scaled
  back after it), so a penalised fit finds the same optimum too. clv-core's
  ``penalty`` is this same term (``-LL / n + penalty * sum(p ** 2)``); for
  Pareto/NBD ``lifetimes`` divides the log-likelihood by the *mean* weight
  instead of the total, so its ``penalizer_coef`` is passed on divided by
  the number of rows.
- the standard errors: the inverse observed information at the optimum.

What differs, on purpose:

- ``fit`` accepts ``initial_params``, ``tol``, ``verbose``, ``iterative_fitting``,
  ``fit_method``, ``maxiter`` and optimiser keywords and ignores them: the driver
  has its own starting points and a tighter tolerance, and is deterministic
  (``lifetimes``' Pareto/NBD starts Nelder-Mead at a random point).
- predictions stay finite where ``lifetimes`` returns NaN or inf (its
  closed forms with ``hyp2f1`` and ratios of huge terms overflow at large
  frequency and age); clv-core evaluates them in log space.
- ``GammaGammaFitter.customer_lifetime_value`` uses months of 30.4375 days
  (365.25 / 12): ``lifetimes`` uses 30 days (``freq="D"``) and 4.345 weeks
  (``freq="W"``), so its monthly steps are short by 1.4% (days) and 0.07%
  (weeks).
- ``variance_matrix_`` is the full inverse information; ``lifetimes`` scales
  its off-diagonal terms wrongly (by one parameter squared instead of the
  product of two). The diagonal, and so ``standard_errors_``, agree.
"""

from __future__ import annotations

import pickle
from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd

from .. import _clv

__all__ = [
    "BaseFitter",
    "BetaGeoFitter",
    "ParetoNBDFitter",
    "ModifiedBetaGeoFitter",
    "BetaGeoBetaBinomFitter",
    "GammaGammaFitter",
]

_Z95 = 1.96  # lifetimes' confidence intervals


def _bytes(a: Any) -> bytes:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64)).tobytes()


def _array(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype=np.float64).copy()


def _index_of(*args: Any) -> Optional[pd.Index]:
    for a in args:
        if isinstance(a, (pd.Series, pd.DataFrame)):
            return a.index
    return None


def _shaped(values: np.ndarray, shape: tuple, index: Optional[pd.Index]) -> Any:
    """Results shaped as lifetimes' numpy/pandas arithmetic would give them."""
    out = values.reshape(shape)
    if shape == ():
        return float(out)
    if index is not None and len(index) == out.size and out.ndim == 1:
        return pd.Series(out, index=index)
    return out


class BaseFitter:
    """What every fitter shares: ``params_``, ``summary``, ``save_model``, ``load_model``."""

    _names: Sequence[str] = ()

    def __init__(self, penalizer_coef: float = 0.0):
        self.penalizer_coef = penalizer_coef

    def __repr__(self) -> str:
        classname = self.__class__.__name__
        try:
            subj_str = " fitted with {:d} subjects,".format(self.data.shape[0])
        except AttributeError:
            subj_str = ""
        try:
            param_str = ", ".join("{}: {:.2f}".format(par, val) for par, val in sorted(self.params_.items()))
            return "<lifetimes.{classname}:{subj_str} {param_str}>".format(
                classname=classname, subj_str=subj_str, param_str=param_str
            )
        except AttributeError:
            return "<lifetimes.{classname}>".format(classname=classname)

    def _unload_params(self, *args: str) -> list:
        if not hasattr(self, "params_"):
            raise ValueError("Model has not been fit yet. Please call the .fit method first.")
        return [self.params_[x] for x in args]

    def _set_fit(self, params: Sequence[float], ses: Sequence[float], cov: Sequence[Sequence[float]]) -> None:
        names = list(self._names)
        self.params_ = pd.Series(np.asarray(params, dtype=float), index=names)
        se = np.asarray(ses, dtype=float) if len(ses) == len(names) else np.full(len(names), np.nan)
        self.standard_errors_ = pd.Series(se, index=names)
        cov = np.asarray(cov, dtype=float) if len(cov) == len(names) else np.full((len(names), len(names)), np.nan)
        self.variance_matrix_ = pd.DataFrame(cov, index=names, columns=names)
        self.confidence_intervals_ = pd.DataFrame(
            {
                "lower 95% bound": self.params_ - _Z95 * self.standard_errors_,
                "upper 95% bound": self.params_ + _Z95 * self.standard_errors_,
            },
            index=names,
        )

    @property
    def summary(self) -> pd.DataFrame:
        """Summary statistics of the fit.

        Returns
        -------
        pandas.DataFrame
            Columns ``coef``, ``se(coef)``, ``lower 95% bound``, ``upper 95% bound``.
        """
        df = pd.DataFrame(index=self.params_.index)
        df["coef"] = self.params_
        df["se(coef)"] = self.standard_errors_
        df["lower 95% bound"] = self.confidence_intervals_["lower 95% bound"]
        df["upper 95% bound"] = self.confidence_intervals_["upper 95% bound"]
        return df

    def print_summary(self) -> None:
        """Prints :attr:`summary`."""
        print(self.summary)

    def save_model(self, path: str, save_data: bool = True, save_generate_data_method: bool = True,
                   values_to_save: Optional[list] = None) -> None:
        """Saves the fitter with pickle (``lifetimes`` uses dill; the fitters here
        hold no lambdas, so plain pickle suffices).

        Parameters
        ----------
        path : str
            Where to write.
        save_data : bool
            Whether to keep ``data`` in the file.
        save_generate_data_method, values_to_save
            Accepted for compatibility; there is no ``generate_new_data`` here.
        """
        state = dict(self.__dict__)
        if not save_data:
            state.pop("data", None)
        state.pop("predict", None)
        with open(path, "wb") as f:
            pickle.dump((type(self).__name__, state), f)

    def load_model(self, path: str) -> None:
        """Loads a fitter saved by :meth:`save_model` into this one."""
        with open(path, "rb") as f:
            _, state = pickle.load(f)
        self.__dict__.update(state)
        self._after_load()

    def _after_load(self) -> None:
        pass


class _PurchaseFitter(BaseFitter):
    """A continuous-time purchase model of clv's registry on ``(x, t_x, T)``."""

    _model = ""
    _rates: Sequence[str] = ()  # parameters in 1/time, rescaled after the fit

    def _after_load(self) -> None:
        self.predict = self.conditional_expected_number_of_purchases_up_to_time

    def _penalty(self, rows: int) -> float:
        return float(self.penalizer_coef)

    def _fit_rft(self, frequency: Any, recency: Any, T: Any, weights: Any, index: Any) -> "_PurchaseFitter":
        frequency = np.asarray(frequency).astype(int)
        recency = np.asarray(recency, dtype=float)
        T = np.asarray(T, dtype=float)
        if weights is None:
            weights = np.ones_like(recency, dtype=int)
        else:
            weights = np.asarray(weights)
        if len(T) == 0:
            raise ValueError("there are no customers to fit")
        self._scale = 1.0 / T.max()
        params, ses, cov, ll, converged, iterations = _clv.fit_purchase(
            self._model,
            _bytes(frequency),
            _bytes(recency * self._scale),
            _bytes(T * self._scale),
            _bytes(weights),
            self._penalty(len(T)),
        )
        params = np.asarray(params, dtype=float)
        ses = np.asarray(ses, dtype=float)
        cov = np.asarray(cov, dtype=float)
        # Rates were fitted in scaled time: back to the data's time unit.
        factor = np.ones(len(params))
        for name in self._rates:
            factor[list(self._names).index(name)] = self._scale
        params = params / factor
        if ses.size:
            ses = ses / factor
        if cov.size:
            cov = cov / np.outer(factor, factor)
        self._set_fit(params, ses, cov)
        w = weights.astype(float)
        scaled = params * factor
        self._negative_log_likelihood_ = -ll / w.sum() + self.penalizer_coef * float(np.sum(scaled**2))
        self.log_likelihood_ = ll
        self.converged_ = converged
        self.iterations_ = iterations
        self.data = pd.DataFrame({"frequency": frequency, "recency": recency, "T": T, "weights": weights}, index=index)
        self.predict = self.conditional_expected_number_of_purchases_up_to_time
        return self

    def _params(self) -> list:
        if not hasattr(self, "params_"):
            raise ValueError("Model has not been fit yet. Please call the .fit method first.")
        return [float(v) for v in self.params_.values]

    def _per_customer(self, what: str, t: Any, frequency: Any, recency: Any, T: Any) -> Any:
        index = _index_of(frequency, recency, T, t)
        arrays = np.broadcast_arrays(
            np.asarray(t, dtype=float),
            np.asarray(frequency, dtype=float),
            np.asarray(recency, dtype=float),
            np.asarray(T, dtype=float),
        )
        shape = arrays[0].shape
        tt, x, r, age = (a.ravel() for a in arrays)
        out = _array(
            _clv.predict_purchase(self._model, self._params(), what, _bytes(x), _bytes(r), _bytes(age), _bytes(tt))
        )
        return _shaped(out, shape, index)

    def conditional_expected_number_of_purchases_up_to_time(self, t: Any, frequency: Any, recency: Any, T: Any) -> Any:
        """Expected purchases in the next ``t`` periods of a customer with
        ``frequency``, ``recency`` and ``T``.

        Parameters
        ----------
        t : float or array_like
            Periods into the future.
        frequency, recency, T : float or array_like
            The customers' ``x``, ``t_x`` and ``T``.

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            As the inputs (a Series keeps their index). Finite where
            ``lifetimes`` overflows to NaN at large frequency.
        """
        return self._per_customer("expected", t, frequency, recency, T)

    def conditional_probability_alive(self, frequency: Any, recency: Any, T: Any) -> Any:
        """Probability that a customer with ``frequency``, ``recency`` and ``T`` is alive.

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            As the inputs.
        """
        return self._per_customer("p_alive", 0.0, frequency, recency, T)

    def conditional_probability_alive_matrix(self, max_frequency: Optional[int] = None,
                                             max_recency: Optional[int] = None) -> np.ndarray:
        """P(alive) on the grid ``recency = 0..max_recency`` x ``frequency =
        0..max_frequency`` with ``T = max_recency`` (rows: recency, as lifetimes).

        Parameters
        ----------
        max_frequency, max_recency : int, optional
            Default: the largest frequency and ``T`` of the fitted data.

        Returns
        -------
        numpy.ndarray
        """
        if max_frequency is None:
            max_frequency = int(self.data["frequency"].max())
        if max_recency is None:
            max_recency = int(self.data["T"].max())
        f, r = np.meshgrid(np.arange(max_frequency + 1), np.arange(max_recency + 1), indexing="ij")
        # A customer without repeat purchases has recency 0 (lifetimes evaluates
        # the row frequency = 0 at every recency; here the whole row is recency 0's).
        r = np.where(f == 0, 0, r)
        alive = self.conditional_probability_alive(f.ravel(), r.ravel(), np.full(f.size, float(max_recency)))
        return np.asarray(alive).reshape(f.shape).T

    def expected_number_of_purchases_up_to_time(self, t: Any) -> Any:
        """Expected purchases of a new customer in ``(0, t]``.

        Parameters
        ----------
        t : float or array_like

        Returns
        -------
        float, numpy.ndarray or pandas.Series
        """
        index = _index_of(t)
        tt = np.asarray(t, dtype=float)
        out = _array(_clv.predict_new(self._model, self._params(), _bytes(tt.ravel())))
        return _shaped(out, tt.shape, index)

    def probability_of_n_purchases_up_to_time(self, t: Any, n: int) -> Any:
        """Probability that a new customer makes exactly ``n`` purchases in ``(0, t]``.

        Parameters
        ----------
        t : float or array_like
        n : int

        Returns
        -------
        float or numpy.ndarray
        """
        index = _index_of(t)
        tt = np.asarray(t, dtype=float)
        out = _array(_clv.predict_new(self._model, self._params(), _bytes(tt.ravel()), int(n)))
        return _shaped(out, tt.shape, index)


class BetaGeoFitter(_PurchaseFitter):
    """BG/NBD (Fader, Hardie & Lee 2005), as ``lifetimes.BetaGeoFitter``.

    Parameters
    ----------
    penalizer_coef : float
        L2 penalty on the parameters (in scaled time, as ``lifetimes``).

    Attributes
    ----------
    params_ : pandas.Series
        ``r``, ``alpha``, ``a``, ``b``.
    standard_errors_, variance_matrix_, confidence_intervals_, summary, data
        As ``lifetimes``.
    """

    _model = "bg-nbd"
    _names = ("r", "alpha", "a", "b")
    _rates = ("alpha",)

    def fit(self, frequency: Any, recency: Any, T: Any, weights: Any = None, initial_params: Any = None,
            verbose: bool = False, tol: float = 1e-7, index: Any = None, **kwargs: Any) -> "BetaGeoFitter":
        """Fits the model by (penalised) maximum likelihood.

        Parameters
        ----------
        frequency, recency, T : array_like
            ``x``, ``t_x`` and ``T`` per customer (or per row of ``weights``).
        weights : array_like, optional
            Customers per row.
        initial_params, verbose, tol, **kwargs
            Accepted for compatibility and ignored (see the module).
        index : array_like, optional
            Index of :attr:`data`.

        Returns
        -------
        BetaGeoFitter
            ``self``, fitted.
        """
        return self._fit_rft(frequency, recency, T, weights, index)


class ModifiedBetaGeoFitter(BetaGeoFitter):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007), as ``lifetimes.ModifiedBetaGeoFitter``.

    Same interface as :class:`BetaGeoFitter`; a customer without repeat
    purchases may have churned too.
    """

    _model = "mbg-nbd"


class ParetoNBDFitter(_PurchaseFitter):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987), as ``lifetimes.ParetoNBDFitter``.

    Parameters
    ----------
    penalizer_coef : float
        L2 penalty on the parameters (scaled time) against ``lifetimes``' objective,
        the log-likelihood divided by the *mean* weight.

    Attributes
    ----------
    params_ : pandas.Series
        ``r``, ``alpha``, ``s``, ``beta``.
    """

    _model = "pareto-nbd"
    _names = ("r", "alpha", "s", "beta")
    _rates = ("alpha", "beta")

    def _penalty(self, rows: int) -> float:
        # lifetimes: -sum(w ll) / mean(w) + c sum(p^2) = rows * (-sum(w ll) / sum(w) + (c / rows) sum(p^2)).
        return float(self.penalizer_coef) / rows

    def fit(self, frequency: Any, recency: Any, T: Any, weights: Any = None, iterative_fitting: int = 1,
            initial_params: Any = None, verbose: bool = False, tol: float = 1e-4, index: Any = None,
            fit_method: str = "Nelder-Mead", maxiter: int = 2000, **kwargs: Any) -> "ParetoNBDFitter":
        """Fits the model by (penalised) maximum likelihood.

        Parameters
        ----------
        frequency, recency, T : array_like
            ``x``, ``t_x`` and ``T``.
        weights : array_like, optional
            Customers per row.
        iterative_fitting, initial_params, verbose, tol, fit_method, maxiter, **kwargs
            Accepted for compatibility and ignored: the fit is deterministic.
        index : array_like, optional
            Index of :attr:`data`.

        Returns
        -------
        ParetoNBDFitter
        """
        self._fit_rft(frequency, recency, T, weights, index)
        w = self.data["weights"].to_numpy(dtype=float)
        scaled = self.params_.to_numpy() * np.array([1.0, self._scale, 1.0, self._scale])
        self._negative_log_likelihood_ = -self.log_likelihood_ / w.mean() + self.penalizer_coef * float(
            np.sum(scaled**2)
        )
        return self


class BetaGeoBetaBinomFitter(BaseFitter):
    """BG/BB (Fader, Hardie & Shang 2010) for discrete opportunities, as
    ``lifetimes.BetaGeoBetaBinomFitter``.

    Attributes
    ----------
    params_ : pandas.Series
        ``alpha``, ``beta``, ``gamma``, ``delta``.
    """

    _model = "bg-bb"
    _names = ("alpha", "beta", "gamma", "delta")

    def fit(self, frequency: Any, recency: Any, n_periods: Any, weights: Any = None, initial_params: Any = None,
            verbose: bool = False, tol: float = 1e-7, index: Any = None, **kwargs: Any) -> "BetaGeoBetaBinomFitter":
        """Fits the model by (penalised) maximum likelihood.

        Parameters
        ----------
        frequency, recency, n_periods : array_like
            Transactions after the first, the opportunity of the last one,
            and the opportunities observed (whole numbers).
        weights : array_like, optional
            Customers per row.
        initial_params, verbose, tol, **kwargs
            Accepted for compatibility and ignored.
        index : array_like, optional
            Index of :attr:`data`.

        Returns
        -------
        BetaGeoBetaBinomFitter
        """
        frequency = np.asarray(frequency).astype(int)
        recency = np.asarray(recency).astype(int)
        n_periods = np.asarray(n_periods).astype(int)
        weights = np.ones_like(recency) if weights is None else np.asarray(weights)
        params, ses, cov, ll, converged, iterations = _clv.fit_purchase(
            self._model, _bytes(frequency), _bytes(recency), _bytes(n_periods), _bytes(weights),
            float(self.penalizer_coef),
        )
        self._set_fit(params, ses, cov)
        self._negative_log_likelihood_ = -ll / float(np.sum(weights)) + self.penalizer_coef * float(
            np.sum(np.asarray(params) ** 2)
        )
        self.log_likelihood_ = ll
        self.converged_ = converged
        self.data = pd.DataFrame(
            {"frequency": frequency, "recency": recency, "n_periods": n_periods, "weights": weights}, index=index
        )
        return self

    def _params(self) -> list:
        if not hasattr(self, "params_"):
            raise ValueError("Model has not been fit yet. Please call the .fit method first.")
        return [float(v) for v in self.params_.values]

    def conditional_expected_number_of_purchases_up_to_time(self, m_periods_in_future: Any, frequency: Any,
                                                            recency: Any, n_periods: Any) -> Any:
        """Expected transactions in the next ``m_periods_in_future`` opportunities.

        Returns
        -------
        float, numpy.ndarray or pandas.Series
        """
        index = _index_of(frequency, recency, n_periods, m_periods_in_future)
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in
                                       (m_periods_in_future, frequency, recency, n_periods)))
        m, x, r, n = (a.ravel() for a in arrays)
        out = _array(_clv.predict_purchase(self._model, self._params(), "expected", _bytes(x), _bytes(r),
                                           _bytes(n), _bytes(m)))
        return _shaped(out, arrays[0].shape, index)

    def conditional_probability_alive(self, m_periods_in_future: Any, frequency: Any, recency: Any,
                                      n_periods: Any) -> Any:
        """Probability of being alive at opportunity ``n_periods + m_periods_in_future``.

        Returns
        -------
        float, numpy.ndarray or pandas.Series
        """
        index = _index_of(frequency, recency, n_periods, m_periods_in_future)
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in
                                       (m_periods_in_future, frequency, recency, n_periods)))
        m, x, r, n = (a.ravel() for a in arrays)
        out = _array(_clv.bgbb_p_alive_after(self._params(), _bytes(m), _bytes(x), _bytes(r), _bytes(n)))
        return _shaped(out, arrays[0].shape, index)

    def expected_number_of_transactions_in_first_n_periods(self, n: int) -> pd.DataFrame:
        """Expected number of customers with 0..n transactions in the first ``n`` opportunities,
        for the fitted population (``lifetimes``' table, indexed by ``frequency``).

        Returns
        -------
        pandas.DataFrame
            One column, ``model``.
        """
        total = float(self.data["weights"].sum())
        probs = [
            float(_array(_clv.predict_new(self._model, self._params(), _bytes([float(n)]), int(k)))[0])
            for k in range(int(n) + 1)
        ]
        df = pd.DataFrame({"model": np.asarray(probs) * total}, index=pd.Index(range(int(n) + 1), name="frequency"))
        return df


class GammaGammaFitter(BaseFitter):
    """Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Colombo & Jiang 1999),
    as ``lifetimes.GammaGammaFitter``.

    Attributes
    ----------
    params_ : pandas.Series
        ``p``, ``q``, ``v``.
    """

    _names = ("p", "q", "v")

    def fit(self, frequency: Any, monetary_value: Any, weights: Any = None, initial_params: Any = None,
            verbose: bool = False, tol: float = 1e-7, index: Any = None, q_constraint: bool = False,
            **kwargs: Any) -> "GammaGammaFitter":
        """Fits the model on repeat buyers' frequency and mean spend.

        Parameters
        ----------
        frequency : array_like
            Repeat purchases (customers with 0 are left out of the fit).
        monetary_value : array_like
            Mean spend of the repeat purchases.
        weights : array_like, optional
            Customers per row.
        initial_params, verbose, tol, q_constraint, **kwargs
            Accepted for compatibility and ignored (``q <= 1``, an infinite
            expected spend, is an error when predicting, never a negative value).
        index : array_like, optional
            Index of :attr:`data`.

        Returns
        -------
        GammaGammaFitter
        """
        frequency = np.asarray(frequency).astype(float)
        monetary_value = np.asarray(monetary_value).astype(float)
        weights = np.ones_like(frequency, dtype=int) if weights is None else np.asarray(weights)
        params, ses, cov, ll, converged = _clv.fit_gamma_gamma(
            _bytes(frequency), _bytes(monetary_value), _bytes(weights), float(self.penalizer_coef)
        )
        self._set_fit(params, ses, cov)
        self._negative_log_likelihood_ = -ll / float(np.sum(weights)) + self.penalizer_coef * float(
            np.sum(np.asarray(params) ** 2)
        )
        self.log_likelihood_ = ll
        self.converged_ = converged
        self.data = pd.DataFrame(
            {"monetary_value": monetary_value, "frequency": frequency, "weights": weights}, index=index
        )
        return self

    def conditional_expected_average_profit(self, frequency: Any = None, monetary_value: Any = None) -> Any:
        """Expected mean spend per purchase given ``frequency`` and ``monetary_value``
        (the population mean where ``frequency`` is 0).

        Returns
        -------
        float, numpy.ndarray or pandas.Series
        """
        if monetary_value is None:
            monetary_value = self.data["monetary_value"]
        if frequency is None:
            frequency = self.data["frequency"]
        index = _index_of(frequency, monetary_value)
        f, m = np.broadcast_arrays(np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float))
        params = [float(v) for v in self.params_.values]
        out = _array(_clv.gamma_gamma_spend(params, _bytes(f.ravel()), _bytes(m.ravel())))
        return _shaped(out, f.shape, index)

    def customer_lifetime_value(self, transaction_prediction_model: Any, frequency: Any, recency: Any, T: Any,
                                monetary_value: Any, time: int = 12, discount_rate: float = 0.01,
                                freq: str = "D") -> pd.Series:
        """Discounted expected revenue over the next ``time`` months.

        Month by month, as ``lifetimes``: the expected purchases in each month
        (from ``transaction_prediction_model.predict``) times the expected spend,
        discounted by ``(1 + discount_rate) ** month``.

        **Differs from lifetimes**: a month is 30.4375 days (365.25 / 12),
        4.348 weeks, 730.5 hours; ``lifetimes`` takes 30 days, 4.345 weeks and
        720 hours, so with ``freq="D"`` its months are 1.4% short and its CLV
        too low.

        Parameters
        ----------
        transaction_prediction_model : fitter
            A fitted purchase model (its ``predict`` is the conditional expectation).
        frequency, recency, T, monetary_value : array_like
            Per customer, times in ``freq`` units.
        time : int
            Months.
        discount_rate : float
            Monthly discount rate.
        freq : {"D", "W", "M", "H"}
            The unit of ``recency`` and ``T``.

        Returns
        -------
        pandas.Series
            CLV per customer (index of ``frequency`` when it has one).
        """
        factor = {"W": 30.4375 / 7.0, "M": 1.0, "D": 30.4375, "H": 30.4375 * 24}[freq]
        spend = np.asarray(self.conditional_expected_average_profit(frequency, monetary_value), dtype=float)
        index = _index_of(frequency, recency, T, monetary_value)
        clv = np.zeros(np.shape(spend))
        previous = np.zeros(np.shape(spend))
        for month in range(1, int(time) + 1):
            upto = np.asarray(transaction_prediction_model.predict(month * factor, frequency, recency, T), dtype=float)
            clv += spend * (upto - previous) / (1 + discount_rate) ** month
            previous = upto
        return pd.Series(clv, index=index if index is not None else pd.RangeIndex(len(clv)), name="clv")
