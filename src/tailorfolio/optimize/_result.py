"""Immutable optimization results."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tailorfolio.kernel._kkt import DEFAULT_KKT_TOLERANCE, KKTReport
from tailorfolio.optimize._solve import SolveAttempt

if TYPE_CHECKING:  # a frontier's path; kernel._frontier loads only when a frontier is traced
    from tailorfolio.kernel._frontier import FrontierPath


class Objective(str, Enum):
    """Portfolio-construction objectives."""

    MAX_UTILITY = "max_utility"  # maximise μ·w − (γ/2) wᵀΣw
    MIN_VARIANCE = "min_variance"
    MAX_SHARPE = "max_sharpe"
    TARGET_VOLATILITY = "target_volatility"  # maximise μ·w s.t. σ(w) ≤ target
    TARGET_RETURN = "target_return"  # minimise σ(w) s.t. μ·w ≥ target


@dataclass(frozen=True)
class BindingConstraint:
    """A constraint active at the optimum (it shapes the answer).

    Attributes
    ----------
    name : str
        Stable identifier (``"upper:VTI"``, ``"class_min:cash"``, ``"max_volatility"``).
    description : str
        In words, with the bound.
    field : str
        The profile field or rule that set it.
    """

    name: str
    description: str
    field: str


class _SeriesOnRead:
    """A dataclass field holding a pandas Series that may be given as ``(values (n,),
    index)`` and is then built on first read (a Series costs ~15 µs, a good part of a
    plan-sized solve, and many callers read only the floats of a result). Read, it is
    always the Series, built once and kept."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    def __get__(self, obj: object, owner: type | None = None) -> pd.Series:
        if obj is None:
            raise AttributeError  # (a dataclass field without a default)
        value = obj.__dict__[self._slot]
        if not isinstance(value, pd.Series):
            values, index = value
            value = pd.Series(values, index=index, copy=False)
            obj.__dict__[self._slot] = value
        return value

    def __set__(self, obj: object, value: pd.Series | tuple[np.ndarray, pd.Index]) -> None:
        obj.__dict__[self._slot] = value


@dataclass(frozen=True)
class PortfolioResult:
    """One optimal portfolio.

    Attributes
    ----------
    weights : Series of shape (n_assets,)
        Decimal weights summing to 1, indexed by ticker.
    objective : Objective
    expected_return : float
        Annual arithmetic expected return, decimal (μ·w, before any ESG tilt).
    volatility : float
        Annual standard deviation, decimal.
    sharpe : float
        (expected_return − risk_free_rate) / volatility.
    risk_aversion : float or None
    status : str
        ``optimal`` or ``optimal_inaccurate``.
    solver : str
    attempts : tuple of SolveAttempt
    binding : tuple of BindingConstraint
    warnings : tuple of str
    kkt : KKTReport or None
        Primal, dual and complementarity residuals of the answer and the tolerance used
        (in the scaled problem's units, see :class:`tailorfolio.kernel.KKTReport`); ``polished``
        says whether the weights are the exact solution of their active set. None for
        problems with transaction costs (not polished).
    """

    weights: pd.Series = _SeriesOnRead()  # (given as a Series or (values, index))
    objective: Objective
    expected_return: float
    volatility: float
    sharpe: float
    risk_free_rate: float
    risk_aversion: float | None
    status: str
    solver: str
    attempts: tuple[SolveAttempt, ...] = ()
    binding: tuple[BindingConstraint, ...] = ()
    warnings: tuple[str, ...] = ()
    kkt: KKTReport | None = None

    @property
    def inaccurate(self) -> bool:
        return self.status == "optimal_inaccurate"


@dataclass(frozen=True)
class Frontier:
    """An efficient frontier under a set of constraints.

    Attributes
    ----------
    volatility, expected_return, sharpe : ndarray of shape (n_points,)
        Annual, decimals; sorted by volatility.
    weights : DataFrame of shape (n_points, n_assets)
    risk_free_rate : float
    statuses : list of str
    kkt : tuple of KKTReport or None
        Per point, the KKT residuals of its (polished) solve.
    """

    volatility: np.ndarray
    expected_return: np.ndarray
    sharpe: np.ndarray
    weights: pd.DataFrame
    risk_free_rate: float
    statuses: list[str] = field(default_factory=list)
    kkt: tuple[KKTReport | None, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per point: volatility, expected_return, sharpe, then the weights."""
        head = pd.DataFrame(
            {"volatility": self.volatility, "expected_return": self.expected_return,
             "sharpe": self.sharpe}
        )
        return pd.concat([head, self.weights.reset_index(drop=True)], axis=1)


def frontier_from_path(path: FrontierPath, n_points: int, tickers: list[str],
                       risk_free_rate: float, kkt_tolerance: float = DEFAULT_KKT_TOLERANCE
                       ) -> Frontier:
    """``n_points`` points of ``path`` evenly spaced in expected return, as a Frontier.

    Parameters
    ----------
    path : FrontierPath
        Exact path (already cut at any volatility ceiling).
    n_points : int
    tickers : list of str
        Column labels, in the path's asset order.
    risk_free_rate : float
        Annual, decimal (for the Sharpe ratios).
    kkt_tolerance : float
        Tolerance the points' residuals are judged against.
    """
    ts = path.evenly_spaced(n_points)
    weights = path.at(ts)[0]
    res = path.residuals_at(ts)
    kkts = tuple(KKTReport(r.primal, r.dual, r.complementarity, kkt_tolerance, True,
                              path.n_breakpoints, path.problem.scale) for r in res)
    rets = weights @ path.problem.mu
    vols = np.sqrt(path.variance_of(weights))
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = (rets - risk_free_rate) / vols
    statuses = ["optimal" if k.satisfied else "optimal_inaccurate" for k in kkts]
    return Frontier(vols, rets, sharpe, pd.DataFrame(weights, columns=list(tickers)),
                    risk_free_rate, statuses, kkts)
