"""Backtest engine: closed forms, exact costs, no look-ahead, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.backtest import (
    CalendarPolicy,
    DriftBandPolicy,
    Strategy,
    TransactionCosts,
    check_no_lookahead,
    comparison_table,
    run_backtest,
    sharpe_difference,
)
from tailorfolio.backtest.strategies import EqualWeight, FixedWeights, InverseVolatility
from tailorfolio.errors import LookAheadError, ParameterError
from tests.tolerances import CLOSED_FORM_RTOL


def _returns(rng, n=48, k=3):
    idx = pd.date_range("2000-01-31", periods=n, freq="ME")
    return pd.DataFrame(rng.normal(0.006, 0.04, size=(n, k)), index=idx,
                        columns=[f"A{i}" for i in range(k)])


class Alternate(Strategy):
    """All in asset 0, then all in asset 1, alternating each decision."""

    name = "alternate"

    def __init__(self):
        self._k = 0

    def target_weights(self, history):
        w = np.zeros(len(history.tickers))
        w[self._k % 2] = 1.0
        self._k += 1
        return w


def test_buy_and_hold_equals_compounded_return(rng):
    r = _returns(rng)
    w0 = np.array([0.5, 0.3, 0.2])
    res = run_backtest(FixedWeights(dict(zip(r.columns, w0))), r,
                       policy=CalendarPolicy(None), costs=TransactionCosts(25.0))
    held = r.iloc[1:]
    closed = float(w0 @ np.prod(1.0 + held.to_numpy(), axis=0))
    assert res.values.iloc[-1] == pytest.approx(closed, rel=CLOSED_FORM_RTOL)
    assert res.metrics.total_costs == 0.0
    # weights drift: end weights are w0 * growth / total
    growth = w0 * np.prod(1.0 + held.to_numpy(), axis=0)
    np.testing.assert_allclose(res.weights.iloc[-1], growth / growth.sum(),
                               rtol=CLOSED_FORM_RTOL)


def test_monthly_rebalanced_fixed_weights_closed_form_without_costs(rng):
    r = _returns(rng)
    w = np.array([0.2, 0.5, 0.3])
    res = run_backtest(FixedWeights(dict(zip(r.columns, w))), r,
                       costs=TransactionCosts(0.0))
    expected = np.prod(1.0 + r.iloc[1:].to_numpy() @ w)
    assert res.values.iloc[-1] == pytest.approx(expected, rel=CLOSED_FORM_RTOL)


def test_round_trip_costs_exactly_the_stated_rate():
    idx = pd.date_range("2001-01-31", periods=4, freq="ME")
    r = pd.DataFrame(0.0, index=idx, columns=["cash", "stock"])
    c = 0.0025
    res = run_backtest(Alternate(), r, costs=TransactionCosts(25.0),
                       initial_weights=np.array([0.0, 1.0]), initial_value=100.0)
    # decision 1: stock → cash (sell 100 worth minus cost), decision 2: cash → stock, ...
    # a trade of everything at rate c leaves V·(1−c)/(1+c)... computed exactly:
    # Self-financing: selling h and buying h' with h' = V' and V' = V − c(V + V') ⇒
    # V' = V(1 − c)/(1 + c) per full switch.
    expected = 100.0 * ((1 - c) / (1 + c)) ** 3
    assert res.values.iloc[-1] == pytest.approx(expected, rel=CLOSED_FORM_RTOL)
    assert res.metrics.total_costs == pytest.approx(100.0 - expected, rel=CLOSED_FORM_RTOL)
    # each switch: one-way turnover is 1 (the whole portfolio changes hands)
    np.testing.assert_allclose(res.turnover.to_numpy(),
                               [2 * 0.5 * (1 / (1 + c)) * 1.0] * 3, rtol=1e-9)


def test_fixed_fee_per_trade_is_charged_per_asset_traded():
    idx = pd.date_range("2001-01-31", periods=2, freq="ME")
    r = pd.DataFrame(0.0, index=idx, columns=["a", "b", "c"])
    res = run_backtest(FixedWeights({"a": 0.5, "b": 0.5}), r,
                       costs=TransactionCosts(0.0, fixed_per_trade=3.0),
                       initial_weights=np.array([0.0, 0.0, 1.0]), initial_value=1000.0)
    assert res.metrics.total_costs == pytest.approx(9.0)
    assert res.values.iloc[-1] == pytest.approx(991.0)


class Peeker(Strategy):
    """Cheats: keeps the full data and invests in next period's best asset."""

    name = "peeker"

    def __init__(self, full):
        self.full = full

    def target_weights(self, history):
        pos = self.full.index.get_loc(history.date)
        nxt = self.full.iloc[min(pos + 1, len(self.full) - 1)].to_numpy()
        w = np.zeros(len(nxt))
        w[int(np.argmax(nxt))] = 1.0
        return w


class ViewPeeker(Strategy):
    name = "view peeker"

    def target_weights(self, history):
        history.returns_at(history.date + pd.offsets.MonthEnd(1))
        return np.full(len(history.tickers), 1 / len(history.tickers))


def test_peeking_strategy_fails_the_audit(rng):
    r = _returns(rng)
    with pytest.raises(LookAheadError, match="used data after its decision date"):
        check_no_lookahead(Peeker, r, cutoff=list(r.index[20:40:4]))


def test_history_view_refuses_future_dates(rng):
    with pytest.raises(LookAheadError, match="asked for returns"):
        run_backtest(ViewPeeker(), _returns(rng))


def test_honest_strategies_pass_the_audit(rng):
    r = _returns(rng, n=60)
    check_no_lookahead(lambda d: InverseVolatility(window=12), r, cutoff=r.index[40])
    check_no_lookahead(lambda d: EqualWeight(), r, cutoff=r.index[40])


def test_strategy_only_sees_data_up_to_decision_date(rng):
    r = _returns(rng)
    seen = []

    class Spy(Strategy):
        name = "spy"

        def target_weights(self, history):
            seen.append((history.date, history.returns.index[-1], len(history.returns)))
            return np.full(3, 1 / 3)

    run_backtest(Spy(), r, warmup_periods=5)
    assert all(d == last for d, last, _ in seen)
    assert seen[0][2] == 5 and len(seen) == len(r) - 5


def test_determinism(rng):
    r = _returns(rng)
    a = run_backtest(InverseVolatility(window=12), r)
    b = run_backtest(InverseVolatility(window=12), r)
    pd.testing.assert_series_equal(a.values, b.values)
    assert a.provenance == b.provenance
    d1 = sharpe_difference(a.returns.to_numpy(), r.iloc[12:, 0].to_numpy(), 12, seed=3)
    d2 = sharpe_difference(a.returns.to_numpy(), r.iloc[12:, 0].to_numpy(), 12, seed=3)
    assert d1 == d2


def test_drift_band_trades_only_outside_band():
    idx = pd.date_range("2001-01-31", periods=4, freq="ME")
    # asset a gains 10 % in period 2 (weights 0.5 → 0.524, inside 5 pp band), then 30 %
    r = pd.DataFrame({"a": [0.0, 0.10, 0.30, 0.0], "b": [0.0] * 4}, index=idx)
    res = run_backtest(FixedWeights({"a": 0.5, "b": 0.5}), r,
                       policy=DriftBandPolicy(abs_band=0.05), costs=TransactionCosts(0.0))
    assert res.turnover.iloc[1] == 0.0  # drift 0.024 < 0.05
    assert res.turnover.iloc[2] > 0.0  # drift after +30 % exceeds the band
    assert len(res.targets) == 2


def test_contribution_buys_underweight_without_selling():
    idx = pd.date_range("2001-01-31", periods=3, freq="ME")
    r = pd.DataFrame({"a": [0.0, 1.0, 0.0], "b": [0.0, 0.0, 0.0]}, index=idx)
    flows = pd.Series([50.0], index=[idx[1]])
    res = run_backtest(FixedWeights({"a": 0.5, "b": 0.5}), r, policy=CalendarPolicy(None),
                       costs=TransactionCosts(0.0), initial_value=100.0, cash_flows=flows)
    # after period 1: a=100, b=50; 50 contributed goes to b → 100/100
    np.testing.assert_allclose(res.weights.iloc[-1], [0.5, 0.5], atol=1e-12)
    assert res.values.iloc[-1] == pytest.approx(200.0)
    assert res.returns.iloc[-1] == pytest.approx(0.0)  # flows are not returns


def test_withdrawal_larger_than_value_depletes():
    idx = pd.date_range("2001-01-31", periods=3, freq="ME")
    r = pd.DataFrame({"a": [0.0, 0.0, 0.0]}, index=idx)
    res = run_backtest(FixedWeights({"a": 1.0}), r, initial_value=10.0,
                       cash_flows=pd.Series([-20.0], index=[idx[1]]))
    assert res.values.iloc[-1] == 0.0
    assert "depleted" in res.provenance.warnings[0]


def test_invalid_weights_are_named():
    class Bad(Strategy):
        name = "bad"

        def target_weights(self, history):
            return np.array([0.7, 0.7])

    r = pd.DataFrame(0.0, index=pd.date_range("2001-01-31", periods=3, freq="ME"),
                     columns=["a", "b"])
    with pytest.raises(ParameterError, match="summing to 1.4"):
        run_backtest(Bad(), r)


@settings(max_examples=30, deadline=None)
@given(st.floats(0, 200), st.lists(st.floats(0.01, 1), min_size=3, max_size=3),
       st.lists(st.floats(0.01, 1), min_size=3, max_size=3))
def test_trade_is_self_financing(bps, a, b):
    h = np.array(a) * 100
    w = np.array(b) / np.sum(b)
    costs = TransactionCosts(bps)
    new, cost, traded = costs.trade(h, w)
    assert new.sum() + cost == pytest.approx(h.sum(), rel=1e-12)
    assert cost == pytest.approx(costs.rate * np.abs(new - h).sum(), rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(new / new.sum(), w, rtol=1e-12)


def test_comparison_table_has_1n_row(rng):
    r = _returns(rng, n=60)
    res = [run_backtest(s, r, warmup_periods=12) for s in
           (EqualWeight(), InverseVolatility(window=12))]
    table = comparison_table(res, n_resamples=200)
    assert np.isnan(table.loc["1/N", "sharpe_diff"])
    row = table.loc["inverse volatility"]
    assert row["ci_low"] <= row["sharpe_diff"] <= row["ci_high"]
