"""The walk-forward backtest engine.

Timing: the return of period *t* is earned between the closes of dates *t−1* and *t*. At the
close of each decision date the engine (1) adds that date's cash flow, (2) if the policy
reviews, asks the strategy for target weights given a :class:`HistoryView` cut at that date,
(3) trades to the target if the policy says so — otherwise a cash flow alone is invested or
raised toward the last target ("cash-flow rebalancing") — paying costs out of the portfolio,
and (4) lets the holdings drift with the next period's returns. Weights therefore drift
between rebalances, and no decision can use a return it has not yet seen.
"""

from __future__ import annotations

import copy
import hashlib

import numpy as np
import pandas as pd

from tailorfolio._version import __version__
from tailorfolio.backtest._costs import TransactionCosts
from tailorfolio.backtest._history import make_history
from tailorfolio.backtest._policy import CalendarPolicy, RebalancePolicy
from tailorfolio.backtest._result import BacktestProvenance, BacktestResult
from tailorfolio.backtest._strategy import Strategy
from tailorfolio.errors import InsufficientDataError, ParameterError

WEIGHT_SUM_TOLERANCE = 1e-6


def data_hash(returns: pd.DataFrame) -> str:
    """SHA-256 of the return table (dates, column names and values)."""
    h = hashlib.sha256()
    h.update(np.asarray(returns.index.asi8 if hasattr(returns.index, "asi8")
                        else np.arange(len(returns))).tobytes())
    h.update("|".join(map(str, returns.columns)).encode())
    h.update(np.ascontiguousarray(returns.to_numpy(float)).tobytes())
    return h.hexdigest()


def _check_weights(w: np.ndarray, n: int, strategy: Strategy, date: pd.Timestamp) -> np.ndarray:
    w = np.asarray(w, dtype=float).reshape(-1)
    if w.shape != (n,) or not np.isfinite(w).all():
        raise ParameterError(
            f"Strategy {strategy.name!r} returned invalid weights at {date.date()}: {w}.",
            field="target_weights", value=w.tolist(),
            expected=f"{n} finite numbers summing to 1",
        )
    if abs(w.sum() - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise ParameterError(
            f"Strategy {strategy.name!r} returned weights summing to {w.sum():.6f} at "
            f"{date.date()}.", field="target_weights", value=float(w.sum()),
            expected="weights summing to 1",
        )
    return w / w.sum()


def _cash_flow_target(holdings: np.ndarray, target: np.ndarray, flow: float) -> np.ndarray:
    """Weights after investing (flow > 0) or raising (flow < 0) ``flow`` toward ``target``
    without trading anything else: buy the most underweight assets, sell the most
    overweight ones, in proportion to their gaps; any remainder pro rata."""
    value = float(holdings.sum()) + flow
    desired = target * value
    if flow > 0:
        gap = np.maximum(desired - holdings, 0.0)
        total = gap.sum()
        buys = flow * gap / total if total >= flow else gap + (flow - total) * target
        new = holdings + buys
    else:
        excess = np.maximum(holdings - desired, 0.0)
        total = excess.sum()
        need = -flow
        if total >= need:
            new = holdings - need * excess / total
        else:
            rest = holdings - excess
            new = rest - (need - total) * rest / rest.sum()
    return new / value


def run_backtest(
    strategy: Strategy,
    returns: pd.DataFrame,
    *,
    risk_free: pd.Series | None = None,
    predictors: pd.DataFrame | None = None,
    broad_class: dict[str, str] | None = None,
    periods_per_year: int = 12,
    policy: RebalancePolicy | None = None,
    costs: TransactionCosts | None = None,
    warmup_periods: int = 0,
    start: str | pd.Timestamp | None = None,
    initial_value: float = 1.0,
    initial_weights: np.ndarray | None = None,
    cash_flows: pd.Series | None = None,
) -> BacktestResult:
    """Run ``strategy`` walk-forward over ``returns``.

    Parameters
    ----------
    strategy : Strategy
        Deep-copied before the run; the caller's object is never changed.
    returns : DataFrame of shape (n_periods, n_assets)
        Simple returns per period, decimals, indexed by period-end date (increasing).
    risk_free : Series, optional
        Risk-free return per period (0 when omitted); used by Sharpe and shown to strategies.
    predictors : DataFrame, optional
        Extra series indexed by date, cut at each decision date like the returns.
    broad_class : dict, optional
        ``equity``/``bond``/``cash`` per asset, passed to strategies.
    periods_per_year : int
    policy : RebalancePolicy
        Default monthly calendar (``CalendarPolicy(1)``).
    costs : TransactionCosts
        Default 10 bp proportional, no fixed fee.
    warmup_periods : int
        Periods of history before the first decision (at least ``strategy.min_history``).
    start : date, optional
        First decision date no earlier than this.
    initial_value : float
        Portfolio value at the first decision, currency.
    initial_weights : ndarray of shape (n_assets,), optional
        Holdings before the first decision. ``None`` starts directly in the first target
        without paying costs (the usual convention of academic backtests); given weights are
        traded to the first target at cost.
    cash_flows : Series, optional
        Contribution (+) or withdrawal (−) in currency on decision dates.

    Returns
    -------
    BacktestResult

    Raises
    ------
    InsufficientDataError
        When there is no period left after the warm-up.
    ParameterError
        On invalid inputs or invalid strategy weights.
    """
    if not isinstance(returns, pd.DataFrame) or returns.empty:
        raise ParameterError("returns must be a non-empty DataFrame (dates × assets).",
                             field="returns")
    if not returns.index.is_monotonic_increasing or returns.index.has_duplicates:
        raise ParameterError("returns must be indexed by strictly increasing dates.",
                             field="returns.index")
    x = returns.to_numpy(float)
    if not np.isfinite(x).all() or (x <= -1).any():
        raise ParameterError("returns contain NaN, infinities or losses of 100 % or more.",
                             field="returns", fix="clean the data first")
    if initial_value <= 0:
        raise ParameterError(f"initial_value must be > 0. Got {initial_value}.",
                             field="initial_value", value=initial_value)
    policy = policy or CalendarPolicy(1)
    costs = costs or TransactionCosts()
    n_total, n_assets = x.shape
    dates = returns.index
    rf = (pd.Series(0.0, index=dates) if risk_free is None
          else risk_free.reindex(dates).fillna(0.0).astype(float))
    preds = predictors if predictors is not None else pd.DataFrame(index=dates[:0])
    bclass = broad_class or {}
    warm = max(int(warmup_periods), int(strategy.min_history), 1)
    first = warm
    if start is not None:
        first = max(first, int(np.searchsorted(dates, pd.Timestamp(start), side="left")) + 1)
    if first >= n_total:
        raise InsufficientDataError(
            f"No period left to backtest {strategy.name!r}: {n_total} periods, warm-up {warm}.",
            field="warmup_periods", value=warm, expected=f"< {n_total}",
            fix="use a longer date range or a shorter estimation window",
        )
    flows = pd.Series(0.0, index=dates[first - 1:n_total - 1])
    if cash_flows is not None:
        unknown = cash_flows.index.difference(flows.index)
        if len(unknown):
            raise ParameterError(
                f"Cash flows on {len(unknown)} date(s) that are not decision dates, first "
                f"{pd.Timestamp(unknown[0]).date()}.", field="cash_flows",
                value=str(pd.Timestamp(unknown[0]).date()),
                expected=f"dates of the return index from {flows.index[0].date()} to "
                f"{flows.index[-1].date()}",
            )
        flows = flows.add(cash_flows.astype(float), fill_value=0.0)

    strat = copy.deepcopy(strategy)
    n_run = n_total - first
    values = np.empty(n_run + 1)
    period_returns = np.empty(n_run)
    weights_out = np.empty((n_run, n_assets))
    turnover = np.zeros(n_run)
    cost_paid = np.zeros(n_run)
    target_rows: list[np.ndarray] = []
    target_dates: list[pd.Timestamp] = []
    warnings: list[str] = []

    holdings: np.ndarray | None = None
    if initial_weights is not None:
        w0 = np.asarray(initial_weights, float)
        if w0.shape != (n_assets,) or abs(w0.sum() - 1) > WEIGHT_SUM_TOLERANCE:
            raise ParameterError("initial_weights must have one weight per asset summing to 1.",
                                 field="initial_weights", value=w0.tolist())
        holdings = w0 * initial_value
    values[0] = initial_value
    last_target: np.ndarray | None = None
    depleted = False
    for k in range(n_run):
        t = first + k  # period whose return is earned next
        date = dates[t - 1]
        flow = float(flows.iloc[k])
        current_value = (float(holdings.sum()) if holdings is not None else initial_value)
        pre_value = current_value + flow
        if depleted or pre_value <= 0:
            if not depleted:
                warnings.append(f"The portfolio was depleted on {date.date()}.")
            depleted = True
            holdings = np.zeros(n_assets)
            values[k + 1] = 0.0
            period_returns[k] = 0.0 if k else -1.0
            weights_out[k] = 0.0
            continue
        cur_w = (holdings / current_value if holdings is not None and current_value > 0
                 else np.zeros(n_assets))
        new_target = None
        if policy.is_review(k):
            hist = make_history(date, returns, rf, preds, cur_w, periods_per_year, bclass)
            new_target = _check_weights(strat.target_weights(hist), n_assets, strat, date)
        if holdings is None:  # start invested in the first target, no cost
            assert new_target is not None
            holdings = new_target * pre_value
            last_target = new_target
            target_rows.append(new_target)
            target_dates.append(date)
        elif new_target is not None and (k == 0 or policy.should_trade(
                holdings / holdings.sum() if holdings.sum() > 0 else cur_w, new_target)):
            holdings, cost, traded = costs.trade(holdings, new_target, flow)
            cost_paid[k] = cost
            turnover[k] = 0.5 * traded / pre_value
            last_target = new_target
            target_rows.append(new_target)
            target_dates.append(date)
        elif flow != 0.0:
            target = last_target if last_target is not None else cur_w
            w_cf = _cash_flow_target(holdings, target, flow)
            holdings, cost, traded = costs.trade(holdings, w_cf, flow)
            cost_paid[k] = cost
            turnover[k] = 0.5 * traded / pre_value
        holdings = holdings * (1.0 + x[t])
        end_value = float(holdings.sum())
        values[k + 1] = end_value
        period_returns[k] = end_value / pre_value - 1.0
        weights_out[k] = holdings / end_value if end_value > 0 else 0.0

    run_dates = dates[first:]
    idx_values = dates[first - 1:]
    cols = returns.columns
    prov = BacktestProvenance(
        strategy_repr=repr(strategy), policy_repr=repr(policy), costs_repr=repr(costs),
        data_hash=data_hash(returns), library_version=__version__,
        start=str(dates[first - 1].date()), end=str(dates[-1].date()),
        warmup_periods=first, warnings=tuple(warnings),
    )
    shifted = pd.Series(flows.to_numpy(), index=run_dates)
    return BacktestResult(
        strategy=strategy.name,
        values=pd.Series(values, index=idx_values, name=strategy.name),
        returns=pd.Series(period_returns, index=run_dates, name=strategy.name),
        risk_free=rf.loc[run_dates].rename("risk_free"),
        weights=pd.DataFrame(weights_out, index=run_dates, columns=cols),
        targets=pd.DataFrame(np.array(target_rows).reshape(-1, n_assets),
                             index=pd.DatetimeIndex(target_dates), columns=cols),
        turnover=pd.Series(turnover, index=run_dates),
        costs=pd.Series(cost_paid, index=run_dates),
        cash_flows=shifted,
        periods_per_year=periods_per_year,
        provenance=prov,
        extras=dict(getattr(strat, "diagnostics_", {}) or {}),
    )
