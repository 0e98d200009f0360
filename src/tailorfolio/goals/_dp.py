"""Goal-based dynamic allocation by dynamic programming over a wealth grid.

Das, Ostrov, Radhakrishnan & Srivastav (2019/2020), "Dynamic portfolio allocation in
goals-based wealth management" (Computational Management Science 17:613–640): each year the
investor picks one of ``m`` efficient-frontier portfolios to maximise the probability that
wealth at the horizon reaches the goal, with yearly cash flows (infusions or withdrawals)
at the start of each year. Portfolio ``k`` grows wealth by ``exp(m_k + s_k Z)`` a year,
``Z ~ N(0, 1)``. Bellman recursion on a log-spaced wealth grid::

    V_T(W) = 1{W >= G}
    V_t(W) = max_k E[ V_{t+1}((W + c_t) exp(m_k + s_k Z)) ],   V_t = 0 when W + c_t <= 0.

The last step uses the exact normal tail; earlier steps integrate ``V_{t+1}``, interpolated
linearly in log wealth between grid points (constant beyond the ends), exactly against the
normal density. :func:`simulate_policy` verifies the probability by simulating the policy
forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from tailorfolio.errors import ParameterError
from tailorfolio.simulate._core import (
    FactorModel,
    GaussianFactors,
    simulate_portfolio,
)
from tailorfolio.simulate._threads import single_threaded_blas
from tailorfolio.typing import FloatArray, IntArray

GRID_POINTS_PER_SIGMA = 3.0
"""Grid density: points per smallest one-year log volatility (Das et al. size the grid the
same way); the default number of points is the log range divided by ``σ_min / 3``, clipped
to [MIN_GRID_POINTS, MAX_GRID_POINTS]."""
MIN_GRID_POINTS, MAX_GRID_POINTS = 200, 1500


@dataclass(frozen=True)
class GoalDPProblem:
    """A single-goal problem for the dynamic programme.

    Attributes
    ----------
    initial_wealth : float
        Wealth now (> 0), currency units.
    goal : float
        Wealth needed at the horizon (> 0).
    years : int
        Horizon T in years.
    log_mean : ndarray (m,)
        Annual mean log growth of each candidate portfolio (fees and, in real problems,
        inflation already deducted).
    log_vol : ndarray (m,)
        Annual standard deviation of the log growth of each portfolio.
    cash_flows : ndarray (years,)
        Cash added (+) or withdrawn (−) at the start of each year, currency units.
    labels : tuple of str
        Portfolio names (e.g. "vol 8.0 %").
    """

    initial_wealth: float
    goal: float
    years: int
    log_mean: FloatArray
    log_vol: FloatArray
    cash_flows: FloatArray
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.initial_wealth <= 0 or self.goal <= 0 or self.years < 1:
            raise ParameterError(
                "The DP needs initial_wealth > 0, goal > 0 and years >= 1; got "
                f"{self.initial_wealth}, {self.goal}, {self.years}.", field="GoalDPProblem")
        m = len(self.log_mean)
        if m == 0 or np.shape(self.log_vol) != (m,) or (np.asarray(self.log_vol) <= 0).any():
            raise ParameterError("log_mean and log_vol must be two arrays of the same length "
                                 "with positive volatilities.", field="log_vol")
        if np.shape(self.cash_flows) != (self.years,):
            raise ParameterError(f"cash_flows must have one entry per year ({self.years}).",
                                 field="cash_flows", value=np.shape(self.cash_flows))

    @classmethod
    def from_gbm(cls, mu: FloatArray, sigma: FloatArray, **kw: object) -> GoalDPProblem:
        """Portfolios as geometric Brownian motions with drift ``mu`` and volatility
        ``sigma`` (the paper's convention): ``m = mu - sigma²/2``, ``s = sigma``."""
        mu, sigma = np.asarray(mu, float), np.asarray(sigma, float)
        return cls(log_mean=mu - sigma**2 / 2, log_vol=sigma, **kw)

    @classmethod
    def from_arithmetic(cls, mu: FloatArray, sigma: FloatArray, *, deduct: float = 0.0,
                        **kw: object) -> GoalDPProblem:
        """Portfolios with arithmetic annual mean ``mu`` and volatility ``sigma`` (lognormal
        with exactly these moments); ``deduct`` is subtracted from every log mean (e.g.
        ``ln(1 + inflation)`` for a real problem plus fees)."""
        mu, sigma = np.asarray(mu, float), np.asarray(sigma, float)
        s2 = np.log1p(sigma**2 / (1 + mu) ** 2)
        return cls(log_mean=np.log1p(mu) - s2 / 2 - deduct, log_vol=np.sqrt(s2),
                   **kw)

    @property
    def n_portfolios(self) -> int:
        return len(self.log_mean)


@dataclass(frozen=True)
class GoalDPPolicy:
    """Solution of a :class:`GoalDPProblem`.

    Attributes
    ----------
    problem : GoalDPProblem
    wealth_grid : ndarray (n_grid,)
        Log-spaced wealth levels, currency units.
    policy : ndarray (years, n_grid) of int
        Index of the portfolio to hold in year ``t`` with wealth ``wealth_grid[i]`` before
        the year's cash flow.
    value : ndarray (years + 1, n_grid)
        Probability of reaching the goal from each state under the optimal policy.
    probability : float
        ``value[0]`` at the initial wealth (interpolated in log wealth).
    static_probabilities : ndarray (m,)
        Each portfolio held every year, same grid and integration.
    """

    problem: GoalDPProblem
    wealth_grid: FloatArray
    policy: IntArray
    value: FloatArray
    probability: float
    static_probabilities: FloatArray

    def action(self, year: int, wealth: FloatArray) -> IntArray:
        """Portfolio index for ``wealth`` (ndarray) in ``year``: the policy at the nearest grid
        point in log wealth."""
        return self.policy[year, _cell_of(self.wealth_grid, wealth)]

    def policy_table(self, labels: bool = True) -> pd.DataFrame:
        """The policy as a table: rows wealth levels, columns years, entries portfolio
        (label or index)."""
        p = self.policy.T
        data = np.asarray(self.problem.labels, dtype=object)[p] if (
            labels and self.problem.labels) else p
        return pd.DataFrame(data, index=pd.Index(np.round(self.wealth_grid, 2), name="wealth"),
                            columns=pd.RangeIndex(self.problem.years, name="year"))


def _cell_of(grid: FloatArray, wealth: FloatArray) -> IntArray:
    lg = np.log(grid)
    mids = (lg[1:] + lg[:-1]) / 2
    w = np.maximum(np.asarray(wealth, float), 1e-300)
    return np.searchsorted(mids, np.log(w))


def wealth_grid(problem: GoalDPProblem, n_grid: int | None = None) -> FloatArray:
    """Log-spaced grid from a hundredth of the smallest relevant amount (today's wealth, the
    goal, the smallest withdrawal) to ten times the largest (today's wealth plus every
    infusion, the goal, every withdrawal together). Beyond the ends the value is held constant
    (≈ 0 below, ≈ 1 above), so the grid's points are spent where the value changes."""
    pr = problem
    flows = np.asarray(pr.cash_flows, float)
    out = -flows[flows < 0]
    small = max(pr.goal, float(out.min())) if len(out) else pr.goal
    lo = 1e-2 * min(pr.initial_wealth, small)
    hi = 10.0 * max(pr.initial_wealth + float(flows[flows > 0].sum()), pr.goal,
                    float(out.sum()) if len(out) else 0.0)
    if n_grid is None:
        step = float(np.min(pr.log_vol)) / GRID_POINTS_PER_SIGMA
        n_grid = int(np.clip(np.log(hi / lo) / step, MIN_GRID_POINTS, MAX_GRID_POINTS))
    return np.exp(np.linspace(np.log(lo), np.log(hi), n_grid))


TAIL_SIGMAS = 10.0
"""Beyond this many standard deviations from its mean a normal's mass (``Φ(−10) ≈ 7.6e-24``)
is below double precision next to the values (probabilities in [0, 1]): :func:`_transition`
integrates each row only over the grid intervals within this band and gives the two
negligible tails to the band's end nodes."""


def _transition(lg: FloatArray, mu: FloatArray, s: float) -> tuple[IntArray, FloatArray]:
    """Weights with ``E[V(X_i)] = sum_w weights[i, w] V[nodes[i, w]]`` for ``X_i ~ N(mu_i, s²)``
    and ``V`` linear in between the log-wealth nodes ``lg`` (constant outside).

    Each row is integrated over the nodes within :data:`TAIL_SIGMAS` standard deviations of
    its mean, one band width for every row (so the work is one array operation over
    ``(len(mu), band)`` instead of ``(len(mu), len(lg))``); the mass beyond the band goes to its
    end nodes (the exact tail when the band ends at the grid's end, else below 1e-23). When
    the band is as wide as the grid, every row is integrated on every node.

    Parameters
    ----------
    lg : ndarray (n,)
        Increasing log-wealth nodes.
    mu : ndarray (k,)
        Increasing means (the grid's wealth plus one cash flow, in log, plus a constant).
    s : float

    Returns
    -------
    nodes : ndarray (k, w) of int
        Each row's nodes, consecutive.
    weights : ndarray (k, w)
    """
    n = len(lg)
    lo = np.searchsorted(lg, mu - TAIL_SIGMAS * s, side="right") - 1
    hi = np.searchsorted(lg, mu + TAIL_SIGMAS * s, side="left")
    width = min(int(np.max(hi - lo)) + 1, n) if len(mu) else n
    first = np.clip(lo, 0, n - width)  # (k,)
    nodes = first[:, None] + np.arange(width)[None, :]  # (k, width)
    return nodes, _transition_rows(lg[nodes], np.diff(lg)[nodes[:, :-1]], mu, s)


def _transition_rows(x: FloatArray, h: FloatArray, mu: FloatArray, s: float) -> FloatArray:
    """The weights of row ``i`` on its nodes ``x[i]`` (ndarray (k, w); gaps ``h`` (k, w − 1)),
    the mass below the first node and above the last given to them.

    On the interval ``[x_j, x_{j+1})`` of width ``h``: ``E[V 1] = V_j (P - M) + V_{j+1} M`` with
    ``P`` its probability and ``M = E[(X - x_j) 1] / h = ((mu - x_j) P + s (φ(α) - φ(β))) / h``.
    """
    z = (x - mu[:, None]) / s  # (k, w)
    cdf = ndtr(z)
    pdf = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
    p = cdf[:, 1:] - cdf[:, :-1]
    m = ((mu[:, None] - x[:, :-1]) * p + s * (pdf[:, :-1] - pdf[:, 1:])) / h
    out = np.zeros_like(z)
    out[:, :-1] += p - m
    out[:, 1:] += m
    out[:, 0] += cdf[:, 0]
    out[:, -1] += 1.0 - cdf[:, -1]
    return out


def _bellman(problem: GoalDPProblem, grid: FloatArray
             ) -> tuple[IntArray, FloatArray, FloatArray]:
    """Optimal policy and value, and the value of every static portfolio, in one sweep (each
    transition matrix is computed once and used for all of them).

    Returns
    -------
    policy : ndarray (T, n_grid) of int
    value : ndarray (T + 1, n_grid)
    static_value : ndarray (m, T + 1, n_grid)
    """
    pr = problem
    n, m = len(grid), pr.n_portfolios
    lg = np.log(grid)
    value = np.zeros((pr.years + 1, n))
    value[-1] = (grid >= pr.goal).astype(float)
    static = np.zeros((m, pr.years + 1, n))
    static[:, -1] = value[-1]
    policy = np.zeros((pr.years, n), dtype=np.int64)
    cache: dict[tuple[float, int], tuple[IntArray, FloatArray]] = {}
    ev = np.zeros((m, n))
    for t in range(pr.years - 1, -1, -1):
        start = grid + pr.cash_flows[t]
        alive = start > 0
        last = t == pr.years - 1
        ev[:] = 0.0
        if alive.any():
            log_start = np.log(start[alive])
            for k in range(m):
                mu = log_start + pr.log_mean[k]
                if last:  # exact normal tail at the goal
                    ev[k, alive] = ndtr((mu - np.log(pr.goal)) / pr.log_vol[k])
                    static[k, t, alive] = ev[k, alive]
                    continue
                key = (float(pr.cash_flows[t]), k)
                if key not in cache:  # the weights depend only on (cash flow, k)
                    cache[key] = _transition(lg, mu, pr.log_vol[k])
                nodes, weights = cache[key]
                ev[k, alive] = np.einsum("iw,iw->i", weights, value[t + 1][nodes])
                static[k, t, alive] = np.einsum("iw,iw->i", weights, static[k, t + 1][nodes])
        best = np.full(n, -1.0)
        arg = np.zeros(n, dtype=np.int64)
        for k in range(m):
            better = ev[k] > best + 1e-15
            best = np.where(better, ev[k], best)
            arg = np.where(better, k, arg)
        value[t] = np.maximum(best, 0.0)
        policy[t] = arg
        if len(cache) > 4 * m:  # distinct cash flows every year: keep memory bounded
            cache.clear()
    return policy, value, static


def _at_initial(grid: FloatArray, v0: FloatArray, w0: float) -> float:
    return float(np.interp(np.log(w0), np.log(grid), v0))


def solve_goal_dp(problem: GoalDPProblem, n_grid: int | None = None) -> GoalDPPolicy:
    """Solve the dynamic programme: the policy maximising P(W_T >= G).

    Parameters
    ----------
    problem : GoalDPProblem
    n_grid : int, optional
        Wealth-grid points (default: sized to the smallest volatility, see
        :data:`GRID_POINTS_PER_SIGMA`).

    Returns
    -------
    GoalDPPolicy
        Also carries ``static_probabilities``: each portfolio held throughout, evaluated on
        the same grid with the same transition matrices (so the DP is never below them).
    """
    grid = wealth_grid(problem, n_grid)
    with single_threaded_blas():
        policy, value, static = _bellman(problem, grid)
    w0 = problem.initial_wealth
    return GoalDPPolicy(problem, grid, policy, value, _at_initial(grid, value[0], w0),
                        np.array([_at_initial(grid, static[k, 0], w0)
                                  for k in range(problem.n_portfolios)]))


def static_probability(problem: GoalDPProblem, k: int, n_grid: int | None = None) -> float:
    """Probability of reaching the goal holding portfolio ``k`` every year, on the DP's grid."""
    return float(solve_goal_dp(problem, n_grid).static_probabilities[k])


def static_probability_closed_form(problem: GoalDPProblem, k: int) -> float:
    """Exact P(W_T >= G) for portfolio ``k`` held throughout, without cash flows:
    ``Φ((T m_k − ln(G/W_0)) / (s_k √T))``.

    Raises
    ------
    ParameterError
        When the problem has cash flows.
    """
    if np.any(problem.cash_flows != 0):
        raise ParameterError("The closed form holds only without cash flows.",
                             field="cash_flows")
    t = problem.years
    return float(ndtr((t * problem.log_mean[k] - np.log(problem.goal / problem.initial_wealth))
                      / (problem.log_vol[k] * np.sqrt(t))))


def simulate_policy(policy: GoalDPPolicy, n_paths: int = 100_000, seed: int = 0,
                    static: int | None = None) -> tuple[float, float]:
    """Forward simulation of the DP policy (or of static portfolio ``static``) on the
    simulator core (:func:`tailorfolio.simulate._core.simulate_portfolio`, annual steps, the
    policy as a callback holding one portfolio per path).

    Returns
    -------
    probability, standard_error : float
    """
    pr = policy.problem
    m = pr.n_portfolios
    # The DP's world as a one-factor model with annual steps: portfolio k grows by
    # exp(m_k + s_k Z), every portfolio driven by the same Z; no inflation (last entry).
    world = FactorModel(tuple(f"portfolio {k}" for k in range(m)),
                        GaussianFactors(np.append(pr.log_mean, 0.0),
                                        np.append(pr.log_vol, 0.0)[None, :]),
                        name="goal DP portfolios")

    def hold_one(t: int, wealth: FloatArray) -> IntArray:
        # One portfolio index per path: the core gathers each path's growth (building
        # (m, paths) one-hot weights cost more than the simulation itself at 100k paths).
        return (np.full(wealth.shape, static, dtype=np.intp) if static is not None
                else policy.action(t, wealth))

    paths = simulate_portfolio(world, pr.years, policy=hold_one,
                               initial_wealth=pr.initial_wealth,
                               cash_flows=np.asarray(pr.cash_flows, float),
                               cash_flows_real=False, rebalance_every=1,
                               record_every=pr.years, n_paths=n_paths, seed=seed)
    return paths.probability(paths.alive & (paths.final_wealth >= pr.goal))


def browne_upper_bound(problem: GoalDPProblem) -> float:
    """Upper bound on any strategy's probability without cash flows (Browne 1999, "Reaching
    goals by a deadline"): with a riskless asset at rate 0 and continuous trading in a
    portfolio of Sharpe ratio λ, the maximum probability is ``Φ(Φ⁻¹(W_0/G) + λ√T)``.

    Each candidate portfolio's drift ``m_k + s_k²/2`` is at most ``λ s_k`` with
    ``λ = max_k (m_k + s_k²/2) / s_k``, so a continuous-time investor holding cash and that
    portfolio can do at least as well as the yearly DP; the bound therefore holds for the DP.
    """
    from scipy.stats import norm

    if np.any(problem.cash_flows != 0):
        raise ParameterError("The bound is stated without cash flows.", field="cash_flows")
    if problem.initial_wealth >= problem.goal:
        return 1.0
    drift = problem.log_mean + problem.log_vol**2 / 2
    lam = float(np.max(drift / problem.log_vol))
    return float(norm.cdf(norm.ppf(problem.initial_wealth / problem.goal)
                          + lam * np.sqrt(problem.years)))


# --------------------------------------------------------------------------- base case

DAS_BASE_CASE_ASSETS = {
    "means": (0.0493, 0.0886, 0.0770),
    "vols": (0.0417, 0.1980, 0.1990),
    "correlations": ((1.0, -0.206, -0.253), (-0.206, 1.0, 0.783), (-0.253, 0.783, 1.0)),
}
"""US bonds, US stocks, international stocks 1998–2017 as used by Das et al. (2019): means and
volatilities as given in /work/shared/reference/planning-methods.md §3.6; correlations implied
by the paper's covariance matrix (−0.0017, −0.0021, 0.0309 for the three pairs), recalled from
the paper and to be checked against it."""


def efficient_frontier_coefficients(means: FloatArray, cov: FloatArray
                                    ) -> tuple[float, float, float]:
    """``a, b, c`` of the unconstrained mean-variance frontier ``σ² = aμ² + bμ + c``."""
    inv = np.linalg.inv(cov)
    one = np.ones(len(means))
    a_ = one @ inv @ one
    b_ = one @ inv @ means
    c_ = means @ inv @ means
    d = a_ * c_ - b_**2
    return float(a_ / d), float(-2 * b_ / d), float(c_ / d)


def das_base_case(n_portfolios: int = 15) -> GoalDPProblem:
    """The paper's base case: W₀ = 100, G = 200, T = 10 years, no cash flows, ``m`` = 15
    frontier portfolios with μ from 0.0526 to 0.0886 and σ = √(aμ² + bμ + c)."""
    means = np.array(DAS_BASE_CASE_ASSETS["means"])
    vols = np.array(DAS_BASE_CASE_ASSETS["vols"])
    cov = np.array(DAS_BASE_CASE_ASSETS["correlations"]) * np.outer(vols, vols)
    a, b, c = efficient_frontier_coefficients(means, cov)
    mu = np.linspace(0.0526, 0.0886, n_portfolios)
    sigma = np.sqrt(a * mu**2 + b * mu + c)
    return GoalDPProblem.from_gbm(mu, sigma, initial_wealth=100.0, goal=200.0, years=10,
                                  cash_flows=np.zeros(10),
                                  labels=tuple(f"mu {x:.2%}" for x in mu))
