"""Bundled datasets: parsed values, units, the bond-return approximation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailorfolio.datasets import (
    constant_maturity_bond_returns,
    load_dataset,
    load_ff_factors,
    load_ff_industries,
    load_shiller,
)
from tailorfolio.errors import InsufficientDataError, ParameterError


def test_ff_industries_first_row_in_decimals():
    ind = load_ff_industries()
    assert ind.shape == (1134, 10)
    assert ind.index[0] == pd.Timestamp("1926-07-31")
    assert ind.loc["1926-07-31", "NoDur"] == pytest.approx(0.0145)
    assert ind.loc["1926-07-31", "Durbl"] == pytest.approx(0.1555)


def test_ff_factors_market_is_excess_plus_rf():
    ff = load_ff_factors()
    assert ff.loc["1926-07-31", "Mkt-RF"] == pytest.approx(0.0296)
    assert ff.loc["1926-07-31", "RF"] == pytest.approx(0.0022)
    us = load_dataset("us-asset-classes")
    assert us.returns.loc["1926-08-31", "US_Stocks"] == pytest.approx(0.0264 + 0.0025)


def test_shiller_zeros_are_missing():
    s = load_shiller()
    assert s["Dividend"].loc["2024"].isna().all()
    assert s["PE10"].loc["1871"].isna().all()


def test_bond_return_at_constant_yield_is_the_coupon():
    y = pd.Series(0.06, index=pd.date_range("2000-01-31", periods=5, freq="ME"))
    r = constant_maturity_bond_returns(y)
    np.testing.assert_allclose(r.iloc[1:], 0.005, rtol=1e-12)
    up = constant_maturity_bond_returns(pd.Series([0.05, 0.06],
                                                  index=y.index[:2]))
    assert up.iloc[1] < -0.06  # duration ≈ 7.7 years: −7.7 % on +1 pp, plus the coupon


def test_between_and_errors():
    ds = load_dataset("ff-industries").between("1963-07", "2004-11")
    assert ds.returns.index[0] == pd.Timestamp("1963-07-31")
    assert ds.returns.index[-1] == pd.Timestamp("2004-11-30")
    with pytest.raises(InsufficientDataError, match="covers"):
        ds.between("2030-01", "2031-01")
    with pytest.raises(ParameterError, match="Unknown dataset"):
        load_dataset("nasdaq")


def test_sp500_sample_from_skfolio():
    pytest.importorskip("skfolio")
    ds = load_dataset("sp500")
    assert ds.returns.shape[1] == 20
    assert np.isfinite(ds.returns.to_numpy()).all()
