"""Hierarchical Risk Parity (López de Prado 2016, J. Portfolio Management 42(4):59–69).

Steps, as in the paper: (1) correlation distance d_ij = √(½(1 − ρ_ij)); (2) Euclidean distance
between the columns of d, clustered by single linkage; (3) quasi-diagonalisation: assets put in
the dendrogram's leaf order; (4) recursive bisection: each cluster is split in two halves of
that order and weight is divided in inverse proportion to the halves' variances, each half's
variance being that of its inverse-variance portfolio.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import squareform

from tailorfolio.backtest._history import HistoryView
from tailorfolio.backtest._strategy import Strategy
from tailorfolio.estimate._covariance import CovarianceEstimator
from tailorfolio.typing import FloatArray


def _cluster_variance(cov: FloatArray, members: list[int]) -> float:
    sub = cov[np.ix_(members, members)]
    ivp = 1.0 / np.diag(sub)
    ivp = ivp / ivp.sum()
    return float(ivp @ sub @ ivp)


def hrp_weights(cov: FloatArray, *, linkage_method: str = "single",
                distance_of_distance: bool = True) -> FloatArray:
    """HRP weights for a covariance matrix.

    Parameters
    ----------
    cov : ndarray of shape (n, n)
        Covariance (any scale); need not be invertible.
    linkage_method : str
        scipy linkage method (``single`` in the paper).
    distance_of_distance : bool
        Cluster on the Euclidean distance between columns of the correlation-distance matrix,
        as the paper's code does (True), or on the correlation distance itself (False, the
        choice of PyPortfolioOpt's ``HRPOpt``).

    Returns
    -------
    ndarray of shape (n,)
        Positive weights summing to 1.
    """
    cov = np.asarray(cov, float)
    n = cov.shape[0]
    if n == 1:
        return np.ones(1)
    sd = np.sqrt(np.diag(cov))
    corr = np.clip(cov / np.outer(sd, sd), -1.0, 1.0)
    dist = np.sqrt(np.maximum(0.5 * (1.0 - corr), 0.0))
    if distance_of_distance:
        dist = np.sqrt(np.maximum(((dist[:, None, :] - dist[None, :, :]) ** 2).sum(axis=-1),
                                  0.0))
    np.fill_diagonal(dist, 0.0)
    link = linkage(squareform(dist, checks=False), method=linkage_method)
    order = [int(i) for i in leaves_list(link)]
    w = np.ones(n)
    clusters = [order]
    while clusters:
        nxt = []
        for c in clusters:
            if len(c) < 2:
                continue
            half = len(c) // 2
            left, right = c[:half], c[half:]
            v_left, v_right = _cluster_variance(cov, left), _cluster_variance(cov, right)
            alpha = 1.0 - v_left / (v_left + v_right)
            w[left] *= alpha
            w[right] *= 1.0 - alpha
            nxt += [left, right]
        clusters = nxt
    return w / w.sum()


class HierarchicalRiskParity(Strategy):
    """HRP on a trailing sample covariance (the paper's choice).

    Parameters
    ----------
    window : int
    covariance : str
        Covariance method of :class:`CovarianceEstimator` (``sample`` as in the paper).
    linkage_method : str
    """

    def __init__(self, *, window: int = 120, covariance: str = "sample",
                 linkage_method: str = "single") -> None:
        self.window = window
        self.covariance = covariance
        self.linkage_method = linkage_method
        self.name = "HRP"
        self.min_history = window

    def target_weights(self, history: HistoryView) -> np.ndarray:
        cov = CovarianceEstimator(method=self.covariance, periods_per_year=history.periods_per_year
                                  ).fit(history.window(self.window)).covariance_.to_numpy()
        return hrp_weights(cov, linkage_method=self.linkage_method)
