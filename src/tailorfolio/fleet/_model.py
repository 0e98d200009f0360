"""The shared market of a fleet run and the per-investor parameters as arrays.

A fleet run optimizes many investors against ONE set of capital-market assumptions. What they
share (tickers, expected returns, covariance, asset-class membership, ESG scores) lives in a
:class:`FleetModel`; what differs (risk aversion, bounds, exclusions, class bounds, ESG floor,
holdings, cost rates, turnover cap) lives in an :class:`InvestorBatch` of arrays with one row
per investor. Both are plain numbers: no I/O, no solver state.

Each investor's problem (weights ``w``, decimals)::

    maximise    μ_effᵀw − (γ/2) wᵀΣw − Σ_j c_j |w_j − w0_j|
    subject to  Σw = 1,  l ≤ w ≤ u,  g_lo ≤ G w ≤ g_hi,  sᵀw ≥ s_min,
                ‖w − w0‖₁ ≤ τ,  (optionally) √(wᵀΣw) ≤ σ_max

with μ_eff = μ + tilt·s/100 (the foundation's ESG tilt). Exclusions are ``u_j = 0``. A missing
ESG score counts as 0 (the foundation's ``worst`` policy). Investors with a volatility ceiling
(a second-order-cone constraint) stay on the batched path: the kernel solves them exactly
by a search on their risk aversion (:mod:`tailorfolio.kernel._solve`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd

from tailorfolio.errors import ParameterError
from tailorfolio.market._market import Market
from tailorfolio.typing import FloatArray

_NUMERIC_EPS = 1e-12


@dataclass(frozen=True)
class FleetModel:
    """What every investor of a run shares.

    Attributes
    ----------
    tickers : tuple of str
        Universe order; every per-asset array follows it.
    expected_return : ndarray of shape (n_assets,)
        Annual arithmetic expected returns, decimals.
    covariance : ndarray of shape (n_assets, n_assets)
        Annual covariance, symmetric positive definite.
    group_names : tuple of str
        One name per class group (broad and fine asset classes).
    group_matrix : ndarray of shape (n_groups, n_assets)
        1.0 where the asset belongs to the group.
    esg_scores : ndarray of shape (n_assets,)
        0–100, higher is better; NaN where the universe has no score.
    asset_tags : tuple of frozenset of str
        Per asset: sector/activity tags, ticker and classes (to resolve exclusions).
    risk_free_rate : float
        Annual, decimal (for the Sharpe ratio reported per investor).
    """

    tickers: tuple[str, ...]
    expected_return: FloatArray
    covariance: FloatArray
    group_names: tuple[str, ...] = ()
    group_matrix: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    esg_scores: FloatArray | None = None
    asset_tags: tuple[frozenset[str], ...] = ()
    risk_free_rate: float = 0.0

    def __post_init__(self) -> None:
        n = len(self.tickers)
        mu = np.asarray(self.expected_return, dtype=float)
        cov = np.asarray(self.covariance, dtype=float)
        if mu.shape != (n,) or cov.shape != (n, n):
            raise ParameterError(
                f"expected_return has shape {mu.shape} and covariance {cov.shape}; both must "
                f"match the {n} tickers.", field="covariance", value=cov.shape,
                expected=f"({n},) and ({n}, {n})", fix="align the estimates with the tickers")
        if not (np.isfinite(mu).all() and np.isfinite(cov).all()):
            raise ParameterError("expected returns or covariance contain NaN/inf.",
                                 field="covariance", fix="repair the estimates")
        cov = (cov + cov.T) / 2
        if np.linalg.eigvalsh(cov)[0] <= 0:
            raise ParameterError(
                "The covariance matrix is not positive definite.", field="covariance",
                expected="a positive definite matrix",
                fix="repair it with tailorfolio.estimate.repair_covariance")
        gm = np.asarray(self.group_matrix, dtype=float)
        if gm.size == 0:
            gm = np.zeros((0, n))
        scores = (np.full(n, np.nan) if self.esg_scores is None
                  else np.asarray(self.esg_scores, dtype=float))
        tags = self.asset_tags or tuple(frozenset({t}) for t in self.tickers)
        object.__setattr__(self, "expected_return", mu)
        object.__setattr__(self, "covariance", cov)
        object.__setattr__(self, "group_matrix", gm)
        object.__setattr__(self, "esg_scores", scores)
        object.__setattr__(self, "asset_tags", tuple(tags))
        object.__setattr__(self, "tickers", tuple(self.tickers))
        object.__setattr__(self, "group_names", tuple(self.group_names))

    @property
    def n_assets(self) -> int:
        return len(self.tickers)

    @property
    def n_groups(self) -> int:
        return len(self.group_names)

    @property
    def has_esg_scores(self) -> bool:
        return bool(np.isfinite(np.asarray(self.esg_scores, dtype=float)).any())

    def esg_vector(self) -> FloatArray:
        """Scores with missing ones at 0 (the ``worst`` policy)."""
        return np.nan_to_num(np.asarray(self.esg_scores), nan=0.0)

    @classmethod
    def from_market(cls, market: Market, *, expected_return: pd.Series | None = None,
                    covariance: pd.DataFrame | None = None) -> FleetModel:
        """The model of a :class:`tailorfolio.market.Market` (its assumptions by default,
        or the given estimates).

        Groups are every broad class and every fine asset class of the universe, named as in
        the profile's ``asset_class_bounds``.
        """
        uni = market.universe
        a = market.assumptions
        tickers = uni.tickers
        mu = (a.expected_return if expected_return is None else expected_return)
        cov = (a.covariance if covariance is None else covariance)
        mu = np.asarray(mu.reindex(tickers) if hasattr(mu, "reindex") else mu, dtype=float)
        cov = np.asarray(cov.loc[tickers, tickers] if hasattr(cov, "loc") else cov, dtype=float)
        names: list[str] = []
        rows: list[FloatArray] = []
        for level in ("broad_class", "asset_class"):
            labels = uni.classes(level)
            for name in dict.fromkeys(labels):
                if name in names:
                    continue
                names.append(name)
                rows.append(np.array([1.0 if lab == name else 0.0 for lab in labels]))
        scores = np.array([np.nan if x.esg_score is None else float(x.esg_score) for x in uni])
        tags = tuple(frozenset(x.tags() | {x.ticker, x.asset_class, x.broad_class}) for x in uni)
        return cls(tuple(tickers), mu, cov, tuple(names),
                   np.vstack(rows) if rows else np.zeros((0, len(tickers))), scores, tags,
                   float(getattr(a, "risk_free_rate", 0.0)))


@dataclass
class InvestorBatch:
    """Per-investor parameters, one row per investor (all arrays have ``B`` rows).

    Attributes
    ----------
    risk_aversion : ndarray of shape (B,)
        γ > 0; ``inf`` means minimum variance.
    lower, upper : ndarray of shape (B, n_assets)
        Weight bounds, decimals, 0 ≤ lower ≤ upper ≤ 1; an exclusion is ``upper = 0``.
    group_min, group_max : ndarray of shape (B, n_groups)
        Bounds on each class's total weight (0 and 1 when unconstrained).
    min_esg_score : ndarray of shape (B,)
        Floor on the weighted ESG score (0–100); NaN for none.
    esg_tilt : ndarray of shape (B,)
        Expected-return bonus per unit of ESG score/100 (the foundation's tilt); 0 for none.
    current_weights : ndarray of shape (B, n_assets)
        Holdings as weights of the account (may sum to less than 1: the rest is cash to
        invest).
    cost_rate : ndarray of shape (B, n_assets)
        Linear transaction cost per unit of weight traded, decimal (10 bps = 0.001).
    max_turnover : ndarray of shape (B,)
        Cap on ‖w − w0‖₁; ``inf`` for none.
    max_volatility : ndarray of shape (B,)
        Annual volatility ceiling, decimal; NaN for none.
    min_return : ndarray of shape (B,)
        Floor on μᵀw, decimal; NaN for none (used by the frontier).
    """

    risk_aversion: FloatArray
    lower: FloatArray
    upper: FloatArray
    group_min: FloatArray
    group_max: FloatArray
    min_esg_score: FloatArray
    esg_tilt: FloatArray
    current_weights: FloatArray
    cost_rate: FloatArray
    max_turnover: FloatArray
    max_volatility: FloatArray
    min_return: FloatArray

    @property
    def size(self) -> int:
        return int(self.risk_aversion.shape[0])

    def __len__(self) -> int:
        return self.size

    @classmethod
    def uniform(cls, model: FleetModel, size: int, *, risk_aversion: float | FloatArray = 3.0
                ) -> InvestorBatch:
        """``size`` investors with only long-only, fully-invested constraints."""
        n, k = model.n_assets, model.n_groups
        return cls(
            risk_aversion=np.broadcast_to(np.asarray(risk_aversion, float), (size,)).copy(),
            lower=np.zeros((size, n)), upper=np.ones((size, n)),
            group_min=np.zeros((size, k)), group_max=np.ones((size, k)),
            min_esg_score=np.full(size, np.nan), esg_tilt=np.zeros(size),
            current_weights=np.zeros((size, n)), cost_rate=np.zeros((size, n)),
            max_turnover=np.full(size, np.inf), max_volatility=np.full(size, np.nan),
            min_return=np.full(size, np.nan),
        )

    def take(self, index) -> InvestorBatch:
        """The investors at ``index`` (an integer array or boolean mask)."""
        return replace(self, **{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @classmethod
    def concat(cls, parts: list[InvestorBatch]) -> InvestorBatch:
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                      for f in fields(cls)})

    def validate(self, model: FleetModel) -> None:
        """Check shapes and value ranges; raise :class:`ParameterError` naming the field."""
        b, n, k = self.size, model.n_assets, model.n_groups
        shapes = {"lower": (b, n), "upper": (b, n), "group_min": (b, k), "group_max": (b, k),
                  "current_weights": (b, n), "cost_rate": (b, n), "min_esg_score": (b,),
                  "esg_tilt": (b,), "max_turnover": (b,), "max_volatility": (b,),
                  "min_return": (b,), "risk_aversion": (b,)}
        for name, shape in shapes.items():
            arr = getattr(self, name)
            if arr.shape != shape:
                raise ParameterError(
                    f"InvestorBatch.{name} has shape {arr.shape}; expected {shape}.",
                    field=name, value=arr.shape, expected=str(shape),
                    fix="give one row per investor and one column per asset/group")
        bad = ~(self.risk_aversion > 0) | np.isnan(self.risk_aversion)
        if bad.any():
            i = int(np.argmax(bad))
            raise ParameterError(
                f"risk_aversion must be > 0 for every investor; row {i} has "
                f"{self.risk_aversion[i]!r}.", field="risk_aversion",
                value=float(self.risk_aversion[i]), expected="a number > 0",
                fix="use e.g. 3 (higher is more cautious), or a risk level 1–10")
        for name in ("lower", "upper", "current_weights", "cost_rate"):
            arr = getattr(self, name)
            if not np.isfinite(arr).all() or (arr < -_NUMERIC_EPS).any():
                raise ParameterError(
                    f"InvestorBatch.{name} must be finite and >= 0 (long-only).", field=name,
                    expected="finite values >= 0", fix=f"correct the {name} column")
        if (self.upper > 1 + _NUMERIC_EPS).any():
            raise ParameterError("InvestorBatch.upper must be <= 1.", field="upper",
                                 expected="<= 1", fix="weights are decimals: 0.25 for 25 %")
        if (self.max_turnover < 0).any():
            raise ParameterError("max_turnover must be >= 0.", field="max_turnover",
                                 expected=">= 0 or inf", fix="use inf for no cap")
