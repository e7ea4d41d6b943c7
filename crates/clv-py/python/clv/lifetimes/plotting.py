"""``lifetimes.plotting``'s charts, drawn by :mod:`clv.plotting` (matplotlib)."""

from ..plotting import (  # noqa: F401
    expected_cumulative_transactions,
    plot_calibration_purchases_vs_holdout_purchases,
    plot_clv_distribution,
    plot_cumulative_transactions,
    plot_frequency_recency_matrix,
    plot_incremental_transactions,
    plot_probability_alive_matrix,
)

__all__ = [
    "expected_cumulative_transactions",
    "plot_frequency_recency_matrix",
    "plot_probability_alive_matrix",
    "plot_calibration_purchases_vs_holdout_purchases",
    "plot_cumulative_transactions",
    "plot_incremental_transactions",
    "plot_clv_distribution",
]
