"""The immutable outcome of one backtest run, with its provenance and lazy metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from tailorfolio.backtest import _measures as m


@dataclass(frozen=True)
class BacktestProvenance:
    """Everything needed to reproduce a run.

    Attributes
    ----------
    strategy_repr, policy_repr, costs_repr : str
    data_hash : str
        SHA-256 of the return data used (index and values).
    library_version : str
    start, end : str
        First decision date and last period end (ISO dates).
    warmup_periods : int
    warnings : tuple of str
    """

    strategy_repr: str
    policy_repr: str
    costs_repr: str
    data_hash: str
    library_version: str
    start: str
    end: str
    warmup_periods: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class BacktestMetrics:
    """Summary statistics of a run (annualised, decimals).

    Attributes
    ----------
    annual_return : float
        Compounded (geometric) annual return, net of costs.
    annual_volatility : float
    sharpe : float
        Annualised Sharpe ratio of returns over the risk-free rate.
    ceq : float
        Certainty-equivalent excess return for γ = 1 (DeMiguel et al. 2009).
    max_drawdown : float
        Largest peak-to-trough fall, positive.
    annual_turnover : float
        Mean yearly one-way turnover: ½ Σ|trade| / portfolio value, summed over a year
        (1.0 = the whole portfolio replaced once a year).
    annual_cost : float
        Costs paid per year as a fraction of portfolio value.
    total_costs : float
        Currency paid in costs over the run.
    final_value : float
    n_periods : int
    n_rebalances : int
    """

    annual_return: float
    annual_volatility: float
    sharpe: float
    ceq: float
    max_drawdown: float
    annual_turnover: float
    annual_cost: float
    total_costs: float
    final_value: float
    n_periods: int
    n_rebalances: int

    def as_dict(self) -> dict[str, float]:
        """Plain dict of the fields."""
        return dict(vars(self))


@dataclass(frozen=True)
class BacktestResult:
    """One strategy's walk-forward history.

    Attributes
    ----------
    strategy : str
        The strategy's display name.
    values : Series of shape (n_periods + 1,)
        Portfolio value at the first decision date and at each period end, after flows.
    returns : Series of shape (n_periods,)
        Time-weighted net return of each period (cash flows excluded, costs included).
    risk_free : Series of shape (n_periods,)
    weights : DataFrame of shape (n_periods, n_assets)
        End-of-period (drifted) weights.
    targets : DataFrame of shape (n_rebalances, n_assets)
        Target weights at each date the portfolio was traded.
    turnover : Series of shape (n_periods,)
        One-way turnover (½ Σ|trade| / value before trading) at the start of each period.
    costs : Series of shape (n_periods,)
        Currency paid at the start of each period.
    cash_flows : Series of shape (n_periods,)
        Contribution (+) or withdrawal (−) at the start of each period.
    periods_per_year : int
    provenance : BacktestProvenance
    """

    strategy: str
    values: pd.Series
    returns: pd.Series
    risk_free: pd.Series
    weights: pd.DataFrame
    targets: pd.DataFrame
    turnover: pd.Series
    costs: pd.Series
    cash_flows: pd.Series
    periods_per_year: int
    provenance: BacktestProvenance
    extras: dict = field(default_factory=dict)

    @cached_property
    def metrics(self) -> BacktestMetrics:
        """Summary statistics (computed once, on first use)."""
        r = self.returns.to_numpy(float)
        rf = self.risk_free.to_numpy(float)
        ppy = self.periods_per_year
        years = len(r) / ppy
        pre_trade = (self.values.shift(1).iloc[1:] + self.cash_flows.to_numpy()).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            cost_frac = np.where(pre_trade > 0, self.costs.to_numpy() / pre_trade, 0.0)
        return BacktestMetrics(
            annual_return=m.annualized_return(r, ppy),
            annual_volatility=m.annualized_volatility(r, ppy),
            sharpe=m.sharpe_ratio(r, rf, ppy),
            ceq=m.certainty_equivalent(r, rf, ppy),
            max_drawdown=m.max_drawdown(self.values.to_numpy()),
            annual_turnover=float(self.turnover.sum() / years) if years > 0 else float("nan"),
            annual_cost=float(cost_frac.sum() / years) if years > 0 else float("nan"),
            total_costs=float(self.costs.sum()),
            final_value=float(self.values.iloc[-1]),
            n_periods=len(r),
            n_rebalances=len(self.targets),
        )

    def equity_curve(self) -> pd.Series:
        """Growth of 1 (time-weighted, cash flows removed), starting at the first decision."""
        growth = (1.0 + self.returns).cumprod()
        start = pd.Series([1.0], index=self.values.index[:1])
        return pd.concat([start, growth]).rename(self.strategy)
