"""The ESG plan stage: fill ``Plan.esg`` with the portfolio's ESG profile and the cost of values
when the investor expressed ESG preferences (:func:`has_esg_preferences`), else leave it None.

Also :func:`market_for_profile`, the market a profile's plan is made in (screened funds added
where exclusions would empty a class; the rule is in :mod:`tailorfolio.esg._screen`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from tailorfolio.esg._cost import (
    CostOfValues,
    goal_probabilities,
    has_esg_preferences,
)
from tailorfolio.esg._funds import screened_funds_table
from tailorfolio.optimize._esg_presets import resolve_esg_preferences
from tailorfolio.esg._profile import EsgProfile, portfolio_esg_profile
from tailorfolio.esg._screen import AddedFund, added_funds, resolve_market
from tailorfolio.market._market import Market
from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.profile._investor import InvestorProfile

if TYPE_CHECKING:
    from tailorfolio.optimize._optimizer import PortfolioOptimizer


@dataclass(frozen=True)
class EsgReport:
    """The ``Plan.esg`` section (present only when the investor has ESG preferences).

    Attributes
    ----------
    profile : EsgProfile
    cost : CostOfValues or None
        Present when the profile has ESG preferences and the stage was asked for it.
    warnings : tuple of str
    added_funds : tuple of AddedFund
        The screened funds that entered the market for this profile, with their reasons.
    """

    profile: EsgProfile
    cost: CostOfValues | None = None
    warnings: tuple[str, ...] = ()
    added_funds: tuple[AddedFund, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data, JSON-ready (NaN becomes None)."""
        return _plain(dataclasses.asdict(self))


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj


def as_sleeve(constraints: ConstraintSet) -> ConstraintSet:
    """``constraints`` for a universe that is one sleeve of a wider portfolio (e.g. all
    stocks): the risk level's volatility ceiling and the cash-reserve minimum are dropped
    (they belong to the whole portfolio); bounds, exclusions and ESG rules stay."""
    groups = tuple(
        dataclasses.replace(g, min=0.0, field_min="") if g.field_min ==
        "preferences.cash_reserve_months" else g for g in constraints.groups)
    return dataclasses.replace(constraints.with_volatility_cap(None), groups=groups)


def market_for_profile(profile: InvestorProfile, market: Market) -> Market:
    """``market`` with the screened funds the profile needs (see
    :func:`~tailorfolio.esg.resolve_market`, which also returns why each was added).

    Raises
    ------
    ValuesConflictError
        When the exclusions empty a class the plan needs and no screened fund can fill it.
    """
    return resolve_market(profile, market)[0]


def score_source(market: Market) -> str:
    """Where the market's ESG scores come from (recorded in the report)."""
    if not any(a.esg_score is not None for a in market.universe):
        return "no ESG scores in this universe"
    return market.assumptions.sources.get("esg", "ESG scores supplied with the universe")


def _metrics(plan: Any, esg: EsgProfile | None) -> dict[str, float]:
    return {
        "expected_return": float(plan.expected_return), "volatility": float(plan.volatility),
        "sharpe": float(plan.sharpe),
        "esg_score": float("nan") if esg is None or esg.score is None else float(esg.score),
    }


def compare_plans(plan: Any, base: Any, *, notes: tuple[str, ...] = (),
                  risk_matched: float | None = None) -> CostOfValues:
    """The :class:`CostOfValues` of ``plan`` (with ESG preferences) against ``base``;
    ``risk_matched`` is the best return without ESG at ``plan``'s volatility."""
    with_p = plan.esg.profile if isinstance(plan.esg, EsgReport) else None
    base_p = base.esg.profile if isinstance(base.esg, EsgReport) else None
    g1, g0 = goal_probabilities(plan), goal_probabilities(base)
    return CostOfValues(
        with_esg=_metrics(plan, with_p), without_esg=_metrics(base, base_p),
        wealth=float(plan.investable_wealth), currency=plan.currency,
        goals_with=g1, goals_without=g0, goals_available=bool(g1 or g0),
        risk_matched_return=risk_matched, notes=notes,
    )


def risk_matched_return(constraints: ConstraintSet, market: Market, volatility: float,
                        optimizer: PortfolioOptimizer | None = None) -> float | None:
    """Highest expected return under ``constraints`` at volatility ≤ ``volatility`` (None if
    that volatility is out of reach)."""
    from tailorfolio.errors import TailorfolioError
    from tailorfolio.optimize._optimizer import PortfolioOptimizer
    from tailorfolio.optimize._result import Objective

    a = market.assumptions
    opt = optimizer or PortfolioOptimizer()
    try:
        res = opt.optimize(a.expected_return, a.covariance,
                           constraints.with_volatility_cap(None),
                           objective=Objective.TARGET_VOLATILITY, target=volatility + 1e-9,
                           risk_free_rate=a.risk_free_rate)
    except TailorfolioError:
        return None
    return float(res.expected_return)


def baseline_notes(profile: InvestorProfile) -> tuple[str, ...]:
    """Notes on what the plan without ESG preferences keeps (for :func:`compare_plans`)."""
    if profile.preferences.excluded_assets:
        return ("Both plans keep your excluded_assets (ticker exclusions are treated as rules, "
                "not values).",)
    return ()


def _warnings(ctx: Any, prof: EsgProfile) -> list[str]:
    out = []
    uni = ctx.market.universe
    if ctx.profile.preferences.esg_fund_alternatives and not any(
            t in uni for t in screened_funds_table()["ticker"]):
        out.append("preferences.esg_fund_alternatives only extends the bundled default "
                   "universe; this plan uses another market, so it had no effect.")
    cs = ctx.constraints
    if (cs.min_esg_score is not None or cs.esg_tilt > 0) and prof.unscored_holdings:
        out.append(f"Held without an ESG score: {', '.join(prof.unscored_holdings)} "
                   f"(missing-score policy '{cs.missing_score_policy.value}').")
    if "illustrative" in prof.score_source and (cs.min_esg_score is not None or cs.esg_tilt > 0):
        out.append("The ESG scores used are tailorfolio's illustrative rule-based scores, not "
                   "vendor ratings; load your own with `tailorfolio esg --esg-scores FILE`.")
    return out


def esg_report(ctx: Any, plan: Any, *, added: tuple[AddedFund, ...] | None = None
               ) -> EsgReport:
    """The :class:`EsgReport` of ``plan``'s weights (always built; the plan pipeline decides
    whether the plan carries it, and adds the cost of values from its baseline run).

    Parameters
    ----------
    ctx
        Anything with ``profile``, ``market`` (the one :func:`resolve_market` returned) and
        ``constraints`` (the plan's :class:`ConstraintSet`).
    plan
        Anything with ``weights`` (ticker → weight).
    added : tuple of AddedFund, optional
        Re-derived from ``ctx.market`` when omitted.
    """
    if added is None:
        added = added_funds(ctx.profile, ctx.market)
    notes = resolve_esg_preferences(ctx.profile.preferences, ctx.market.universe).notes
    w = pd.Series(plan.weights)
    prof = portfolio_esg_profile(w, ctx.market.universe, ctx.constraints,
                                 score_source=score_source(ctx.market), notes=notes)
    return EsgReport(prof, None, tuple(_warnings(ctx, prof)), tuple(added))
