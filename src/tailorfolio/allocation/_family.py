"""The portfolio family: one diversified portfolio for every equity share.

Every allocation a plan recommends — a risk level's long-horizon portfolio, a goal's sleeve on
its glide path, the household total — is a point on this one-dimensional family, so the plan's
parts cannot disagree about how a 40 %-stock portfolio is built.

For an equity share ``s`` the family's portfolio maximises expected utility
``μᵀw − γ(s)/2 · wᵀΣw`` on the plan's (equilibrium-anchored) expected returns, under the
investor's constraints (bounds, exclusions, ESG rules, class bounds) with the stocks' total
pinned to ``s``. ``γ(s)`` is the risk ladder's risk aversion at that share
(:func:`tailorfolio.risk.risk_aversion_for_equity_share`), never below the market's own risk
aversion δ: a 10 %-stock portfolio composes its bond side like a cautious investor would
(short, safe); a bolder one holds the rest near market weights.

Portfolios are solved on a grid of shares (every 5 points, plus the feasible ends) and
interpolated linearly in between; a mix of two feasible portfolios is feasible (every
constraint here is convex), and the risk-level shares (10 %, 20 %, …) are grid points, so a
level's portfolio is an exact optimum.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from tailorfolio.errors import InfeasibleError, OptimizationError
from tailorfolio.market._market import Market
from tailorfolio.optimize._constraints import ConstraintSet, GroupBound
from tailorfolio.optimize._optimizer import PortfolioOptimizer
from tailorfolio.optimize._result import Objective
from tailorfolio.risk._ladder import risk_aversion_for_equity_share
from tailorfolio.typing import FloatArray

GRID_STEP = 0.05
"""Spacing of the solved equity shares (decimal)."""

EQUITY_FIELD = "risk level (equity share of the portfolio)"
"""Field name the infeasibility diagnosis reports for the pinned equity share."""


@dataclass(frozen=True)
class PortfolioFamily:
    """Solved portfolios by equity share.

    Attributes
    ----------
    tickers : tuple of str
        Asset order of every weight row.
    shares : ndarray of shape (k,)
        Equity shares solved, ascending, decimals.
    weights : ndarray of shape (k, n_assets)
        Row i is the portfolio at ``shares[i]``; each row sums to 1.
    expected_return, volatility : ndarray of shape (k,)
        Annual, decimals, under the plan's assumptions.
    min_share, max_share : float
        Feasible equity range under the investor's constraints.
    has_equity_class : bool
        False when the universe has no stocks/non-stocks split (every asset in one broad
        class); the family then has one portfolio.
    """

    tickers: tuple[str, ...]
    shares: FloatArray
    weights: FloatArray
    expected_return: FloatArray
    volatility: FloatArray
    min_share: float
    max_share: float
    has_equity_class: bool = True

    def clip(self, share: float | FloatArray) -> FloatArray:
        """``share`` limited to the feasible range."""
        return np.clip(np.asarray(share, float), self.min_share, self.max_share)

    def weights_at(self, share: float | FloatArray) -> FloatArray:
        """Portfolio weights at ``share`` (scalar → (n_assets,), array (m,) → (m, n_assets))."""
        s = self.clip(share)
        if len(self.shares) == 1:
            w = np.broadcast_to(self.weights[0], (*s.shape, len(self.tickers)))
            return np.array(w)
        flat = np.atleast_1d(s)
        out = np.empty((len(flat), len(self.tickers)))
        for j in range(len(self.tickers)):
            out[:, j] = np.interp(flat, self.shares, self.weights[:, j])
        out = np.clip(out, 0.0, None)
        out /= out.sum(axis=1, keepdims=True)
        return out[0] if s.ndim == 0 else out

    def volatility_at(self, share: float) -> float:
        """Volatility at ``share`` (linear between grid points; a slight over-estimate)."""
        return float(np.interp(float(self.clip(share)), self.shares, self.volatility))

    def highest_share_within(self, max_volatility: float) -> float:
        """The largest feasible equity share whose portfolio's volatility is at most
        ``max_volatility`` (the lowest share when none is)."""
        ok = self.shares[self.volatility <= max_volatility + 1e-12]
        if len(ok) == 0:
            return float(self.shares[0])
        top = float(ok.max())
        above = self.shares[self.shares > top]
        if len(above) == 0:
            return top
        # Refine between the last grid point inside and the first outside.
        lo, hi = top, float(above.min())
        v_lo, v_hi = self.volatility_at(lo), self.volatility_at(hi)
        if v_hi <= v_lo:
            return top
        return float(lo + (hi - lo) * (max_volatility - v_lo) / (v_hi - v_lo))


def equity_group(constraints: ConstraintSet) -> GroupBound | None:
    """The broad-class ``equity`` group of ``constraints`` (None when the universe has none)."""
    return next((g for g in constraints.groups
                 if g.level == "broad_class" and g.name == "equity"), None)


def equity_range(constraints: ConstraintSet, optimizer: PortfolioOptimizer | None = None,
                 market: Market | None = None) -> tuple[float, float]:
    """Smallest and largest equity share any portfolio satisfying the linear constraints
    (bounds, class bounds, full investment) can hold.

    Raises
    ------
    InfeasibleError
        When the constraints conflict; with ``optimizer`` and ``market`` given, the
        optimizer's diagnosis names the conflicting constraints and their profile fields.
    """
    eq = equity_group(constraints)
    if eq is None:
        return 0.0, 0.0
    n = constraints.n_assets
    rows, rhs = [], []
    for g in constraints.groups:
        members = np.asarray(g.members, float)
        if g.max < 1.0:
            rows.append(members)
            rhs.append(g.max)
        if g.min > 0.0:
            rows.append(-members)
            rhs.append(-g.min)
    a_ub = np.array(rows) if rows else None
    b_ub = np.array(rhs) if rhs else None
    bounds = list(zip(constraints.lower, constraints.upper, strict=True))
    out = []
    for sign in (1.0, -1.0):
        res = linprog(sign * np.asarray(eq.members, float), A_ub=a_ub, b_ub=b_ub,
                      A_eq=np.ones((1, n)), b_eq=[1.0], bounds=bounds, method="highs")
        if res.status != 0:
            if optimizer is not None and market is not None:
                a = market.assumptions
                optimizer.optimize(a.expected_return, a.covariance, constraints,
                                   objective=Objective.MIN_VARIANCE)  # raises, diagnosed
            raise InfeasibleError(
                "The portfolio constraints (bounds, exclusions, class bounds) cannot all hold "
                "at once.", field="preferences", value=None,
                expected="constraints some fully invested portfolio satisfies",
                fix="relax the asset or class bounds, or the exclusions")
        out.append(sign * res.fun)
    lo, hi = float(out[0]), float(out[1])
    return max(0.0, lo), min(1.0, hi)


def pin_equity(constraints: ConstraintSet, share: float) -> ConstraintSet:
    """``constraints`` with the stocks' total fixed at ``share``."""
    groups = tuple(
        dataclasses.replace(g, min=share, max=share, field_min=EQUITY_FIELD,
                            field_max=EQUITY_FIELD)
        if g.level == "broad_class" and g.name == "equity" else g
        for g in constraints.groups)
    return dataclasses.replace(constraints, groups=groups)


def build_family(market: Market, constraints: ConstraintSet, *,
                 optimizer: PortfolioOptimizer | None = None,
                 fallback_risk_aversion: float = 3.0,
                 min_risk_aversion: float | None = None) -> PortfolioFamily:
    """Solve the family of ``market`` under ``constraints`` (whose volatility ceiling, if
    any, is ignored: the ceiling chooses *which* share a level may hold, not how a share is
    built).

    Parameters
    ----------
    market : Market
        Its assumptions' expected returns are the plan's (equilibrium-anchored) returns.
    constraints : ConstraintSet
    optimizer : PortfolioOptimizer, optional
    fallback_risk_aversion : float
        γ of the single portfolio when the universe has no stocks/non-stocks split.
    min_risk_aversion : float, optional
        Floor on γ(s): the market's own risk aversion δ under equilibrium returns. Once the
        stocks' share is fixed, a γ below δ would spend the investor's appetite for risk on
        the riskiest bonds (high yield, emerging-market debt) instead of on stocks, where the
        level already put it; at γ ≥ δ the rest of the portfolio stays near market weights or
        safer.

    Raises
    ------
    InfeasibleError
        When no portfolio satisfies the constraints.
    """
    opt = optimizer or PortfolioOptimizer()
    a = market.assumptions
    mu, cov, rf = a.expected_return, a.covariance, a.risk_free_rate
    cs = constraints.with_volatility_cap(None)
    tickers = tuple(cs.tickers)
    eq = equity_group(cs)
    lo, hi = equity_range(cs, opt, market)
    split = eq is not None and 0 < float(np.sum(eq.members)) < len(tickers) and hi - lo > 1e-9

    def solve(share: float | None, gamma: float) -> tuple[FloatArray, float, float]:
        c = pin_equity(cs, share) if share is not None else cs
        res = opt.optimize(mu, cov, c, objective=Objective.MAX_UTILITY, risk_aversion=gamma,
                           risk_free_rate=rf)
        w = np.clip(res.weights.reindex(list(tickers)).to_numpy(float), 0.0, None)
        w[w < 1e-7] = 0.0
        return w / w.sum(), res.expected_return, res.volatility

    if not split:
        share = lo if eq is not None else 0.0
        w, r, v = solve(None, fallback_risk_aversion)
        return PortfolioFamily(tickers, np.array([share]), w[None, :], np.array([r]),
                               np.array([v]), share, share, has_equity_class=False)
    grid = np.arange(0.0, 1.0 + 1e-9, GRID_STEP)
    grid = np.unique(np.round(np.concatenate([[lo, hi], grid[(grid > lo) & (grid < hi)]]), 10))
    shares, rows, rets, vols = [], [], [], []
    for s in grid:
        try:
            gamma = risk_aversion_for_equity_share(float(s))
            if min_risk_aversion is not None:
                gamma = max(gamma, min_risk_aversion)
            w, r, v = solve(float(s), gamma)
        except OptimizationError:
            continue  # e.g. an ESG floor no portfolio at this share meets
        shares.append(float(s))
        rows.append(w)
        rets.append(r)
        vols.append(v)
    if not shares:
        raise InfeasibleError(
            "No portfolio satisfies the constraints at any equity share.",
            field="preferences", value=None, expected="satisfiable constraints",
            fix="relax the ESG score floor, the exclusions or the class bounds")
    return PortfolioFamily(tickers, np.array(shares), np.array(rows), np.array(rets),
                           np.array(vols), shares[0], shares[-1])


def family_frame(family: PortfolioFamily) -> pd.DataFrame:
    """The family as a table: one row per solved share, columns tickers + metrics."""
    df = pd.DataFrame(family.weights, columns=list(family.tickers))
    df.insert(0, "volatility", family.volatility)
    df.insert(0, "expected_return", family.expected_return)
    df.insert(0, "equity_share", family.shares)
    return df
