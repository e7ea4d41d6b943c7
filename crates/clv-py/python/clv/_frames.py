"""Data frames in and out: pandas, polars and pyarrow through Arrow.

Input: a path (``str`` or ``os.PathLike``) is passed to the native reader as
it is (CSV, Parquet, JSON: every source the CLI reads); a table is handed
over as an Arrow C stream (``__arrow_c_stream__``) without copying the
columns where Arrow allows it. pandas 1.x frames have no
``__arrow_c_stream__``: they go through ``pyarrow.Table.from_pandas`` (an
``object`` column of mixed values is passed as text, so that a bad value is
reported by the native reader with its row and column).

Output: the native functions return a pyarrow ``RecordBatch``;
:func:`output` turns it into the kind of table the user gave (pandas in,
pandas out; polars in, polars out; pyarrow in, pyarrow out; a path gives
pandas).
"""

from __future__ import annotations

import os
from typing import Any, Tuple

import pyarrow as pa

__all__ = ["as_source", "output", "kind_of"]


def kind_of(data: Any) -> str:
    """The kind of table ``data`` is: ``"path"``, ``"pandas"``, ``"polars"``,
    ``"pyarrow"`` or ``"arrow"`` (any other object with
    ``__arrow_c_stream__``)."""
    if isinstance(data, (str, os.PathLike)):
        return "path"
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return "pandas"
    if module == "polars":
        return "polars"
    if module == "pyarrow":
        return "pyarrow"
    if hasattr(data, "__arrow_c_stream__"):
        return "arrow"
    raise TypeError(
        "expected a path or a table (pandas or polars DataFrame, pyarrow Table, or any "
        f"object with __arrow_c_stream__), got {type(data).__name__}"
    )


def _pandas_to_arrow(df: Any) -> pa.Table:
    import pandas as pd

    df = df.reset_index(drop=True)
    columns = {}
    for name in df.columns:
        col = df[name]
        if col.dtype == object:
            try:
                columns[str(name)] = pa.array(col, from_pandas=True)
                continue
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                pass
            # Mixed values: hand them over as text, so that the native reader
            # parses them and names the row of a bad one.
            col = col.map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v))
            columns[str(name)] = pa.array(col, type=pa.string())
        elif isinstance(col.dtype, pd.CategoricalDtype):
            columns[str(name)] = pa.array(col.astype(str), type=pa.string())
        else:
            columns[str(name)] = pa.array(col)
    return pa.table(columns)


def as_source(data: Any) -> Tuple[Any, str]:
    """``(what the native functions take, the kind of ``data``)``."""
    kind = kind_of(data)
    if kind == "path":
        return os.fspath(data), kind
    if kind == "pandas":
        return _pandas_to_arrow(data), kind
    if kind == "pyarrow" and isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data]), kind
    return data, kind


def output(batch: Any, kind: str, index: str | None = None) -> Any:
    """The native function's RecordBatch as the kind of table the user gave;
    pandas frames are indexed by ``index`` when given."""
    table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    if kind in ("pandas", "path"):
        df = table.to_pandas()
        if index is not None and index in df.columns:
            df = df.set_index(index)
        return df
    if kind == "polars":
        import polars as pl

        return pl.from_arrow(table)
    return table
