"""Checks of the optimizer's public arguments, at the boundary.

Every check raises a typed error (:class:`~tailorfolio.errors.ParameterError` for a wrong
argument, :class:`~tailorfolio.errors.DataError` for bad estimates,
:class:`~tailorfolio.errors.InfeasibleError` for bounds that conflict by arithmetic alone)
naming the argument, the value (truncated), what was expected and the fix, so nothing reaches
the solver as a list, a NaN, an asymmetric or indefinite matrix or an empty universe.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pandas as pd

from tailorfolio.errors import (
    ConstraintConflict,
    DataError,
    InfeasibleError,
    MissingAssetsError,
    ParameterError,
)
from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.typing import FloatArray

SYMMETRY_RTOL = 1e-10
"""Largest |Σ − Σᵀ| accepted, relative to max |Σ| (floating-point noise of a sample estimate)."""
PSD_RTOL = 1e-10
"""Smallest eigenvalue accepted, as a fraction of the largest (negative: noise of a singular Σ)."""
BOUND_SLACK = 1e-12
REPAIR_FIX = ("repair it with tailorfolio.estimate.repair_covariance(cov) (nearest positive "
              "definite matrix with the same variances), or use a shrinkage estimator")


def short(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters (never echo an unbounded value)."""
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(value: Any) -> str:
    return type(value).__name__


def check_number(value: Any, name: str, *, minimum: float | None = None,
                 strictly: bool = False, fix: str, allow_none: bool = False) -> float | None:
    """A finite real number (not a bool), at least ``minimum`` (strictly if asked)."""
    if value is None and allow_none:
        return None
    ok_type = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))
    bound = "" if minimum is None else f" {'>' if strictly else '>='} {minimum:g}"
    if not ok_type or not math.isfinite(float(value)) or (
            minimum is not None and (float(value) <= minimum if strictly
                                     else float(value) < minimum)):
        raise ParameterError(
            f"The '{name}' parameter must be a finite number{bound}. Got {short(value)} "
            f"({_kind(value)}) instead.",
            field=name, value=short(value), expected=f"a finite number{bound}", fix=fix,
        )
    return float(value)


def check_constraint_set(cs: Any) -> ConstraintSet:
    """The constraint set is a :class:`ConstraintSet` whose arrays fit its universe."""
    if not isinstance(cs, ConstraintSet):
        raise ParameterError(
            f"The 'constraints' parameter must be a ConstraintSet. Got {short(cs)} "
            f"({_kind(cs)}) instead.", field="constraints", value=short(cs),
            expected="a tailorfolio.optimize.ConstraintSet",
            fix="build one with unconstrained(tickers) or constraints_from_preferences(...)",
        )
    tickers = cs.tickers
    if len(tickers) == 0:
        raise DataError(
            "The universe is empty: the constraint set has no tickers, so there is nothing to "
            "invest in.", field="constraints.tickers", value="[]",
            expected="at least one ticker",
            fix="pass the assets to invest in, e.g. unconstrained(['VTI', 'BND'])",
        )
    dup = sorted({t for t in tickers if list(tickers).count(t) > 1}) if len(
        set(tickers)) != len(tickers) else []
    if dup:
        raise DataError(
            f"The constraint set lists tickers more than once: {short(dup)}.",
            field="constraints.tickers", value=short(dup), expected="unique tickers",
            fix="remove the duplicates",
        )
    n = len(tickers)
    for name in ("lower", "upper"):
        value = getattr(cs, name)
        if type(value) is np.ndarray and value.dtype == np.float64:  # (the usual: no copy)
            arr = value
        else:
            arr = np.asarray(value, dtype=float) if _numeric(value) else None
        if arr is None or arr.shape != (n,) or not np.isfinite(arr).all():
            raise ParameterError(
                f"constraints.{name} must be {n} finite weights (one per ticker). Got "
                f"{short(getattr(cs, name))}.", field=f"constraints.{name}",
                value=short(getattr(cs, name)), expected=f"an array of shape ({n},)",
                fix="give one decimal weight per ticker, in the tickers' order",
            )
    lower, upper = np.asarray(cs.lower, float), np.asarray(cs.upper, float)
    if (lower < 0).any():
        i = int(np.argmin(lower))
        raise ParameterError(
            f"constraints.lower for {tickers[i]} is {lower[i]:.4g}; portfolios are long-only, "
            "so a minimum weight must be >= 0.", field="constraints.lower",
            value=float(lower[i]), expected="weights in [0, 1]", fix="use 0 for no minimum",
        )
    _check_bound_arithmetic(cs, lower, upper)
    return cs


def _numeric(value: Any) -> bool:
    try:
        np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def _fmt(x: float) -> str:
    return f"{100 * x:.4g} %"


def _check_bound_arithmetic(cs: ConstraintSet, lower: FloatArray, upper: FloatArray) -> None:
    """Bounds that conflict by arithmetic alone, said in those terms and with the amount."""
    tickers = cs.tickers
    fields = cs.asset_bound_fields  # ticker → the preference field that set its bounds
    crossed = (lower > upper + BOUND_SLACK).nonzero()[0]  # usually none: no Python loop
    excluded = set(cs.excluded_tickers()) if len(crossed) and cs.exclusions else set()
    for i in crossed.tolist():
        t = tickers[i]
        if not fields.get(t, "") and t not in excluded:
            raise InfeasibleError(
                f"The bounds of {t} conflict: its minimum weight (constraints.lower) is "
                f"{_fmt(lower[i])} but its maximum (constraints.upper) is {_fmt(upper[i])}, "
                f"{_fmt(lower[i] - upper[i])} lower.",
                conflicts=[ConstraintConflict(f"lower:{t}", f"at least {_fmt(lower[i])} in {t}",
                                              "constraints.lower", float(lower[i] - upper[i])),
                           ConstraintConflict(f"upper:{t}", f"at most {_fmt(upper[i])} in {t}",
                                              "constraints.upper", float(lower[i] - upper[i]))],
                field="constraints.lower", value=float(lower[i]),
                fix=f"lower the minimum of {t} or raise its maximum",
            )
    total = float(lower.sum())
    if total > 1 + BOUND_SLACK:
        named = [t for t in tickers if lower[tickers.index(t)] > 0]
        srcs = sorted({fields.get(t, "") or "constraints.lower" for t in named})
        raise InfeasibleError(
            f"The minimum weights conflict: they sum to {_fmt(total)} ({short(named, 120)}), "
            f"above the 100 % a fully invested portfolio holds, by {_fmt(total - 1)}.",
            conflicts=[ConstraintConflict("lower_sum", f"minimum weights summing to "
                                          f"{_fmt(total)}", s, total - 1) for s in srcs],
            field=srcs[0], value=total,
            fix=f"lower the minimum weights by {_fmt(total - 1)} in total ({', '.join(srcs)})",
        )
    pure_api = not cs.exclusions and cs.asset_caps is None and not cs.asset_bound_fields
    total_up = float(np.minimum(upper, 1.0).sum()) if pure_api else 1.0
    if pure_api and total_up < 1 - BOUND_SLACK:
        raise InfeasibleError(
            f"The maximum weights conflict: they sum to {_fmt(total_up)}, below the 100 % a "
            f"fully invested portfolio must hold, by {_fmt(1 - total_up)}.",
            conflicts=[ConstraintConflict("upper_sum", f"maximum weights summing to "
                                          f"{_fmt(total_up)}", "constraints.upper",
                                          1 - total_up)],
            field="constraints.upper", value=total_up,
            fix=f"raise the maximum weights by {_fmt(1 - total_up)} in total or add assets",
        )
    for g in cs.groups:
        if g.min > g.max + BOUND_SLACK:
            fld = g.field_min or f"constraints.groups[{g.name}]"
            raise InfeasibleError(
                f"The bounds of the {g.name} allocation conflict: its minimum {_fmt(g.min)} is "
                f"above its maximum {_fmt(g.max)}, by {_fmt(g.min - g.max)}.",
                conflicts=[ConstraintConflict(f"class_min:{g.name}", f"minimum {g.name} "
                                              f"allocation {_fmt(g.min)}", fld,
                                              g.min - g.max)],
                field=fld, value=g.min, fix=f"make the {g.name} minimum at most its maximum",
            )


def _series(value: Any, name: str, what: str) -> pd.Series:
    if not isinstance(value, pd.Series):
        raise ParameterError(
            f"The '{name}' parameter must be a pandas Series of {what} indexed by ticker. Got "
            f"{short(value)} ({_kind(value)}) instead.", field=name, value=short(value),
            expected="pandas.Series indexed by ticker",
            fix=f"pass pd.Series(values, index=tickers) (a bare {_kind(value)} carries no "
                "tickers, so it cannot be matched with the constraints)",
        )
    return value


ALIGNMENT_CACHE_SIZE = 16
"""How many (estimates' labels → constraint tickers) alignments are remembered."""
_ALIGNMENT: dict[tuple[tuple[object, ...], ...],
                 tuple[np.ndarray, np.ndarray, np.ndarray, bool]] = {}
"""Positions of the constraint set's tickers in the estimates' labels, keyed by the labels
themselves: a re-solve with the same labels (the plan's goal candidates, a frontier, a
what-if, a backtest's rolling estimates) skips the label look-ups and duplicate checks.
The cached position arrays are only read, never written."""


@functools.lru_cache(maxsize=64)
def ticker_index(tickers: tuple[str, ...]) -> pd.Index:
    """One pandas Index per ticker tuple (results of re-solves share it; Index objects are
    immutable, so sharing is safe)."""
    return pd.Index(tickers)


def _alignment(mu_s: pd.Series, covariance: pd.DataFrame, tickers: Any
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of ``tickers`` in μ's index and Σ's rows and columns (all checked)."""
    for label, idx in (("expected_return", mu_s.index), ("covariance index", covariance.index),
                       ("covariance columns", covariance.columns)):
        if idx.has_duplicates:
            dup = sorted(map(str, idx[idx.duplicated()].unique()))
            raise DataError(f"The {label} lists tickers more than once: {short(dup)}.",
                            field=label.split()[0], value=short(dup),
                            expected="unique tickers", fix="remove the duplicate rows")
    want = ticker_index(tuple(tickers))
    pos_mu = mu_s.index.get_indexer(want)
    pos_row = covariance.index.get_indexer(want)
    pos_col = covariance.columns.get_indexer(want)
    missing = [t for t, k in zip(tickers, pos_mu) if k < 0]
    missing_cov = [t for t, a, b in zip(tickers, pos_row, pos_col) if a < 0 or b < 0]
    if missing or missing_cov:
        which = "expected_return" if missing else "covariance"
        gone = missing or missing_cov
        raise MissingAssetsError(
            f"No {'expected return' if missing else 'covariance row and column'} for "
            f"{short(gone)} (tickers of the constraint set).", missing=gone, field=which,
            expected=f"an estimate for each of the {len(tickers)} tickers of the constraints",
            fix="estimate every asset of the universe, or drop the asset from the constraints",
        )
    return pos_mu, pos_row, pos_col


_SAME_LABELS: dict[int, tuple[object, object, object, tuple[object, ...],
                             tuple[np.ndarray, np.ndarray, np.ndarray, bool]]] = {}
"""The last alignments by the identity of the label objects themselves (μ's index, Σ's
index and columns; pandas Index objects are immutable and the entry holds a reference to
each, so an identity match means the same labels): a re-solve with the same estimates skips
even building the label tuples (tens of µs for a string index)."""


def _cached_alignment(mu_s: pd.Series, covariance: pd.DataFrame, tickers: Any
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """:func:`_alignment`, remembered by label identity, then by label values; the last
    flag says the positions are 0..n−1 on all three axes (no re-indexing needed)."""
    mi, ri, ci = mu_s.index, covariance.index, covariance.columns
    hit = _SAME_LABELS.get(id(mi))
    if (hit is not None and hit[0] is mi and hit[1] is ri and hit[2] is ci
            and (hit[3] is tickers or hit[3] == tuple(tickers))):
        return hit[4]
    key = (tuple(mi), tuple(ri), tuple(ci), tuple(tickers))
    cached = _ALIGNMENT.get(key)
    if cached is None:
        pos_mu, pos_row, pos_col = _alignment(mu_s, covariance, tickers)
        n = len(tickers)
        identity = all(len(p) == n and bool((p == np.arange(n)).all())
                       for p in (pos_mu, pos_row, pos_col)) and len(mi) == n and len(ri) == n \
            and len(ci) == n
        cached = (pos_mu, pos_row, pos_col, identity)
        if len(_ALIGNMENT) >= ALIGNMENT_CACHE_SIZE:
            _ALIGNMENT.pop(next(iter(_ALIGNMENT)))
        _ALIGNMENT[key] = cached
    if len(_SAME_LABELS) >= ALIGNMENT_CACHE_SIZE:
        _SAME_LABELS.pop(next(iter(_SAME_LABELS)))
    _SAME_LABELS[id(mi)] = (mi, ri, ci, key[3], cached)
    return cached


SMALL_PSD_CHECK = 100
"""Up to this size Σ is checked by a plain Cholesky factor first (microseconds when Σ is
positive definite), beyond it by the shifted factor alone (one factorisation either way)."""


@functools.lru_cache(maxsize=1)
def _lapack() -> Any:
    """scipy's LAPACK wrappers, imported on first use (direct LAPACK: a third of numpy's
    call overhead; the import is not paid by code that never checks a covariance)."""
    from scipy.linalg import lapack

    return lapack


def _positive_semidefinite(cov: FloatArray) -> bool:
    """A cheap proof that λ_min ≥ −PSD_RTOL·λ_max (False: ask ``eigvalsh``)."""
    if cov.shape[0] <= SMALL_PSD_CHECK:
        _, info = _lapack().dpotrf(cov, lower=1, clean=0)  # Σ is symmetric (checked before)
        return info == 0
    return _shifted_cholesky_holds(cov)


def _shifted_cholesky_holds(cov: FloatArray) -> bool:
    """True when Σ + PSD_RTOL·λ̂·I has a Cholesky factor, λ̂ ≤ λ_max a power-iteration
    estimate: that proves λ_min > −PSD_RTOL·λ̂ ≥ −PSD_RTOL·λ_max, the acceptance test, at the
    cost of one factorisation instead of a full eigendecomposition (a singular sample
    covariance, more assets than observations, passes here; a False goes to ``eigvalsh``
    for the exact verdict and the message). It replaces a plain Cholesky test, which
    rejects every singular Σ and so sent each of them to the eigendecomposition."""
    n = cov.shape[0]
    v = np.full(n, 1.0 / np.sqrt(max(n, 1)))
    lam = 0.0
    for _ in range(20):
        u = cov @ v
        lam = float(v @ u)
        norm = float(np.sqrt(u @ u))
        if not norm > 0:
            return False
        v = u / norm
    if not lam > 0:
        return False
    try:
        np.linalg.cholesky(cov + PSD_RTOL * lam * np.eye(n))
    except np.linalg.LinAlgError:
        return False
    return True


def check_estimates(expected_return: Any, covariance: Any, cs: ConstraintSet
                    ) -> tuple[FloatArray, FloatArray]:
    """μ and Σ aligned with ``cs.tickers``, finite, Σ symmetric positive semidefinite.

    Raises
    ------
    ParameterError
        Wrong types (a list, an array without tickers).
    MissingAssetsError
        A ticker of the constraint set has no estimate.
    DataError
        NaN/inf, a non-square or mislabelled covariance, asymmetry or a negative eigenvalue
        (with its size and the repair function in the fix).
    """
    tickers = cs.tickers
    mu_s = _series(expected_return, "expected_return", "expected returns")
    if not isinstance(covariance, pd.DataFrame):
        raise ParameterError(
            "The 'covariance' parameter must be a pandas DataFrame indexed and labelled by "
            f"ticker. Got {short(covariance)} ({_kind(covariance)}) instead.",
            field="covariance", value=short(covariance),
            expected="pandas.DataFrame with tickers as index and columns",
            fix="pass pd.DataFrame(matrix, index=tickers, columns=tickers)",
        )
    pos_mu, pos_row, pos_col, identity = _cached_alignment(mu_s, covariance, tickers)
    try:
        if identity:  # labels already in the tickers' order: no fancy indexing
            mu = np.array(mu_s.to_numpy(dtype=float), dtype=float)
            cov = np.array(covariance.to_numpy(dtype=float), dtype=float)
        else:
            mu = np.asarray(mu_s.to_numpy(dtype=float)[pos_mu])
            cov = np.asarray(covariance.to_numpy(dtype=float)[np.ix_(pos_row, pos_col)])
    except (TypeError, ValueError):
        raise DataError(
            "expected_return and covariance must hold numbers.", field="estimates",
            value=short(mu_s.head(3).tolist()), expected="floats",
            fix="convert the estimates with .astype(float)",
        ) from None
    # one finite sum says both are finite (a NaN or ±inf entry makes it non-finite; an
    # overflow of finite entries only sends it to the per-array checks, which pass)
    finite = bool(np.isfinite(float(mu.sum()) + float(cov.sum())))
    for name, arr in (("expected_return", mu), ("covariance", cov)):
        if finite or np.isfinite(arr).all():
            continue
        bad = ~np.isfinite(arr)
        if bad.any():
            rows = sorted({tickers[i] for i in np.argwhere(bad)[:, 0]})
            raise DataError(
                f"{name} contains NaN or infinite values (for {short(rows)}).", field=name,
                value=short(rows), expected="finite numbers",
                fix="re-estimate with enough overlapping history, or drop those assets",
            )
    asym = float(np.abs(cov - cov.T).max(initial=0.0))
    big = float(np.abs(cov).max(initial=0.0)) if asym > 0 else 0.0  # (exact symmetry: common)
    if asym > SYMMETRY_RTOL * max(big, 1e-300):
        i, j = np.unravel_index(int(np.argmax(np.abs(cov - cov.T))), cov.shape)
        raise DataError(
            f"The covariance is not symmetric: cov[{tickers[i]}, {tickers[j]}] = "
            f"{cov[i, j]:.6g} but cov[{tickers[j]}, {tickers[i]}] = {cov[j, i]:.6g} (largest "
            f"asymmetry {asym:.3g}, {asym / max(big, 1e-300):.2g} of the largest entry).",
            field="covariance", value=f"max |cov - cov.T| = {asym:.3g}",
            expected="a symmetric matrix", fix="symmetrise it with (cov + cov.T) / 2, or "
            + REPAIR_FIX,
        )
    # a Cholesky factor (n ≤ SMALL_PSD_CHECK) proves every variance positive: no more to ask
    factored = cov.shape[0] <= SMALL_PSD_CHECK and _positive_semidefinite(cov)
    diag = np.diag(cov)
    if not factored and (diag < 0).any():
        i = int(np.argmin(diag))
        raise DataError(
            f"The covariance has a negative variance for {tickers[i]} ({diag[i]:.6g}).",
            field="covariance", value=float(diag[i]), expected="variances >= 0",
            fix="re-estimate the covariance; " + REPAIR_FIX,
        )
    if not factored and not _positive_semidefinite(cov):
        vals = np.linalg.eigvalsh((cov + cov.T) / 2)
        if vals[0] < -PSD_RTOL * max(float(vals[-1]), 1e-300):
            raise DataError(
                f"The covariance is not positive semidefinite: its smallest eigenvalue is "
                f"{vals[0]:.4g} ({abs(vals[0]) / vals[-1]:.2g} of the largest, "
                f"{int((vals < 0).sum())} negative), so some portfolios would have a "
                "negative variance.", field="covariance",
                value=f"min eigenvalue {vals[0]:.4g}",
                expected="a positive semidefinite matrix", fix=REPAIR_FIX,
            )
    return mu, cov
