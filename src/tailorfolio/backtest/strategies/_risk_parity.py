"""Equal risk contribution (risk parity) portfolios.

Solved by cyclical coordinate descent on the convex problem
min ½ yᵀΣy − Σ b_i ln y_i, y > 0, then w = y / Σy (Griveau-Billion, Richard & Roncalli 2013);
at the optimum every asset's risk contribution w_i (Σw)_i equals b_i times the variance.
"""

from __future__ import annotations

import numpy as np

from tailorfolio.backtest._history import HistoryView
from tailorfolio.backtest._strategy import Strategy
from tailorfolio.errors import SolverError
from tailorfolio.estimate._covariance import CovarianceEstimator
from tailorfolio.typing import FloatArray


def risk_parity_weights(cov: FloatArray, budgets: FloatArray | None = None, *,
                        tol: float = 1e-12, max_iter: int = 10_000) -> FloatArray:
    """Weights whose risk contributions are proportional to ``budgets`` (equal by default).

    Parameters
    ----------
    cov : ndarray of shape (n, n)
        Positive definite covariance.
    budgets : ndarray of shape (n,), optional
        Positive risk budgets (normalised to sum to 1).

    Raises
    ------
    SolverError
        If the iteration does not converge.
    """
    cov = np.asarray(cov, float)
    n = cov.shape[0]
    b = np.full(n, 1.0 / n) if budgets is None else np.asarray(budgets, float) / np.sum(budgets)
    diag = np.diag(cov)
    y = 1.0 / np.sqrt(diag)
    y = y / np.sqrt(y @ cov @ y)
    for _ in range(max_iter):
        prev = y.copy()
        for i in range(n):
            c = cov[i] @ y - diag[i] * y[i]
            y[i] = (-c + np.sqrt(c * c + 4.0 * diag[i] * b[i])) / (2.0 * diag[i])
        if np.max(np.abs(y - prev)) <= tol * np.max(np.abs(y)):
            return y / y.sum()
    raise SolverError("Risk parity did not converge.", field="covariance",
                      fix="check the covariance is positive definite")


class RiskParity(Strategy):
    """Equal risk contribution on a trailing Ledoit–Wolf covariance.

    Parameters
    ----------
    window : int
    """

    def __init__(self, *, window: int = 120) -> None:
        self.window = window
        self.name = "risk parity (ERC)"
        self.min_history = window

    def target_weights(self, history: HistoryView) -> np.ndarray:
        cov = CovarianceEstimator(method="ledoit_wolf", periods_per_year=history.periods_per_year
                                  ).fit(history.window(self.window)).covariance_.to_numpy()
        return risk_parity_weights(cov)
