"""The one standard form every mean-variance problem of tailorfolio compiles to.

A batch of ``B`` problems over ``n`` assets that share the (scaled) covariance and the row
matrix::

    minimise    ½ r_i · wᵀP w + t·(q_iᵀw + Σ_j κ_ij |w_j − w0_ij|)
    subject to  l_i ≤ w ≤ u_i,   lo_i ≤ A w ≤ hi_i,   ‖w − w0_i‖₁ ≤ τ_i,
                wᵀP w ≤ c_i²                                   (volatility ceiling)

with **one** ``P = Σ/d`` (``d`` the mean variance of the universe, so daily and annual inputs
give the same numbers) and **one** ``A`` (budget, class groups, ESG floor, return floor, any
linear row; each row scaled to unit norm, identical rows merged). Only vectors differ between
problems. ``r_i`` (:attr:`StandardForm.risk_weight`) is 1 for problems with a risk term and 0
for a pure return objective (only meaningful under a ceiling). ``t`` is 1 for the problem as
posed; the volatility-ceiling search (:mod:`tailorfolio.kernel._solve`) varies it.

For a max-utility investor (``μᵀw − γ/2 wᵀΣw − Σc|Δw|``) the objective is divided by ``γd``:
``q = −μ/(γd)``, ``κ = c/(γd)`` and :attr:`StandardForm.scale` ``= γd`` converts back. A
minimum-variance problem has ``q = 0`` (its costs are divided by ``d``).

Compilers: :func:`from_constraint_set` (the optimizer's :class:`ConstraintSet`) and
:func:`from_investor_batch` (the fleet's :class:`InvestorBatch`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tailorfolio.typing import FloatArray

# The kernel sits below optimize/ and fleet/ and never imports them (not even for typing:
# the architecture test counts every import): their ConstraintSet, FleetModel and
# InvestorBatch are read by attribute.
ConstraintSet = Any
FleetModel = Any
InvestorBatch = Any

EQUALITY_ROW = 0
"""Index of the budget row (Σw = 1) in every w-space standard form."""
EQUALITY_TOLERANCE = 1e-14
"""Row bounds this close (relative) are one equality."""


def variance_scale(covariance: FloatArray) -> float:
    """The scalar ``d`` Σ is divided by: its mean variance (1 when Σ is zero)."""
    n = len(covariance)
    # (np.add.reduce then / n is np.mean's own arithmetic, without its Python wrapper)
    d = float(np.add.reduce(np.diagonal(covariance))) / n if n else 1.0
    return d if np.isfinite(d) and d > 0 else 1.0


@dataclass
class StandardForm:
    """Scaled problems of ``B`` investors over ``n`` variables and ``R`` rows.

    Attributes
    ----------
    P : ndarray (n, n)
        Σ / d (shared).
    A : ndarray (R, n)
        Unit-norm rows (shared); row 0 is the budget for w-space forms.
    row_names : list of str
    q : ndarray (B, n)
        Linear term (scaled units).
    lower, upper, w0, kappa : ndarray (B, n)
        Bounds (``±inf`` allowed), reference weights of the cost kinks, cost rates (scaled).
    row_lo, row_hi : ndarray (B, R)
        ``±inf`` where a row does not bind that problem; equal for an equality.
    tau : ndarray (B,)
        Turnover cap ‖w − w0‖₁ (``inf`` for none).
    scale : ndarray (B,)
        Factor from the scaled objective back to the problem's own units (γ·d).
    vol_cap : ndarray (B,)
        Volatility ceiling in scaled units (σ_max / √d), ``inf`` for none.
    risk_weight : ndarray (B,)
        1 where the objective has the ½wᵀPw term, 0 for a pure linear objective.
    variance_scale : float
        d.
    gamma : ndarray (B,)
        The risk aversion in the problem's own units (``inf`` for minimum variance, 0 for a
        pure return objective); only used to report the ceiling's multiplier.
    """

    P: FloatArray
    A: FloatArray
    row_names: list[str]
    q: FloatArray
    lower: FloatArray
    upper: FloatArray
    w0: FloatArray
    kappa: FloatArray
    row_lo: FloatArray
    row_hi: FloatArray
    tau: FloatArray
    scale: FloatArray
    vol_cap: FloatArray = field(default_factory=lambda: np.zeros(0))
    risk_weight: FloatArray = field(default_factory=lambda: np.zeros(0))
    variance_scale: float = 1.0
    gamma: FloatArray = field(default_factory=lambda: np.zeros(0))
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        b = self.q.shape[0]
        if self.vol_cap.shape != (b,):
            self.vol_cap = np.full(b, np.inf)
        if self.risk_weight.shape != (b,):
            self.risk_weight = np.ones(b)
        if self.gamma.shape != (b,):
            self.gamma = np.full(b, np.inf)

    @property
    def size(self) -> int:
        return int(self.q.shape[0])

    @property
    def n(self) -> int:
        return int(self.P.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.A.shape[0])

    def take(self, idx: Any) -> StandardForm:
        """The problems at ``idx`` (integer array or boolean mask); shares P, A and caches."""
        return StandardForm(self.P, self.A, self.row_names, self.q[idx], self.lower[idx],
                            self.upper[idx], self.w0[idx], self.kappa[idx], self.row_lo[idx],
                            self.row_hi[idx], self.tau[idx], self.scale[idx],
                            self.vol_cap[idx], self.risk_weight[idx], self.variance_scale,
                            self.gamma[idx], self.cache)

    def with_linear_factor(self, t: FloatArray) -> StandardForm:
        """The same problems with the linear part (q, κ) multiplied by ``t`` (B,)."""
        out = self.take(slice(None))
        out.q = self.q * t[:, None]
        out.kappa = self.kappa * t[:, None]
        return out

    def has_turnover(self) -> bool:
        return bool(np.isfinite(self.tau).any())

    def equality_rows(self) -> np.ndarray:
        """(B, R) True where a row is an equality."""
        with np.errstate(invalid="ignore"):
            return np.isfinite(self.row_lo) & (np.abs(self.row_hi - self.row_lo)
                                               <= EQUALITY_TOLERANCE * (1.0 + np.abs(self.row_lo)))

    @staticmethod
    def concat(parts: list[StandardForm]) -> StandardForm:
        """Stack problems that share P and A."""
        p0 = parts[0]
        cat = np.concatenate
        return StandardForm(p0.P, p0.A, p0.row_names, cat([p.q for p in parts]),
                            cat([p.lower for p in parts]), cat([p.upper for p in parts]),
                            cat([p.w0 for p in parts]), cat([p.kappa for p in parts]),
                            cat([p.row_lo for p in parts]), cat([p.row_hi for p in parts]),
                            cat([p.tau for p in parts]), cat([p.scale for p in parts]),
                            cat([p.vol_cap for p in parts]), cat([p.risk_weight for p in parts]),
                            p0.variance_scale, cat([p.gamma for p in parts]), p0.cache)


def scaled_objective(sf: StandardForm, w: FloatArray) -> FloatArray:
    """½ r wᵀPw + qᵀw + κᵀ|w − w0| for each row of ``w`` (B, n)."""
    return (0.5 * sf.risk_weight * np.einsum("bi,ij,bj->b", w, sf.P, w)
            + np.einsum("bi,bi->b", sf.q, w)
            + np.einsum("bi,bi->b", sf.kappa, np.abs(w - sf.w0)))


def assemble_rows(n: int, b: int, named_rows: list[tuple[str, FloatArray, FloatArray, FloatArray]]
                  ) -> tuple[FloatArray, list[str], FloatArray, FloatArray]:
    """Stack (name, row (n,), lo (B,), hi (B,)) into unit-norm rows, merging identical rows
    (see :func:`assemble_matrix`)."""
    if not named_rows:
        return np.zeros((0, n)), [], np.zeros((b, 0)), np.zeros((b, 0))
    k = len(named_rows)
    rows = np.empty((k, n))
    lo = np.empty((k, b))
    hi = np.empty((k, b))
    for i, (_, row, row_lo, row_hi) in enumerate(named_rows):
        rows[i], lo[i], hi[i] = row, row_lo, row_hi
    return assemble_matrix([name for name, _, _, _ in named_rows], rows, lo, hi)


def assemble_matrix(names: list[str], rows: FloatArray, lo: FloatArray, hi: FloatArray
                    ) -> tuple[FloatArray, list[str], FloatArray, FloatArray]:
    """Unit-norm rows ``A`` (R, n), their names and ``row_lo``/``row_hi`` (B, R) from
    stacked rows (K, n) and their sides (K, B).

    Rows that bind no problem (``lo = −inf`` and ``hi = inf`` for all) are dropped, except
    the first (the budget), and so are zero rows. Identical coefficient rows (after
    normalisation, equal to 14 decimals) are merged by intersecting their ranges (two class
    groups with one membership, say) so that the active-set systems never hold two copies
    of one constraint; the merged row keeps the first one's place and joins the names.
    """
    n = rows.shape[1]
    b = lo.shape[1]
    binds = np.isfinite(lo).any(axis=1) | np.isfinite(hi).any(axis=1)
    binds[0] = True
    norm = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    keep = np.flatnonzero(binds & (norm > 0))
    if not len(keep):
        return np.zeros((0, n)), [], np.zeros((b, 0)), np.zeros((b, 0))
    scale = 1.0 / norm[keep]
    A = rows[keep] * scale[:, None]
    lo = lo[keep] * scale[:, None]
    hi = hi[keep] * scale[:, None]
    kept_names = [names[i] for i in keep]
    seen: dict[bytes, int] = {}
    group = [seen.setdefault(key.tobytes(), len(seen)) for key in np.round(A, 14) + 0.0]
    if len(seen) == len(keep):  # nothing to merge
        return A, kept_names, lo.T.copy(), hi.T.copy()
    inverse = np.asarray(group)
    out_names: list[str] = []
    out_rows, out_lo, out_hi = [], [], []
    for u in range(len(seen)):  # groups are numbered in order of first appearance
        members = np.flatnonzero(inverse == u)
        out_rows.append(A[members[0]])
        out_lo.append(lo[members].max(axis=0))
        out_hi.append(hi[members].min(axis=0))
        out_names.append("|".join(kept_names[m] for m in members))
    return (np.vstack(out_rows), out_names, np.column_stack(out_lo),
            np.column_stack(out_hi))


def from_constraint_set(cs: ConstraintSet, covariance: FloatArray, *,
                        expected_return: FloatArray | None = None,
                        risk_aversion: float = np.inf,
                        min_return: float | None = None,
                        return_vector: FloatArray | None = None,
                        current_weights: FloatArray | None = None,
                        cost_rate: float | FloatArray = 0.0,
                        max_turnover: float | None = None,
                        max_volatility: float | None = None,
                        ) -> StandardForm:
    """Compile one optimizer problem (B = 1).

    Parameters
    ----------
    cs : ConstraintSet
        Bounds, class groups, ESG floor (its ``max_volatility`` is NOT read: pass the
        ceiling as ``max_volatility`` so the caller decides).
    covariance : ndarray (n, n)
        Any period's units (annual, daily), symmetric PSD.
    expected_return : ndarray (n,), optional
        The reward vector of the objective (μ_eff, or μ − r_f), same units.
    risk_aversion : float
        γ > 0 for max utility; ``inf`` for minimum variance (``expected_return`` ignored);
        0 for a pure return objective (needs ``max_volatility``).
    min_return, return_vector
        Floor ``return_vectorᵀw ≥ min_return`` (same units).
    current_weights, cost_rate, max_turnover
        Linear costs Σc_j|w_j − w0_j| (decimal per unit traded) and ‖w − w0‖₁ ≤ τ.
    max_volatility : float, optional
        Ceiling on √(wᵀΣw), same units as √Σ.
    """
    n = cs.n_assets
    cov = np.asarray(covariance, dtype=float)
    d = variance_scale(cov)
    gamma = float(risk_aversion)
    mu = None if expected_return is None else np.asarray(expected_return, dtype=float)
    if gamma == np.inf:
        scale, q, risk = d, np.zeros(n), 1.0
    elif gamma > 0:
        scale, q, risk = gamma * d, mu / (-gamma * d) if mu is not None else np.zeros(n), 1.0
    else:  # pure return: the linear part normalised to unit max-norm
        mu = np.zeros(n) if mu is None else mu
        m = float(np.abs(mu).max(initial=0.0)) or 1.0
        scale, q, risk = m, -mu / m, 0.0
    names = ["budget"]
    rows = [np.ones(n)]
    los, his = [1.0], [1.0]
    for g in cs.groups:
        names.append(f"class:{g.name}")
        rows.append(g.members)
        los.append(g.min if g.min > 0 else -np.inf)
        his.append(g.max if g.max < 1 else np.inf)
    if cs.min_esg_score is not None:
        esg = cs.esg_coefficients()
        if np.any(esg != 0):
            names.append("esg_floor")
            rows.append(esg)
            los.append(0.0)
            his.append(np.inf)
    if min_return is not None:
        rv = (np.zeros(n) if mu is None else mu) if return_vector is None else np.asarray(
            return_vector, float)
        names.append("min_return")
        rows.append(rv)
        los.append(float(min_return))
        his.append(np.inf)
    A, names, row_lo, row_hi = _assemble_one(names, np.array(rows, dtype=float),
                                             np.array(los), np.array(his))
    w0 = np.zeros((1, n)) if current_weights is None else np.array(
        current_weights, float).reshape(1, n)
    if (type(cost_rate) in (int, float) or np.ndim(cost_rate) == 0) and not cost_rate:
        kappa = np.zeros((1, n))
    else:
        kappa = (np.broadcast_to(np.asarray(cost_rate, float), (n,)) / scale)[None, :].copy()
    tau = np.inf if max_turnover is None else float(max_turnover)
    cap = np.inf if max_volatility is None else float(max_volatility) / math.sqrt(d)
    return StandardForm(cov / d, A, names, q.reshape(1, n),
                        np.array(cs.lower, float).reshape(1, n),
                        np.array(cs.upper, float).reshape(1, n), w0, kappa, row_lo, row_hi,
                        np.array([tau]), np.array([scale]), np.array([cap]), np.array([risk]),
                        d, np.array([gamma]))


def _assemble_one(names: list[str], rows: FloatArray, lo: FloatArray, hi: FloatArray
                  ) -> tuple[FloatArray, list[str], FloatArray, FloatArray]:
    """:func:`assemble_matrix` for one problem (B = 1; ``lo``, ``hi`` (K,)), the same
    arithmetic with fewer calls (a cold solve's compile is a good part of its cost); the
    rare forms with rows to drop or merge go to :func:`assemble_matrix` itself."""
    norm = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    binds = np.isfinite(lo) | np.isfinite(hi)
    binds[0] = True
    if not (binds.all() and norm.all()):
        return assemble_matrix(names, rows, lo[:, None], hi[:, None])
    scale = 1.0 / norm
    A = rows * scale[:, None]
    k = len(rows)
    if k > 1:
        # unit rows equal to 14 decimals have a dot product within 1e-9 of 1: only then is
        # the exact test (assemble_matrix's) asked
        gram = A @ A.T
        gram.flat[::k + 1] = 0.0
        if float(gram.max()) > 1.0 - 1e-9 and len(
                {key.tobytes() for key in np.round(A, 14) + 0.0}) < k:
            return assemble_matrix(names, rows, lo[:, None], hi[:, None])
    return A, names, (lo * scale)[None, :], (hi * scale)[None, :]


def from_investor_batch(model: FleetModel, batch: InvestorBatch,
                        with_volatility: bool = True) -> StandardForm:
    """Compile a fleet batch (see module docstring).

    Investors with ``risk_aversion = inf`` minimise variance (plus costs); a NaN
    ``max_volatility`` means no ceiling.
    """
    cov = model.covariance
    d = variance_scale(cov)
    gamma = batch.risk_aversion
    finite = np.isfinite(gamma)
    scale = np.where(finite, gamma * d, d)
    scores = model.esg_vector()
    mu_eff = model.expected_return[None, :] + batch.esg_tilt[:, None] * scores[None, :] / 100.0
    q = np.where(finite[:, None], -mu_eff / scale[:, None], 0.0)
    kappa = batch.cost_rate / scale[:, None]
    b, n = batch.size, model.n_assets
    named: list[tuple[str, FloatArray, FloatArray, FloatArray]] = [
        ("budget", np.ones(n), np.ones(b), np.ones(b))]
    gmin, gmax = batch.group_min, batch.group_max
    for g in range(model.n_groups):
        lo = np.where(gmin[:, g] > 0, gmin[:, g], -np.inf)
        hi = np.where(gmax[:, g] < 1, gmax[:, g], np.inf)
        named.append((f"class:{model.group_names[g]}", model.group_matrix[g], lo, hi))
    floor = batch.min_esg_score
    if np.isfinite(floor).any():
        named.append(("esg_floor", scores, np.where(np.isfinite(floor), floor, -np.inf),
                      np.full(b, np.inf)))
    if np.isfinite(batch.min_return).any():
        named.append(("min_return", model.expected_return,
                      np.where(np.isfinite(batch.min_return), batch.min_return, -np.inf),
                      np.full(b, np.inf)))
    A, names, row_lo, row_hi = assemble_rows(n, b, named)
    vol = batch.max_volatility if with_volatility else np.full(b, np.nan)
    cap = np.where(np.isfinite(vol), vol / np.sqrt(d), np.inf)
    return StandardForm(cov / d, A, names, q, batch.lower.astype(float),
                        batch.upper.astype(float), batch.current_weights.astype(float), kappa,
                        row_lo, row_hi, batch.max_turnover.astype(float), scale, cap,
                        np.ones(b), d, gamma.astype(float))


def covariance_factor(covariance: FloatArray) -> FloatArray:
    """F with FᵀF = ``covariance`` (n, n): the upper Cholesky factor when it is positive
    definite, else ``diag(√λ₊)·Vᵀ`` from its eigendecomposition (negative noise clipped, no
    ridge), so a singular Σ or a homogeneous form's zero row and column stay exact."""
    cov = np.asarray(covariance, dtype=np.float64)
    cov = (cov + cov.T) / 2
    try:
        return np.linalg.cholesky(cov).T
    except np.linalg.LinAlgError:
        lam, vec = np.linalg.eigh(cov)
        return np.sqrt(np.clip(lam, 0.0, None))[:, None] * vec.T


cholesky_factor = covariance_factor
"""The name the optimizer, the ESG sweep and the fleet have always used."""


def form_factor(sf: StandardForm) -> FloatArray:
    """:func:`covariance_factor` of ``sf.P`` (scaled units), cached on the form."""
    f = sf.cache.get("covariance_factor")
    if f is None or f.shape != sf.P.shape:
        f = sf.cache["covariance_factor"] = covariance_factor(sf.P)
    return f


def row_of(sf: StandardForm, coefficients: FloatArray) -> tuple[int, float] | None:
    """The row of ``sf`` that the linear constraint ``coefficients·w`` compiled to, and the
    norm it was divided by (row value × norm = the constraint's own units); None when the
    form has no such row (the constraint bound nothing, or its coefficients are zero).

    :func:`assemble_rows` scales each row to unit norm and merges identical ones, so a class
    group, the ESG floor or any user row is found by its normalised coefficients (two groups
    with one membership share a row).
    """
    c = np.asarray(coefficients, dtype=float)
    norm = float(np.linalg.norm(c))
    if norm == 0 or sf.n_rows == 0:
        return None
    hit = np.flatnonzero(np.abs(sf.A - c / norm).max(axis=1) <= 1e-12)
    return (int(hit[0]), norm) if len(hit) else None


def finite_rows(sf: StandardForm, i: int = 0, *, skip_budget: bool = True
                ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The rows of problem ``i`` with finite bounds, for encodings that cannot take ``±inf``.

    Returns ``(A (k, n), lo (k,), hi (k,))`` in the form's (unit-norm) row units; a side that
    binds nothing gets the row's range over the long-only simplex (``min a``, ``max a``),
    where it cannot bind. The budget row is left out unless ``skip_budget`` is False.
    """
    keep = [r for r in range(sf.n_rows) if not (skip_budget and sf.row_names[r] == "budget")]
    a = sf.A[keep]
    lo = np.where(np.isfinite(sf.row_lo[i, keep]), sf.row_lo[i, keep], a.min(axis=1, initial=0))
    hi = np.where(np.isfinite(sf.row_hi[i, keep]), sf.row_hi[i, keep], a.max(axis=1, initial=0))
    return a, lo, hi
