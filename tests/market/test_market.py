from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailorfolio.errors import DataError, InsufficientDataError, MissingAssetsError, PriceDataError
from tailorfolio.market import (
    BROAD_CLASSES,
    default_market,
    default_universe_table,
    market_from_prices,
    prices_from_long,
    validate_prices,
)
from tests.tolerances import CLOSED_FORM_RTOL


def test_default_market_is_sourced_and_positive_definite(market) -> None:
    a = market.assumptions
    assert 12 <= len(market.universe) <= 16
    assert np.linalg.eigvalsh(a.covariance.to_numpy()).min() > 0
    np.testing.assert_allclose(np.diag(a.correlation.to_numpy()), 1.0, rtol=CLOSED_FORM_RTOL)
    for t in market.tickers:
        assert "VCMM" in a.sources[t] and "20" in a.sources[t]
        assert t in market.last_prices
        assert market.universe[t].broad_class in BROAD_CLASSES
    table = default_universe_table()
    assert table["return_source"].str.len().min() > 20
    assert table["source_date"].notna().all()


def test_arithmetic_from_geometric(market) -> None:
    table = default_universe_table().set_index("ticker")
    a = market.assumptions
    expected = table["geometric_return"] + table["volatility"] ** 2 / 2
    np.testing.assert_allclose(a.expected_return.to_numpy(), expected.to_numpy(),
                               rtol=CLOSED_FORM_RTOL)


def test_correlation_repair_is_recorded_and_small(market) -> None:
    rep = market.assumptions.repair
    assert rep is not None and rep.repaired
    assert rep.max_abs_change < 0.05
    assert "repaired" in rep.warning("correlation")


def _prices(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    idx = pd.date_range("2020-01-31", periods=n, freq="ME")
    r = rng.normal(0.005, 0.04, size=(n, 3))
    return pd.DataFrame(100 * np.cumprod(1 + r, axis=0), index=idx, columns=["AAA", "BBB", "VTI"])


def test_validate_prices_accepts_good_data() -> None:
    out = validate_prices(_prices())
    assert isinstance(out.index, pd.DatetimeIndex)


def test_nan_names_asset_and_date() -> None:
    p = _prices()
    p.iloc[5, 1] = np.nan
    with pytest.raises(PriceDataError, match=r"BBB.*missing.*2020-06-30") as info:
        validate_prices(p)
    assert info.value.asset == "BBB" and info.value.dates == ["2020-06-30"]


def test_inf_and_nonpositive() -> None:
    p = _prices()
    p.iloc[3, 0] = np.inf
    with pytest.raises(PriceDataError, match="AAA.*infinite"):
        validate_prices(p)
    p = _prices()
    p.iloc[7, 2] = -1.0
    with pytest.raises(PriceDataError, match="VTI.*non-positive"):
        validate_prices(p)


def test_duplicate_and_unsorted_dates() -> None:
    p = _prices()
    dup = pd.concat([p.iloc[:10], p.iloc[9:10], p.iloc[10:]])
    with pytest.raises(PriceDataError, match="more than once"):
        validate_prices(dup)
    with pytest.raises(PriceDataError, match="increasing order"):
        validate_prices(p.iloc[::-1])


def test_too_few_observations() -> None:
    with pytest.raises(InsufficientDataError, match="at least 24"):
        validate_prices(_prices(10))


def test_long_form_and_duplicates() -> None:
    p = _prices()
    long = p.reset_index(names="date").melt(id_vars="date", var_name="ticker", value_name="price")
    wide = prices_from_long(long)
    pd.testing.assert_frame_equal(wide.sort_index(axis=1), p.rename_axis("date").sort_index(axis=1),
                                  check_freq=False, check_names=False)
    with pytest.raises(PriceDataError, match="more than once"):
        prices_from_long(pd.concat([long, long.iloc[:1]]))


def test_market_from_prices_keeps_known_metadata() -> None:
    m = market_from_prices(_prices())
    assert m.universe["VTI"].asset_class == "us_equity"
    assert m.universe["AAA"].asset_class == "unclassified"
    assert m.last_prices["AAA"] == pytest.approx(_prices()["AAA"].iloc[-1])
    assert "ledoit_wolf" in m.assumptions.name


def test_universe_lookup_errors(market) -> None:
    with pytest.raises(MissingAssetsError, match="XYZ"):
        market.universe["XYZ"]
    with pytest.raises(DataError, match="No current price"):
        market.price_of("NOPE")
