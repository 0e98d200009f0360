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
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

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
        out = np.clip(interpolate_rows(np.atleast_1d(s), self.shares, self.weights), 0.0, None)
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


def interpolate_rows(x: FloatArray, xp: FloatArray, fp: FloatArray) -> FloatArray:
    """``np.interp`` of every column of ``fp`` at ``x``, for all columns at once.

    Parameters
    ----------
    x : ndarray of shape (m,)
        Points inside ``[xp[0], xp[-1]]``.
    xp : ndarray of shape (k,)
        Increasing grid, k >= 2.
    fp : ndarray of shape (k, n)
        Values on the grid.

    Returns
    -------
    ndarray of shape (m, n)
        Column ``j`` is ``np.interp(x, xp, fp[:, j])`` bit for bit: the same interval (the
        last ``xp[i] <= x``), the grid value itself on a grid point and at the right end, else
        ``slope · (x − xp[i]) + fp[i]`` with ``slope = (fp[i+1] − fp[i]) / (xp[i+1] − xp[i])``
        — numpy's formula, one IEEE operation at a time. A column loop calling ``np.interp``
        costs one call per asset; the plan interpolates the family hundreds of times.
    """
    x = np.asarray(x, float)
    if np.isnan(x).any() or np.isnan(fp).any() or x.min() < xp[0] or x.max() > xp[-1]:
        out = np.empty((len(x), fp.shape[1]))
        for j in range(fp.shape[1]):  # outside the grid or NaN: numpy's own rules
            out[:, j] = np.interp(x, xp, fp[:, j])
        return out
    i = np.minimum(np.searchsorted(xp, x, side="right") - 1, len(xp) - 2)
    lo, hi = fp[i], fp[i + 1]
    slope = (hi - lo) / (xp[i + 1] - xp[i])[:, None]
    out = slope * (x - xp[i])[:, None] + lo
    on_grid = x == xp[i]
    out[on_grid] = lo[on_grid]
    at_end = x == xp[-1]
    out[at_end] = fp[-1]
    return out


def equity_group(constraints: ConstraintSet) -> GroupBound | None:
    """The broad-class ``equity`` group of ``constraints`` (None when the universe has none)."""
    return next((g for g in constraints.groups
                 if g.level == "broad_class" and g.name == "equity"), None)


FEASIBILITY_TOL = 1e-7
"""How far (decimal weight) the bounds may miss each other and still count as compatible:
the primal feasibility tolerance of the HiGHS linear program the closed form replaced (its
default ``primal_feasibility_tolerance``), so both accept the same constraint sets."""


def equity_range(constraints: ConstraintSet, optimizer: PortfolioOptimizer | None = None,
                 market: Market | None = None) -> tuple[float, float]:
    """Smallest and largest equity share any portfolio satisfying the linear constraints
    (bounds, class bounds, full investment) can hold.

    The universe's class bounds (a broad class and the fine classes inside it) form a
    *laminar* family — any two groups are disjoint or one contains the other — and then the
    range has a closed form (:func:`_laminar_equity_range`, no solver, exact); other group
    structures fall back to the linear program (HiGHS through ``scipy.optimize.linprog``,
    imported only then).

    Raises
    ------
    InfeasibleError
        When the constraints conflict; with ``optimizer`` and ``market`` given, the
        optimizer's diagnosis names the conflicting constraints and their profile fields.
    """
    eq = equity_group(constraints)
    if eq is None:
        return 0.0, 0.0
    closed = _laminar_equity_range(constraints, eq)
    found = _equity_range_lp(constraints, eq) if closed is NOT_LAMINAR else closed
    if found is None:
        if optimizer is not None and market is not None:
            a = market.assumptions
            optimizer.optimize(a.expected_return, a.covariance, constraints,
                               objective=Objective.MIN_VARIANCE)  # raises, diagnosed
        raise InfeasibleError(
            "The portfolio constraints (bounds, exclusions, class bounds) cannot all hold "
            "at once.", field="preferences", value=None,
            expected="constraints some fully invested portfolio satisfies",
            fix="relax the asset or class bounds, or the exclusions")
    lo, hi = found
    return max(0.0, lo), min(1.0, hi)


NOT_LAMINAR = (math.nan, math.nan)
"""What :func:`_laminar_equity_range` returns when the groups are not a laminar family of
0/1 memberships (the caller then solves the linear program)."""


def _active_groups(constraints: ConstraintSet) -> list[GroupBound]:
    """The groups whose bounds can bind (``max < 1`` or ``min > 0``): a [0, 1] bound on a
    group of a fully invested portfolio is implied by the asset bounds and the budget
    whenever the asset lower bounds are >= 0, and the LP formulation has always left it out."""
    return [g for g in constraints.groups if g.max < 1.0 or g.min > 0.0]


def _laminar_equity_range(constraints: ConstraintSet, eq: GroupBound
                          ) -> tuple[float, float] | None:
    """Exact equity range when the active groups and the equity group form a laminar family
    of 0/1 groups; None when the constraints are infeasible; :data:`NOT_LAMINAR` otherwise.

    The problem is the linear program ``min / max eᵀw`` subject to ``l ≤ w ≤ u``,
    ``Σw = 1`` and ``L_g ≤ Σ_{i∈g} w_i ≤ U_g`` for each group ``g``, where ``e`` is the
    equity group's 0/1 membership vector.

    Method. Add the budget as a root group (all assets, [1, 1]) and arrange the groups as a
    tree: a group's parent is the smallest group strictly containing it (unique, because the
    family is laminar; identical groups are merged by intersecting their bounds). An asset
    not inside any child of a group is a leaf of that group with range ``[l_i, u_i]``.

    1. *Bottom-up.* The totals a group can take, with every constraint inside it satisfied,
       form the interval ``[LO_g, HI_g] = [max(L_g, Σ_c LO_c), min(U_g, Σ_c HI_c)]`` over
       its children ``c`` (sub-groups and leaves). Proof by induction on the tree: leaves
       are intervals; the children's totals are independent (they share no asset), so their
       sum ranges over the Minkowski sum of intervals, ``[Σ LO_c, Σ HI_c]``, and every value
       in it is reached (move the children's totals continuously); intersecting with the
       group's own bound gives an interval again. The constraints are feasible iff
       ``LO_g ≤ HI_g`` for every group (the root included, whose bound is [1, 1]).
    2. *Top-down along the path root → equity group.* Given its parent's total ``t``, a
       child ``c`` can hold any total in ``[max(LO_c, t − Σ_s HI_s), min(HI_c,
       t − Σ_s LO_s)]`` over its siblings ``s`` (the rest of ``t`` must fit in the
       siblings' own intervals, and by step 1 any split with each sibling inside its interval
       is reachable). Both ends are non-decreasing in ``t``, so the child's largest total is
       reached at its parent's largest and the smallest at its parent's smallest; starting
       from the root's ``t = 1`` this gives the equity group's extreme totals — the LP's
       optimal values, with no solver. This is the fractional-knapsack argument applied level
       by level: fill the equity side first, up to what the other side's minimums leave.

    Exclusions enter as upper bounds of 0; a volatility ceiling and the ESG floor are not
    part of this range (as in the LP it replaces).
    """
    n = constraints.n_assets
    lower = np.asarray(constraints.lower, float)
    upper = np.asarray(constraints.upper, float)
    if np.any(lower > upper + FEASIBILITY_TOL):
        return None
    nodes: dict[frozenset[int], list[float]] = {frozenset(range(n)): [1.0, 1.0]}
    eq_members = np.asarray(eq.members, float)
    for g in [*_active_groups(constraints), eq]:
        m = np.asarray(g.members, float)
        if m.shape != (n,) or not np.all((m == 0.0) | (m == 1.0)):
            return NOT_LAMINAR
        key = frozenset(np.flatnonzero(m).tolist())
        is_bound = g.max < 1.0 or g.min > 0.0
        lo, hi = (g.min, g.max) if is_bound else (-math.inf, math.inf)
        if not key:  # an empty group holds 0
            if lo > FEASIBILITY_TOL or hi < -FEASIBILITY_TOL:
                return None
            continue
        have = nodes.setdefault(key, [-math.inf, math.inf])
        have[0], have[1] = max(have[0], lo), min(have[1], hi)
    eq_key = frozenset(np.flatnonzero(eq_members).tolist())
    if not eq_key:
        return 0.0, 0.0
    keys = sorted(nodes, key=len, reverse=True)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            if not (a.isdisjoint(b) or b <= a):
                return NOT_LAMINAR
    parent: dict[frozenset[int], frozenset[int]] = {}
    for i, a in enumerate(keys[1:], start=1):
        parent[a] = min((b for b in keys[:i] if a < b), key=len)
    children: dict[frozenset[int], list[frozenset[int]]] = {k: [] for k in keys}
    for child, par in parent.items():
        children[par].append(child)

    # 1. Bottom-up: each group's reachable totals [LO, HI] (smallest groups first).
    reach: dict[frozenset[int], tuple[float, float]] = {}
    sibling_leaves: dict[frozenset[int], tuple[float, float]] = {}
    for k in reversed(keys):
        inside = set().union(*children[k]) if children[k] else set()
        leaves = sorted(k - inside)
        leaf_lo, leaf_hi = float(lower[leaves].sum()), float(upper[leaves].sum())
        sibling_leaves[k] = (leaf_lo, leaf_hi)
        lo = max(nodes[k][0], leaf_lo + sum(reach[c][0] for c in children[k]))
        hi = min(nodes[k][1], leaf_hi + sum(reach[c][1] for c in children[k]))
        if lo > hi + FEASIBILITY_TOL:
            return None
        reach[k] = (lo, max(hi, lo))  # within the tolerance: the one point

    # 2. Top-down along the path from the root to the equity group.
    path = [eq_key]
    while path[-1] in parent:
        path.append(parent[path[-1]])
    path.reverse()
    t_lo, t_hi = reach[path[0]]
    for par, child in zip(path, path[1:]):
        others = [c for c in children[par] if c != child]
        others_lo = sibling_leaves[par][0] + sum(reach[c][0] for c in others)
        others_hi = sibling_leaves[par][1] + sum(reach[c][1] for c in others)
        c_lo, c_hi = reach[child]
        t_lo, t_hi = max(c_lo, t_lo - others_hi), min(c_hi, t_hi - others_lo)
    return float(t_lo), float(t_hi)


def _equity_range_lp(constraints: ConstraintSet, eq: GroupBound) -> tuple[float, float] | None:
    """The equity range by linear programming (any group structure); None when infeasible.

    Two linear programs (HiGHS) on the kernel's standard form of the constraints, the one
    encoding every solver reads (:func:`tailorfolio.optimize._max_return.max_return_weights`),
    with the ESG floor left out as in the closed form (bounds, class bounds, full investment).
    """
    from tailorfolio.optimize._max_return import max_return_weights

    linear = dataclasses.replace(constraints, min_esg_score=None)
    members = np.asarray(eq.members, float)
    most = max_return_weights(linear, members)
    least = max_return_weights(linear, -members)
    if most is None or least is None:
        return None
    return float(members @ least), float(members @ most)


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
