"""Bad input raises clv.ClvError (a ValueError) naming the file, line and
column (rows for in-memory tables), as the CLI's bad-input cases do; the
interpreter survives every one of them."""

import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pytest

import clv

# (name, file content, settings, needles in the message): the CLI's cases
# (crates/clv-cli/tests/bad_input.rs).
CASES = [
    ("missing-column", "customer,date,amount\n1,2024-01-01,10\n", {}, ["input.csv", "customer_id"]),
    ("bad-date", "customer_id,date,amount\n1,2024-01-01,10\n1,2024-13-45,12\n", {}, ["input.csv:3", "date", "2024-13-45"]),
    ("text-amount", "customer_id,date,amount\n1,2024-01-01,10\n2,2024-01-02,ten\n", {}, ["input.csv:3", "amount", "ten"]),
    ("empty", "", {}, ["input.csv", "empty"]),
    ("future", "customer_id,date,amount\n1,2024-01-01,10\n1,2099-01-01,10\n", {}, ["input.csv:3", "2099-01-01", "future"]),
    ("huge-amount", "customer_id,date,amount\n1,2024-01-01,10\n1,2024-01-05,1e308\n", {},
     ["input.csv:3", "amount", "1e308", "too large"]),
    ("ambiguous-dates", "customer_id,date,amount\n1,01/02/2024,10\n1,03/04/2024,12\n", {},
     ["input.csv", "%d/%m/%Y", "%m/%d/%Y"]),
    ("wrong-delimiter", "customer_id;date;amount\n1;2024-01-01;10\n", {"delimiter": ","}, ["input.csv", "customer_id"]),
]


@pytest.mark.parametrize("name,content,settings,needles", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("call", ["summarize", "fit"])
def test_bad_files(tmp_path, name, content, settings, needles, call):
    path = tmp_path / "input.csv"
    path.write_text(content)
    fn = getattr(clv, call)
    with pytest.raises(clv.ClvError) as e:
        fn(path, **settings)
    assert isinstance(e.value, ValueError)
    for needle in needles:
        assert needle in str(e.value), (needle, str(e.value))


def frames(df):
    import polars as pl

    return {
        "pandas": df,
        "polars": pl.from_pandas(df.astype(str)),
        "pyarrow": pa.Table.from_pandas(df.astype(str), preserve_index=False),
    }


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_bad_value_in_a_table_names_its_row_and_column(kind):
    df = pd.DataFrame({"customer_id": ["1", "1", "2"], "date": ["2024-01-01", "2024-01-05", "2024-01-02"],
                       "amount": ["10", "12", "ten"]})
    with pytest.raises(clv.ClvError, match=r'row 3: column "amount": .*"ten"'):
        clv.summarize(frames(df)[kind])
    df = pd.DataFrame({"customer_id": ["1", "1"], "date": ["2024-01-01", "2024-13-45"], "amount": ["10", "12"]})
    with pytest.raises(clv.ClvError, match=r'row 2: column "date"'):
        clv.summarize(frames(df)[kind], name="orders")


def test_mixed_object_column_in_pandas():
    df = pd.DataFrame({"customer_id": [1, 1, 2], "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02"]),
                       "amount": [10.0, "n/a", 3.0]})
    with pytest.raises(clv.ClvError, match=r'<data frame>: row 2: column "amount"'):
        clv.summarize(df)


def test_missing_column_in_a_table():
    df = pd.DataFrame({"customer": ["1"], "date": ["2024-01-01"], "amount": [1.0]})
    with pytest.raises(clv.ClvError, match="customer_id"):
        clv.summarize(df)


def test_usage_errors():
    with pytest.raises(clv.ClvError, match="unknown model"):
        clv.fit("data/none.csv", model="no-such-model")
    with pytest.raises(clv.ClvError, match="does-not-exist.csv"):
        clv.summarize("does-not-exist.csv")
    with pytest.raises(TypeError):
        clv.summarize(42)
    with pytest.raises(TypeError, match="unexpected keyword"):
        clv.summarize("x.csv", customer_column="id")
    with pytest.raises(clv.ClvError, match="not a clv model file"):
        clv.Model('{"model": "bg-nbd"}')


def test_lifetimes_layer_bad_input():
    import clv.lifetimes as C

    with pytest.raises(ValueError, match="recency"):
        C.BetaGeoFitter().fit([1, 2], [5, 20], [10, 10])  # recency > T
    with pytest.raises(ValueError):
        C.BetaGeoFitter().fit([-1, 2], [0, 2], [10, 10])


def test_the_interpreter_survives_every_case(tmp_path):
    """Every bad input in a fresh interpreter: an exception, never a crash."""
    script = tmp_path / "run.py"
    lines = ["import clv, pathlib", "n = 0"]
    for i, (name, content, settings, _) in enumerate(CASES):
        p = tmp_path / f"{i}.csv"
        p.write_text(content)
        lines.append(f"try:\n    clv.fit({str(p)!r}, **{settings!r})\nexcept clv.ClvError:\n    n += 1")
    lines.append("print(n)")
    script.write_text("\n".join(lines))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(len(CASES))
