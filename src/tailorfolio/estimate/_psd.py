"""Positive-definite repair of covariance and correlation matrices.

Every estimate handed to the optimizer must be symmetric positive definite. When it is not
(a hand-written correlation table, a short sample, numerical noise), these functions return
the repaired matrix *and* a report of how much it changed, which the plan records as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.typing import FloatArray

MIN_EIGENVALUE_RATIO = 1e-8
"""Smallest eigenvalue kept, relative to the largest (keeps Cholesky stable)."""


@dataclass(frozen=True)
class RepairReport:
    """What a repair did.

    Attributes
    ----------
    repaired : bool
        Whether the matrix was changed.
    min_eigenvalue_before : float
        Smallest eigenvalue of the symmetrised input.
    max_abs_change : float
        Largest absolute change of any entry.
    method : str
    """

    repaired: bool
    min_eigenvalue_before: float
    max_abs_change: float
    method: str

    def warning(self, what: str) -> str | None:
        """A one-line warning for the plan, or None when nothing was repaired."""
        if not self.repaired:
            return None
        return (
            f"The {what} was not positive definite (smallest eigenvalue "
            f"{self.min_eigenvalue_before:.3g}); it was repaired by {self.method}, changing no "
            f"entry by more than {self.max_abs_change:.3g}."
        )


def _clip_eigenvalues(a: FloatArray, floor: float) -> FloatArray:
    vals, vecs = np.linalg.eigh(a)
    vals = np.maximum(vals, floor)
    out = (vecs * vals) @ vecs.T
    return np.asarray((out + out.T) / 2, dtype=np.float64)


def nearest_correlation(
    corr: FloatArray, *, max_iter: int = 200, tol: float = 1e-10
) -> tuple[FloatArray, RepairReport]:
    """Nearest correlation matrix (unit diagonal, positive definite) in Frobenius norm.

    Higham's (2002) alternating projections with Dykstra's correction, followed by a small
    eigenvalue floor so the result is strictly positive definite.

    Parameters
    ----------
    corr : ndarray of shape (n, n)
        Symmetric matrix with unit diagonal (asymmetry is averaged away).

    Returns
    -------
    repaired : ndarray of shape (n, n)
    report : RepairReport
    """
    a = np.asarray(corr, dtype=np.float64)
    a = (a + a.T) / 2
    min_eig = float(np.linalg.eigvalsh(a)[0])
    floor = MIN_EIGENVALUE_RATIO * max(1.0, float(np.abs(a).max()))
    if min_eig > floor:
        return a, RepairReport(False, min_eig, 0.0, "none")
    y = a.copy()
    ds = np.zeros_like(a)
    for _ in range(max_iter):
        r = y - ds
        x = _clip_eigenvalues(r, 0.0)
        ds = x - r
        y_new = x.copy()
        np.fill_diagonal(y_new, 1.0)
        if np.linalg.norm(y_new - y, "fro") < tol:
            y = y_new
            break
        y = y_new
    y = _clip_eigenvalues(y, 1e-6)
    d = np.sqrt(np.diag(y))
    y = y / np.outer(d, d)
    report = RepairReport(True, min_eig, float(np.abs(y - a).max()), "Higham nearest correlation")
    return y, report


def repair_covariance(cov: FloatArray) -> tuple[FloatArray, RepairReport]:
    """Repair a covariance matrix by repairing its correlation and keeping the variances.

    Parameters
    ----------
    cov : ndarray of shape (n, n)
        Symmetric with positive diagonal (annualised or per-period, unit unchanged).

    Returns
    -------
    repaired : ndarray of shape (n, n)
    report : RepairReport
    """
    c = np.asarray(cov, dtype=np.float64)
    c = (c + c.T) / 2
    sd = np.sqrt(np.clip(np.diag(c), 1e-16, None))
    corr = c / np.outer(sd, sd)
    np.fill_diagonal(corr, 1.0)
    min_eig = float(np.linalg.eigvalsh(c)[0])
    fixed_corr, rep = nearest_correlation(corr)
    if not rep.repaired and min_eig > MIN_EIGENVALUE_RATIO * float(np.abs(c).max()):
        return c, RepairReport(False, min_eig, 0.0, "none")
    out = fixed_corr * np.outer(sd, sd)
    return out, RepairReport(True, min_eig, float(np.abs(out - c).max()), rep.method)
