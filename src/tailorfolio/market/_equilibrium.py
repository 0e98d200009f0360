"""Planning returns: equilibrium-anchored expected returns with the forecasts as views.

Mean-variance on raw capital-market forecasts lands in corners: a few tenths of a point of
forecast difference between near-substitutes decide 0 % or a cap. Wealthfront and Betterment
instead start from the returns that make the global market portfolio optimal (reverse
optimization, Black & Litterman 1992) and let forecasts tilt them as views. This module does
the same for a :class:`~tailorfolio.market.Market`:

1. market weights w_mkt from the sourced global market-portfolio table
   (``market/data/global_market_weights.csv``), mapped onto the universe by asset class;
2. risk aversion δ so that the market portfolio's implied excess return equals its forecast
   excess return, δ = (w_mktᵀ q − r_f) / (w_mktᵀ Σ w_mkt), unless given;
3. implied returns π = r_f + δ Σ w_mkt, so with only the budget constraint the max-utility
   portfolio at γ = δ is exactly w_mkt;
4. each asset's forecast q_i as an absolute Black–Litterman view with confidence c
   (Ω_ii = (1 − c)/c · τ Σ_ii, see :mod:`tailorfolio.estimate._black_litterman`).

The default confidence is :data:`DEFAULT_VIEW_CONFIDENCE` (0.25); its measured effect is in
that constant's docstring. With this confidence mapping τ cancels out of the posterior *mean*
(Ω scales with τ); it is recorded because it would matter for views that state their variance.
Σ is returned unchanged.

A universe with no market-weighted asset class (a user's own price file of industries, say)
gets an equal-weight prior over its risky (non-cash) assets, with a warning: 1/N is what
reverse optimization would use if all assets were equally large, it keeps the anchoring that
makes the plan stable, and it is hard to beat out of sample (DeMiguel, Garlappi & Uppal 2009).
Falling back to the raw forecasts instead would bring the corners back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tailorfolio.errors import MissingAssetsError, ParameterError
# Defined in a module of its own so the command line can offer the choice without numpy.
from tailorfolio.market._return_model import DEFAULT_VIEW_CONFIDENCE, ReturnModel
from tailorfolio.estimate._black_litterman import View, black_litterman
from tailorfolio.estimate._expected_returns import equilibrium_returns

if TYPE_CHECKING:
    from tailorfolio.market._market import Market

DEFAULT_TAU = 0.05
"""Scale of the prior's uncertainty τ (He & Litterman 1999 use 0.05)."""

FALLBACK_RISK_AVERSION = 2.5
"""δ used when the forecasts give the market portfolio no positive excess return
(the conventional value of He & Litterman 1999)."""

USUAL_RISK_AVERSION = (1.0, 6.0)
"""A calibrated δ outside this range is reported with a warning."""

_SHIFTS_REPORTED = 5


@dataclass(frozen=True)
class ViewShift:
    """How far the planning return of one asset sits from its forecast.

    Attributes
    ----------
    ticker : str
    forecast, implied, posterior : float
        Annual arithmetic expected returns, decimals.
    shift : float
        ``posterior − forecast``, decimal.
    """

    ticker: str
    forecast: float
    implied: float
    posterior: float
    shift: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-data view."""
        return {"ticker": self.ticker, "forecast": self.forecast, "implied": self.implied,
                "posterior": self.posterior, "shift": self.shift}


@dataclass(frozen=True)
class EquilibriumReport:
    """What :func:`planning_assumptions` did, for the plan's provenance and rationale.

    Attributes
    ----------
    model : ReturnModel
    market_weights : Series of shape (n_assets,)
        Weights of the market portfolio used for π (universe order, sum 1).
    weights_source : str
        Where they come from (the bundled table, the caller, or the equal-weight fallback).
    market_coverage : float or None
        Share of the global market portfolio the universe's classes hold; None when the
        weights did not come from the bundled table.
    risk_aversion : float
        δ used in π = r_f + δ Σ w_mkt.
    risk_aversion_method : str
        How δ was set.
    risk_free_rate : float
        Annual, decimal.
    tau, view_confidence : float or None
        Black–Litterman settings; None unless ``model`` is ``equilibrium_views``.
    implied_returns, views, posterior : Series of shape (n_assets,)
        π, the forecasts q (each asset's absolute view), and the expected returns returned.
    largest_view_shifts : tuple of ViewShift
        The assets whose planning return moved furthest from the forecast.
    warnings : tuple of str
    """

    model: ReturnModel
    market_weights: pd.Series
    weights_source: str
    market_coverage: float | None
    risk_aversion: float
    risk_aversion_method: str
    risk_free_rate: float
    tau: float | None
    view_confidence: float | None
    implied_returns: pd.Series
    views: pd.Series
    posterior: pd.Series
    largest_view_shifts: tuple[ViewShift, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def max_shift_from_implied(self) -> float:
        """Largest |posterior − π| over the assets, decimal."""
        return float((self.posterior - self.implied_returns).abs().max())

    def to_dict(self) -> dict[str, Any]:
        """Plain-data (JSON-ready) view."""
        def series(s: pd.Series) -> dict[str, float]:
            return {str(k): float(v) for k, v in s.items()}

        return {
            "model": self.model.value,
            "market_weights": series(self.market_weights),
            "weights_source": self.weights_source,
            "market_coverage": self.market_coverage,
            "risk_aversion": self.risk_aversion,
            "risk_aversion_method": self.risk_aversion_method,
            "risk_free_rate": self.risk_free_rate,
            "tau": self.tau,
            "view_confidence": self.view_confidence,
            "implied_returns": series(self.implied_returns),
            "views": series(self.views),
            "posterior": series(self.posterior),
            "max_shift_from_implied": self.max_shift_from_implied,
            "largest_view_shifts": [s.to_dict() for s in self.largest_view_shifts],
            "warnings": list(self.warnings),
        }


def _as_model(model: ReturnModel | str) -> ReturnModel:
    try:
        return ReturnModel(model)
    except ValueError:
        raise ParameterError(
            f"The 'return_model' parameter must be one of {[m.value for m in ReturnModel]}. "
            f"Got {model!r} instead.",
            field="return_model", value=model,
            expected=" | ".join(m.value for m in ReturnModel),
            fix="use 'equilibrium_views' (the default) unless you want the raw forecasts",
        ) from None


def _check_positive(name: str, value: object, *, upper: float | None = None,
                    fix: str) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(
        value) and value > 0 and (upper is None or value <= upper)
    if not ok:
        expected = f"a number in (0, {upper}]" if upper is not None else "a finite number > 0"
        raise ParameterError(
            f"The '{name}' parameter must be {expected}. Got {value!r} instead.",
            field=name, value=value, expected=expected, fix=fix,
        )
    return float(value)


def _given_weights(weights: pd.Series, tickers: list[str]) -> pd.Series:
    unknown = [str(t) for t in weights.index if t not in tickers]
    if unknown:
        raise MissingAssetsError(
            f"market_weights names {unknown}, not in the universe.", missing=unknown,
            field="market_weights", fix="give weights for tickers of the universe only",
        )
    w = pd.to_numeric(weights, errors="coerce").reindex(tickers).fillna(0.0)
    arr = w.to_numpy(float)
    if not np.isfinite(arr).all() or (arr < 0).any() or arr.sum() <= 0:
        raise ParameterError(
            "market_weights must be finite, non-negative and sum to more than 0.",
            field="market_weights", value={str(k): float(v) for k, v in w.items()},
            expected="non-negative decimals with a positive sum (normalised here)",
            fix="pass market-capitalisation weights, e.g. {'VTI': 0.6, 'BND': 0.4}",
        )
    return w / arr.sum()


def _table_weights(market: Market) -> tuple[pd.Series, str, float | None, list[str]]:
    from tailorfolio.market._market_weights import MARKET_WEIGHTS_FILE, market_weights_for

    mw = market_weights_for(market.universe)
    warnings: list[str] = []
    if mw.mapped:
        if mw.coverage < 1.0 - 1e-12:
            warnings.append(
                f"The universe holds only {mw.coverage:.0%} of the global market portfolio "
                f"(missing: {', '.join(mw.missing_classes)}); the market weights were "
                "renormalised over the classes present."
            )
        return (mw.weights, f"bundled global market-portfolio table ({MARKET_WEIGHTS_FILE})",
                mw.coverage, warnings)
    risky = [a.ticker for a in market.universe if a.broad_class != "cash"] or \
        market.universe.tickers
    w = pd.Series(0.0, index=market.universe.tickers)
    w[risky] = 1.0 / len(risky)
    warnings.append(
        "No asset of the universe belongs to a market-weighted asset class (total US, "
        "developed ex-US or emerging equity; US or ex-US aggregate bonds), so the prior is an "
        f"equal-weight portfolio of the {len(risky)} risky asset(s); pass market_weights "
        "for a better anchor."
    )
    return w, "equal weight over the risky assets (no market-weighted class)", None, warnings


def _risk_aversion(given: float | None, w: np.ndarray, q: np.ndarray, sigma: np.ndarray,
                   rf: float) -> tuple[float, str, list[str]]:
    if given is not None:
        return given, "given by the caller", []
    variance = float(w @ sigma @ w)
    excess = float(w @ q) - rf
    if variance > 0 and excess > 0 and math.isfinite(excess / variance):
        delta = excess / variance
        method = (f"calibrated: the market portfolio's forecast excess return {excess:.4f} "
                  f"over its variance {variance:.5f} (volatility {math.sqrt(variance):.4f}), so "
                  "π prices the market portfolio exactly as the forecasts do")
        warnings = []
        lo, hi = USUAL_RISK_AVERSION
        if not lo <= delta <= hi:
            warnings.append(
                f"The calibrated risk aversion δ = {delta:.2f} is outside the usual {lo:g}–"
                f"{hi:g} (He & Litterman 1999 use 2.5); check the forecasts or pass "
                "risk_aversion."
            )
        return delta, method, warnings
    return FALLBACK_RISK_AVERSION, (
        f"fallback {FALLBACK_RISK_AVERSION} (He & Litterman 1999): the forecasts give the "
        "market portfolio no positive excess return"), [
        f"The forecasts give the market portfolio an excess return of {excess:.4f} over the "
        f"risk-free rate, so δ could not be calibrated; used δ = {FALLBACK_RISK_AVERSION}."]


def planning_assumptions(
    market: Market,
    model: ReturnModel | str = ReturnModel.EQUILIBRIUM_VIEWS,
    *,
    view_confidence: float = DEFAULT_VIEW_CONFIDENCE,
    tau: float = DEFAULT_TAU,
    risk_aversion: float | None = None,
    market_weights: pd.Series | None = None,
) -> tuple[Market, EquilibriumReport]:
    """The market with the expected returns a plan should optimize on.

    Parameters
    ----------
    market : Market
        Its assumptions' expected returns are the forecasts (annual arithmetic, decimals).
    model : ReturnModel or str
        ``equilibrium_views`` (default), ``forecasts`` or ``equilibrium``.
    view_confidence : float
        Confidence c ∈ (0, 1] of each forecast view (``equilibrium_views`` only): c → 0
        returns π, c = 1 returns the forecasts.
    tau : float
        τ > 0 of the Black–Litterman prior.
    risk_aversion : float, optional
        δ > 0; default: calibrated so that the market portfolio's implied excess return
        equals its forecast excess return (2.5 if that is not positive).
    market_weights : Series, optional
        Market-capitalisation weights by ticker (normalised here); default: the bundled
        global market-portfolio table mapped onto the universe by asset class, or, when no
        asset maps, an equal-weight portfolio of the risky assets (with a warning).

    Returns
    -------
    market : Market
        The same market with ``assumptions.expected_return`` replaced by the model's returns
        (``forecasts``: the market unchanged); covariance, universe and prices unchanged;
        ``assumptions.name`` and ``sources["expected_return_model"]`` say what was done.
    report : EquilibriumReport

    Raises
    ------
    ParameterError
        On an unknown model, a confidence outside (0, 1], τ or δ not > 0, or invalid weights.
    MissingAssetsError
        When ``market_weights`` names a ticker outside the universe.

    Examples
    --------
    >>> from tailorfolio.market import default_market
    >>> from tailorfolio.estimate import planning_assumptions
    >>> m, report = planning_assumptions(default_market())
    >>> report.model.value, round(report.risk_aversion, 2)
    ('equilibrium_views', 3.24)
    """
    model = _as_model(model)
    view_confidence = _check_positive(
        "view_confidence", view_confidence, upper=1.0,
        fix=f"use e.g. {DEFAULT_VIEW_CONFIDENCE} (1 makes the forecasts certain)")
    tau = _check_positive("tau", tau, fix=f"use e.g. {DEFAULT_TAU}")
    if risk_aversion is not None:
        risk_aversion = _check_positive("risk_aversion", risk_aversion,
                                        fix="use e.g. 2.5, or None to calibrate it")
    a = market.assumptions
    tickers = a.tickers
    cov = a.covariance
    forecasts = a.expected_return.astype(float)
    rf = float(a.risk_free_rate)

    warnings: list[str] = []
    if market_weights is not None:
        w = _given_weights(market_weights, tickers)
        source, coverage = "given by the caller", None
    else:
        w, source, coverage, more = _table_weights(market)
        warnings += more
    delta, method, more = _risk_aversion(risk_aversion, w.to_numpy(float),
                                         forecasts.to_numpy(float), cov.to_numpy(float), rf)
    warnings += more
    implied = equilibrium_returns(cov, w, risk_aversion=delta, risk_free_rate=rf)

    if model is ReturnModel.EQUILIBRIUM_VIEWS:
        views = [View.absolute(t, float(forecasts[t]), view_confidence) for t in tickers]
        posterior = black_litterman(implied, cov, views, tau=tau).expected_return
        description = (f"Black–Litterman posterior: equilibrium returns (market weights: "
                       f"{source}; δ = {delta:.2f}) with each forecast as an absolute view "
                       f"at confidence {view_confidence:g} (τ = {tau:g})")
    elif model is ReturnModel.EQUILIBRIUM:
        posterior = implied.copy()
        description = (f"equilibrium returns (market weights: {source}; "
                       f"δ = {delta:.2f}); forecasts not used")
    else:
        posterior = forecasts.copy()
        description = "the forecasts as given"
    posterior = posterior.reindex(tickers).astype(float)
    posterior.name = a.expected_return.name

    gap = (posterior - forecasts).abs().sort_values(ascending=False, kind="stable")
    shifts = tuple(
        ViewShift(str(t), float(forecasts[t]), float(implied[t]), float(posterior[t]),
                  float(posterior[t] - forecasts[t]))
        for t in gap.index[:_SHIFTS_REPORTED]
    )
    bl = model is ReturnModel.EQUILIBRIUM_VIEWS
    report = EquilibriumReport(
        model=model, market_weights=w, weights_source=source, market_coverage=coverage,
        risk_aversion=float(delta), risk_aversion_method=method, risk_free_rate=rf,
        tau=tau if bl else None, view_confidence=view_confidence if bl else None,
        implied_returns=implied, views=forecasts.copy(), posterior=posterior,
        largest_view_shifts=shifts, warnings=tuple(warnings),
    )
    if model is ReturnModel.FORECASTS:
        return market, report
    assumptions = replace(
        a, expected_return=posterior,
        name=f"{a.name} → {model.value}",
        sources={**a.sources, "expected_return_model": description},
    )
    return replace(market, assumptions=assumptions), report
