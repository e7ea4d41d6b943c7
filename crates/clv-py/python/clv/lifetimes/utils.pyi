from typing import Any, Optional

import pandas as pd

from .. import ClvError as ClvError

def summary_data_from_transaction_data(
    transactions: pd.DataFrame,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: Optional[str] = ...,
    datetime_format: Optional[str] = ...,
    observation_period_end: Any = ...,
    freq: str = ...,
    freq_multiplier: int = ...,
    include_first_transaction: bool = ...,
) -> pd.DataFrame: ...
def calibration_and_holdout_data(
    transactions: pd.DataFrame,
    customer_id_col: str,
    datetime_col: str,
    calibration_period_end: Any,
    observation_period_end: Any = ...,
    freq: str = ...,
    freq_multiplier: int = ...,
    datetime_format: Optional[str] = ...,
    monetary_value_col: Optional[str] = ...,
    include_first_transaction: bool = ...,
) -> pd.DataFrame: ...
