"""Return models: moments, dependence structure, bootstrap blocks, windows, regimes."""

from __future__ import annotations

import numpy as np
import pytest

from tailorfolio.datasets import us_annual_returns
from tailorfolio.errors import DataError, ParameterError
from tailorfolio.simulate import (
    BootstrapModel,
    HistoricalWindowsModel,
    LognormalModel,
    RegimeParameters,
    RegimeSwitchingModel,
    freeze,
    us_historical_model,
)
from tests.tolerances import MC_SIGMAS


def test_lognormal_matches_annual_arithmetic_moments(market) -> None:
    a = market.assumptions
    model = LognormalModel.from_assumptions(a, market.universe)
    r, i = model.sampler(np.random.default_rng(1), 20_000).next(12)
    annual = np.exp(r.sum(axis=0)) - 1  # (paths, assets)
    mu = a.expected_return.to_numpy()
    vol = a.volatility.to_numpy()
    se = vol / np.sqrt(annual.shape[0])
    assert (np.abs(annual.mean(axis=0) - mu) <= MC_SIGMAS * se).all()
    assert np.allclose(annual.std(axis=0), vol, rtol=0.05)
    infl = np.exp(i.sum(axis=0)) - 1
    assert abs(infl.mean() - a.inflation) <= MC_SIGMAS * a.inflation_volatility / np.sqrt(20_000)
    # Bills move with inflation, stocks hardly (Damodaran 1928–2024 correlations).
    c = np.corrcoef(np.column_stack([r.sum(axis=0), i.sum(axis=0)]).T)[-1, :-1]
    k = {t: j for j, t in enumerate(market.tickers)}
    assert c[k["SGOV"]] > 0.25 and abs(c[k["VTI"]]) < 0.05


def test_bootstrap_draws_history_rows_in_blocks() -> None:
    hist = np.arange(40, dtype=float).reshape(20, 2) / 100
    infl = np.arange(20, dtype=float) / 1000
    model = BootstrapModel(("A", "B"), hist, infl, periods_per_year=1, mean_block_length=4.0)
    r, i = model.sampler(np.random.default_rng(0), 3000).next(12 * 30)
    yearly = r[::12] * 12  # the annual log return of each drawn year
    rows = np.rint(yearly[..., 0] * 100 / 2).astype(int)  # row index of the draw
    assert np.allclose(yearly[..., 1], hist[rows, 1])
    assert np.allclose(i[::12] * 12, infl[rows])
    cont = (rows[1:] == (rows[:-1] + 1) % 20).mean()
    assert abs(cont - 0.75) < 0.02  # continue with prob 1 − 1/4 (plus chance jumps)


def test_historical_windows_replay_each_start_year() -> None:
    table = us_annual_returns()
    assert table.shape == (97, 8) and table.index[0] == 1928 and table.index[-1] == 2024
    # Damodaran's own summary rows: arithmetic means 1928–2024.
    assert table["sp500_total_return"].mean() == pytest.approx(0.1179, abs=5e-5)
    assert table["tbill_3m"].mean() == pytest.approx(0.0336, abs=5e-5)
    hist = np.log1p(table[["sp500_total_return"]].to_numpy())
    model = HistoricalWindowsModel(("S",), hist, np.log1p(table["cpi_inflation"].to_numpy()),
                                   start_labels=tuple(table.index))
    assert model.fixed_n_paths(12 * 30) == 68
    r, _ = model.sampler(None, 68, first_path=0).next(24)
    assert np.allclose(r[:12, 0, 0].sum(), hist[0, 0]) and np.allclose(r[12:, 5, 0].sum(),
                                                                       hist[6, 0])
    assert model.window_starts(12 * 30)[-1] == 1995
    with pytest.raises(DataError):
        model.fixed_n_paths(12 * 100)


def test_historical_model_for_universe(market) -> None:
    m = us_historical_model(market.universe)
    assert m.log_returns.shape == (97, len(market.tickers))


def test_regime_parameters_reproduce_the_lognormal_moments(market) -> None:
    base = LognormalModel.from_assumptions(market.assumptions, market.universe)
    p = RegimeParameters.stylised_two_state(market.assumptions, market.universe)
    pi = p.stationary
    assert pi == pytest.approx([5 / 6, 1 / 6])
    np.testing.assert_allclose(pi @ p.monthly_log_mean, base.monthly_log_mean, atol=1e-12)
    d = p.monthly_log_mean[0] - p.monthly_log_mean[1]
    mix = pi[0] * p.monthly_log_cov[0] + pi[1] * p.monthly_log_cov[1] + pi[0] * pi[1] * np.outer(
        d, d)
    np.testing.assert_allclose(np.diag(mix), np.diag(base.monthly_log_cov), rtol=0.02)
    # The stress regime is more volatile and has lower equity returns.
    k = market.tickers.index("VTI")
    assert p.monthly_log_cov[1][k, k] > 3 * p.monthly_log_cov[0][k, k]
    assert p.monthly_log_mean[1][k] < 0 < p.monthly_log_mean[0][k]


def test_regime_sampler_follows_the_transition_matrix() -> None:
    mean = np.array([[0.01, 0.0], [-0.02, 0.0]])
    cov = np.array([np.eye(2) * 1e-4, np.eye(2) * 4e-4])
    trans = np.array([[0.9, 0.1], [0.3, 0.7]])
    p = RegimeParameters(("A",), ("calm", "stress"), mean, cov, trans)
    r, _ = RegimeSwitchingModel(p).sampler(np.random.default_rng(0), 5000).next(120)
    # Stationary share of stress 0.25: the mean return mixes 0.75·0.01 + 0.25·(−0.02).
    assert r.mean() == pytest.approx(0.75 * 0.01 - 0.25 * 0.02, abs=4e-4)
    with pytest.raises(ParameterError):
        RegimeParameters(("A",), ("one", "two"), mean, cov, np.array([[0.5, 0.6], [0, 1]]))


@pytest.mark.parametrize("block_values", [1, 17 * 50 * 5, 1 << 18])
def test_freeze_in_blocks_stores_the_draws_of_one_call(market, monkeypatch,
                                                       block_values: int) -> None:
    """Blocks of months (one month, five, all) store exactly the float32 of the draws one
    sampler call for every month makes: the same generator stream, bit for bit."""
    from tailorfolio.simulate import _returns

    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    r64, i64 = model.sampler(np.random.default_rng(np.random.SeedSequence(7)), 50).next(37)
    monkeypatch.setattr(_returns, "FREEZE_BLOCK_VALUES", block_values)
    fr = freeze(model, 37, 50, seed=7)
    assert fr.log_returns.dtype == np.float32 and fr.log_inflation.dtype == np.float32
    np.testing.assert_array_equal(fr.log_returns, r64.astype(np.float32))
    np.testing.assert_array_equal(fr.log_inflation, i64.astype(np.float32))


@pytest.mark.parametrize("block_values", [17 * 50 * 5, 1 << 18])
@pytest.mark.parametrize("first", [1, 24, 35])
def test_freeze_on_demand_months_are_those_of_one_draw(market, monkeypatch, block_values: int,
                                                       first: int) -> None:
    """With ``max_steps``, the months past ``n_steps`` are drawn when a simulation first asks
    for them: the store then holds exactly what freezing all ``max_steps`` months at once
    holds (same blocks, same stream), bit for bit, and never more than ``max_steps``."""
    from tailorfolio.simulate import _returns

    monkeypatch.setattr(_returns, "FREEZE_BLOCK_VALUES", block_values)
    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    whole = freeze(model, 61, 50, seed=3)
    lazy = freeze(model, first, 50, seed=3, max_steps=61)
    block = max(1, block_values // (50 * (len(model.tickers) + 1)))  # months per block
    assert lazy.log_returns.shape[0] == min(-(-first // block) * block, 61)
    growth_before = lazy.monthly_growth(np.zeros(len(model.tickers)))
    assert lazy.fixed_n_paths(40) == 50 and lazy.log_returns.shape[0] >= 40
    assert lazy.fixed_n_paths(61) == 50 and lazy.log_returns.shape == whole.log_returns.shape
    np.testing.assert_array_equal(lazy.log_returns, whole.log_returns)
    np.testing.assert_array_equal(lazy.log_inflation, whole.log_inflation)
    growth = lazy.monthly_growth(np.zeros(len(model.tickers)))  # recomputed for every month
    assert growth.shape[0] == 61
    assert growth_before.shape[0] == min(-(-first // block) * block, 61)
    np.testing.assert_array_equal(growth, whole.monthly_growth(np.zeros(len(model.tickers))))
    with pytest.raises(ParameterError):
        lazy.fixed_n_paths(62)


def test_freeze_replays_identically(market) -> None:
    model = LognormalModel.from_assumptions(market.assumptions, market.universe)
    fr = freeze(model, 24, 50, seed=2)
    a = fr.sampler(None, 50).next(24)[0]
    b = fr.sampler(None, 50).next(24)[0]
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ParameterError):
        fr.fixed_n_paths(36)
