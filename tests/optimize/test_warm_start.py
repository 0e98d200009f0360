"""A PortfolioOptimizer re-solving one structure starts from its last active set: the
answers are the fresh optimizer's (the kernel verifies any start), only cheaper."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from tailorfolio.optimize import GroupBound, Objective, PortfolioOptimizer, unconstrained
from tailorfolio.optimize._optimizer import WARM_STARTS


def _problem(n: int = 16, seed: int = 3):
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 0.12, (n, 3))
    cov = a @ a.T + np.diag(rng.uniform(0.01, 0.06, n) ** 2)
    mu = 0.02 + 0.5 * np.sqrt(np.diag(cov)) * rng.uniform(0.3, 1.0, n)
    tickers = [f"A{i:02d}" for i in range(n)]
    bond = np.zeros(n)
    bond[: n // 3] = 1.0
    cs = dataclasses.replace(unconstrained(tickers), upper=np.full(n, 0.25),
                             groups=(GroupBound("bond", "broad_class", bond, 0.3, 1.0),))
    return (pd.Series(mu, index=tickers), pd.DataFrame(cov, index=tickers, columns=tickers),
            cs)


def test_a_warm_re_solve_gives_the_fresh_answer() -> None:
    mu, cov, cs = _problem()
    warm = PortfolioOptimizer()
    for gamma in (1.0, 2.0, 3.0, 8.0, 0.5, 3.0):
        got = warm.optimize(mu, cov, cs, risk_aversion=gamma)
        fresh = PortfolioOptimizer().optimize(mu, cov, cs, risk_aversion=gamma)
        np.testing.assert_allclose(got.weights.to_numpy(), fresh.weights.to_numpy(),
                                   atol=1e-10)
        assert got.kkt.satisfied
    for objective in (Objective.MIN_VARIANCE, Objective.MAX_SHARPE):
        for shift in (0.0, 0.01, -0.01):
            got = warm.optimize(mu + shift, cov, cs, objective=objective)
            fresh = PortfolioOptimizer().optimize(mu + shift, cov, cs, objective=objective)
            np.testing.assert_allclose(got.weights.to_numpy(), fresh.weights.to_numpy(),
                                       atol=1e-9)


def test_warm_starts_are_bounded() -> None:
    opt = PortfolioOptimizer()
    for n in range(8, 8 + WARM_STARTS + 5):
        mu, cov, cs = _problem(n)
        opt.optimize(mu, cov, cs, risk_aversion=3.0)
    assert len(opt._warm) == WARM_STARTS


def test_a_warm_re_solve_under_a_binding_ceiling_gives_the_fresh_answer() -> None:
    """A binding ceiling's answer does not depend on the risk aversion (it only rescales
    the path's t), so the neighbour's face holds it: one face, the fresh answer; and a
    start whose face does not hold it (other returns, a lower ceiling, a plain face) still
    gives the fresh answer by the usual way."""
    mu, cov, cs = _problem()
    free_vol = PortfolioOptimizer().optimize(mu, cov, cs, risk_aversion=3.0).volatility
    warm = PortfolioOptimizer()
    cases = [(0.8, 3.3, 0.0), (0.8, 3.0, 0.0), (0.8, 3.0, 0.02), (0.6, 3.0, 0.0),
             (0.6, 30.0, 0.0), (1.2, 3.0, 0.0), (0.8, 3.0, -0.01)]
    for frac, gamma, shift in cases:
        capped = dataclasses.replace(cs, max_volatility=frac * free_vol)
        got = warm.optimize(mu + shift, cov, capped, risk_aversion=gamma)
        fresh = PortfolioOptimizer().optimize(mu + shift, cov, capped, risk_aversion=gamma)
        np.testing.assert_allclose(got.weights.to_numpy(), fresh.weights.to_numpy(),
                                   atol=1e-9)
        assert got.kkt.satisfied
        assert got.volatility <= capped.max_volatility * (1 + 1e-9)
    # the same ceiling at another risk aversion: the warm face is the answer's own
    capped = dataclasses.replace(cs, max_volatility=0.8 * free_vol)
    warm.optimize(mu, cov, capped, risk_aversion=3.3)
    again = warm.optimize(mu, cov, capped, risk_aversion=3.0)
    assert again.kkt.iterations == 1


def test_a_warm_max_sharpe_on_its_own_face_is_one_face() -> None:
    mu, cov, cs = _problem()
    warm = PortfolioOptimizer()
    warm.optimize(mu * 1.1, cov, cs, objective=Objective.MAX_SHARPE)
    got = warm.optimize(mu, cov, cs, objective=Objective.MAX_SHARPE)
    fresh = PortfolioOptimizer().optimize(mu, cov, cs, objective=Objective.MAX_SHARPE)
    np.testing.assert_allclose(got.weights.to_numpy(), fresh.weights.to_numpy(), atol=1e-9)
    assert got.kkt.satisfied and got.kkt.iterations == 1
