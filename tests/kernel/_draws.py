"""Random problem pieces shared by the kernel's property tests."""

from __future__ import annotations

import numpy as np


def correlated_covariance(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A full-rank covariance (n, n) with a random correlation and volatilities in
    [5 %, 30 %]; returns (covariance, volatilities)."""
    a = rng.normal(size=(n, n + 3))
    vol = rng.uniform(0.05, 0.3, n)
    c = a @ a.T
    d = np.sqrt(np.diag(c))
    return c / np.outer(d, d) * np.outer(vol, vol), vol


def exclusions_and_band(rng: np.random.Generator, n: int, upper: np.ndarray, exclude: bool,
                        band_share: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Exclude ~20 % of the assets (never the first) when ``exclude``; a class of ~40 % of
    the assets (the first always in) with a minimum of up to ``band_share`` of what its
    caps allow. Returns (upper, members, class minimum); upper is a new array."""
    upper = upper.copy()
    excluded = rng.uniform(size=n) < (0.2 if exclude else 0.0)
    excluded[0] = False
    upper[excluded] = 0.0
    members = (rng.uniform(size=n) < 0.4).astype(float)
    members[0] = 1.0
    band_lo = float(rng.uniform(0.0, band_share) * min(1.0, members @ upper))
    return upper, members, band_lo
