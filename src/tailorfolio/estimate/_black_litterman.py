"""Black–Litterman: blend equilibrium returns with absolute and relative views.

The posterior follows He & Litterman (1999):

    μ_BL = π + τΣPᵀ (PτΣPᵀ + Ω)⁻¹ (Q − Pπ)
    Σ_BL = Σ + τΣ − τΣPᵀ (PτΣPᵀ + Ω)⁻¹ PτΣ

Each view's uncertainty Ω_kk comes from its *confidence* c ∈ (0, 1] as
Ω_kk = (1 − c)/c · p_k τΣ p_kᵀ, so c = 0.5 gives the view the same weight as the prior and
c → 1 makes it certain (the mapping used by Idzorek's method, in closed form). A view may give
Ω_kk directly instead (``variance``), as the ML forecasts do from their measured error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tailorfolio.errors import MissingAssetsError, ParameterError


@dataclass(frozen=True)
class View:
    """One investor view.

    Attributes
    ----------
    weights : dict of str to float
        The view portfolio: ``{"VTI": 1}`` (absolute) or ``{"VEA": 1, "VTI": -1}`` (relative).
    expected_return : float
        Annual expected return of the view portfolio, decimal.
    confidence : float
        In (0, 1]; ignored when ``variance`` is given.
    variance : float, optional
        Ω_kk directly, annual decimal².
    label : str
    """

    weights: dict[str, float]
    expected_return: float
    confidence: float = 0.5
    variance: float | None = None
    label: str = ""

    @classmethod
    def absolute(cls, asset: str, expected_return: float, confidence: float = 0.5) -> View:
        """"``asset`` will return ``expected_return`` a year"."""
        return cls({asset: 1.0}, expected_return, confidence,
                   label=f"{asset} returns {expected_return:.2%}")

    @classmethod
    def relative(cls, long: str, short: str, outperformance: float,
                 confidence: float = 0.5) -> View:
        """"``long`` will beat ``short`` by ``outperformance`` a year"."""
        return cls({long: 1.0, short: -1.0}, outperformance, confidence,
                   label=f"{long} beats {short} by {outperformance:.2%}")


@dataclass(frozen=True)
class BlackLittermanResult:
    """Posterior moments.

    Attributes
    ----------
    expected_return : Series of shape (n,)
        Posterior annual expected returns.
    covariance : DataFrame of shape (n, n)
        Posterior annual covariance.
    prior : Series of shape (n,)
    views : tuple of View
    """

    expected_return: pd.Series
    covariance: pd.DataFrame
    prior: pd.Series
    views: tuple[View, ...] = field(default_factory=tuple)


def black_litterman(
    prior: pd.Series,
    covariance: pd.DataFrame,
    views: list[View] | tuple[View, ...],
    *,
    tau: float = 0.05,
) -> BlackLittermanResult:
    """Combine the ``prior`` (usually equilibrium returns) with ``views``.

    Parameters
    ----------
    prior : Series of shape (n,)
    covariance : DataFrame of shape (n, n)
    views : sequence of View
    tau : float
        Scales the prior's uncertainty, > 0 (0.025–0.05 is usual).

    Raises
    ------
    ParameterError
        On a confidence outside (0, 1], tau ≤ 0 or an empty view.
    MissingAssetsError
        When a view names an asset not in ``covariance``.
    """
    if tau <= 0:
        raise ParameterError(f"The 'tau' parameter must be > 0. Got {tau}.", field="tau",
                             value=tau)
    tickers = list(covariance.index)
    sigma = covariance.to_numpy(float)
    pi = prior.reindex(tickers).to_numpy(float)
    if not views:
        return BlackLittermanResult(pd.Series(pi, index=tickers), covariance.copy(), prior, ())
    p = np.zeros((len(views), len(tickers)))
    q = np.zeros(len(views))
    omega = np.zeros(len(views))
    ts = tau * sigma
    for k, view in enumerate(views):
        missing = [a for a in view.weights if a not in tickers]
        if missing:
            raise MissingAssetsError(
                f"View {k} ({view.label or view.weights}) names {missing}, not in the universe.",
                missing=missing, field=f"views[{k}].weights",
                fix="use tickers of the universe",
            )
        if not view.weights or all(v == 0 for v in view.weights.values()):
            raise ParameterError(f"View {k} has no asset weights.", field=f"views[{k}]")
        for a, wgt in view.weights.items():
            p[k, tickers.index(a)] = wgt
        q[k] = view.expected_return
        base = float(p[k] @ ts @ p[k])
        if view.variance is not None:
            if view.variance <= 0:
                raise ParameterError(f"View {k}: variance must be > 0.",
                                     field=f"views[{k}].variance", value=view.variance)
            omega[k] = view.variance
        else:
            c = view.confidence
            if not 0 < c <= 1:
                raise ParameterError(
                    f"View {k}: confidence must be in (0, 1]. Got {c}.",
                    field=f"views[{k}].confidence", value=c,
                    fix="use e.g. 0.5 for a view as strong as the market prior",
                )
            omega[k] = max(base * (1.0 - c) / c, 1e-12 * base + 1e-16)
    middle = p @ ts @ p.T + np.diag(omega)
    gain = ts @ p.T @ np.linalg.solve(middle, np.eye(len(views)))
    mu = pi + gain @ (q - p @ pi)
    post_cov = sigma + ts - gain @ p @ ts
    post_cov = (post_cov + post_cov.T) / 2
    return BlackLittermanResult(
        pd.Series(mu, index=tickers),
        pd.DataFrame(post_cov, index=tickers, columns=tickers),
        prior.reindex(tickers),
        tuple(views),
    )
