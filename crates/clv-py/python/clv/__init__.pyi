"""Type stubs of clv's native API (see the docstrings in clv/__init__.py)."""

import os
from typing import Any, Dict, Iterable, List, Optional, Union

import pandas as pd


__version__: str

PathLike = Union[str, "os.PathLike[str]"]
Data = Any  # a path, pandas/polars DataFrame, pyarrow Table/RecordBatch, or any __arrow_c_stream__ object

class ClvError(ValueError):
    """Bad input or a failed computation; the message names file, line (row) and column."""

def models() -> pd.DataFrame: ...
def summarize(
    data: Data,
    *,
    customer_col: str = ...,
    date_col: str = ...,
    amount_col: str = ...,
    date_format: Optional[str] = ...,
    time_unit: Optional[str] = ...,
    convention: Optional[str] = ...,
    calibration_end: Any = ...,
    observation_end: Any = ...,
    zero_amounts: Optional[str] = ...,
    skip_invalid: bool = ...,
    delimiter: Optional[str] = ...,
    decimal_comma: bool = ...,
    name: Optional[str] = ...,
) -> Any: ...
def fit(
    data: Data = ...,
    model: str = ...,
    spend: Optional[str] = ...,
    penalty: float = ...,
    summary_file: Optional[PathLike] = ...,
    **settings: Any,
) -> Model: ...
def load_model(path: PathLike) -> Model: ...
def validate(
    data: Data,
    models: Optional[List[str]] = ...,
    penalty: float = ...,
    charts: Optional[PathLike] = ...,
    **settings: Any,
) -> Dict[str, Any]: ...
def economics(
    data: Data,
    customers: Optional[PathLike] = ...,
    spend: Optional[PathLike] = ...,
    margin: Optional[float] = ...,
    model: Optional[Model] = ...,
    **settings: Any,
) -> Dict[str, Any]: ...

class Model:
    def __init__(self, document: Union[str, Dict[str, Any]]) -> None: ...
    @property
    def model(self) -> str: ...
    @property
    def spend_model(self) -> Optional[str]: ...
    @property
    def time_unit(self) -> str: ...
    @property
    def params(self) -> pd.Series: ...
    @property
    def standard_errors(self) -> pd.Series: ...
    @property
    def identified(self) -> Optional[bool]: ...
    @property
    def warnings(self) -> List[Dict[str, str]]: ...
    @property
    def log_likelihood(self) -> float: ...
    def summary(self) -> pd.DataFrame: ...
    def to_json(self) -> str: ...
    def save(self, path: PathLike) -> None: ...
    @classmethod
    def load(cls, path: PathLike) -> Model: ...
    def predict(
        self,
        data: Data,
        horizon: str = ...,
        discount_rate: float = ...,
        margin: float = ...,
        intervals: Optional[float] = ...,
        bootstrap: Optional[int] = ...,
        draws: Optional[int] = ...,
        seed: Optional[int] = ...,
        allow_unidentified: bool = ...,
        **settings: Any,
    ) -> Any: ...
    def validate(self, data: Data, penalty: float = ..., **settings: Any) -> Dict[str, Any]: ...
    def economics(
        self,
        data: Data,
        customers: Optional[PathLike] = ...,
        spend: Optional[PathLike] = ...,
        margin: Optional[float] = ...,
        **settings: Any,
    ) -> Dict[str, Any]: ...
    def segment(self, data: Data, **settings: Any) -> Any: ...
    def actions(self, data: Data, **settings: Any) -> Dict[str, Any]: ...
