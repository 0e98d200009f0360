"""Gather what a report shows, as plain JSON-ready data."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tailorfolio.errors import TailorfolioError
from tailorfolio.market._market import Market
from tailorfolio.optimize._optimizer import PortfolioOptimizer
from tailorfolio.planning._build import prepare
from tailorfolio.planning._plan import Plan
from tailorfolio.planning._settings import PlanSettings
from tailorfolio.profile._investor import InvestorProfile

REPORT_FRONTIER_POINTS = 30
"""Points on the report's frontier curve (enough for a smooth line, fast to solve)."""


def _holdings_by_account(profile: InvestorProfile, market: Market) -> list[dict[str, Any]]:
    """Current market value per account and asset class, currency units."""
    out = []
    for acct in profile.accounts:
        by_class: dict[str, float] = {}
        for lot in acct.lots:
            cls = market.universe[lot.asset].asset_class
            by_class[cls] = by_class.get(cls, 0.0) + lot.quantity * market.price_of(lot.asset)
        if acct.cash:
            by_class["cash (uninvested)"] = by_class.get("cash (uninvested)", 0.0) + acct.cash
        out.append({"account": acct.name, "type": acct.type.value,
                    "value": float(sum(by_class.values())),
                    "by_class": {k: float(v) for k, v in sorted(by_class.items())}})
    return out


def _frontier(profile: InvestorProfile, market: Market, settings: PlanSettings, plan: Plan,
              optimizer: PortfolioOptimizer | None) -> dict[str, Any] | None:
    """The efficient frontier under the investor's constraints without the volatility ceiling."""
    from datetime import date

    opt = optimizer or PortfolioOptimizer(solvers=settings.solvers)
    ctx = prepare(profile, market, settings, date.fromisoformat(plan.provenance.as_of))
    a = market.assumptions
    try:
        fr = opt.frontier(a.expected_return, a.covariance, ctx.constraints.with_volatility_cap(None),
                          n_points=REPORT_FRONTIER_POINTS, risk_free_rate=a.risk_free_rate)
    except TailorfolioError as exc:  # the plan exists; a frontier failure only drops the chart
        return {"error": str(exc)}
    return {
        "volatility": [float(v) for v in fr.volatility],
        "expected_return": [float(v) for v in fr.expected_return],
        "sharpe": [float(v) for v in fr.sharpe],
        "assets": [{"ticker": t, "volatility": float(a.volatility[t]),
                    "expected_return": float(a.expected_return[t])}
                   for t in ctx.constraints.tickers],
    }


def report_data(plan: Plan, profile: InvestorProfile, market: Market | None = None, *,
                settings: PlanSettings | None = None,
                optimizer: PortfolioOptimizer | None = None) -> dict[str, Any]:
    """Everything the report shows, as plain data.

    Parameters
    ----------
    plan : Plan
        The plan, as returned by :func:`tailorfolio.planning.build_plan`.
    profile : InvestorProfile
        The profile the plan was made for (holdings by account, frontier constraints).
    market : Market, optional
        The market the plan used; defaults to the bundled default market.
    settings : PlanSettings, optional
        The settings the plan used (solvers for the frontier).
    optimizer : PortfolioOptimizer, optional
        Reuse compiled problems.

    Returns
    -------
    dict
        ``plan`` (``Plan.to_dict()``), ``frontier`` (volatility, expected_return, sharpe lists
        of length :data:`REPORT_FRONTIER_POINTS`, plus each asset's own point), ``holdings``
        (value per account and asset class) and ``generated_at`` (UTC ISO timestamp).
    """
    from tailorfolio.market._defaults import default_market

    market = market or default_market()
    settings = settings or PlanSettings()
    return {
        "plan": plan.to_dict(),
        "frontier": _frontier(profile, market, settings, plan, optimizer),
        "holdings": _holdings_by_account(profile, market),
        "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
    }
