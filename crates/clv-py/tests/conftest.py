"""Shared fixtures: the CDNOW sample of the repository (never ../shared)."""

import pathlib
import warnings

import pandas as pd
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
CDNOW = ROOT / "data" / "cdnow_sample.csv"
DONATIONS = ROOT / "data" / "donations.csv"


@pytest.fixture(scope="session")
def cdnow_path():
    return CDNOW


@pytest.fixture(scope="session")
def transactions():
    """CDNOW transactions as a lifetimes notebook reads them (datetime64 dates)."""
    tx = pd.read_csv(CDNOW, dtype={"date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    return tx


@pytest.fixture(scope="session")
def donations():
    return pd.read_csv(DONATIONS)


@pytest.fixture(autouse=True)
def _quiet_lifetimes():
    # lifetimes 0.11.3 on recent pandas/numpy warns about deprecated calls.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
