"""Gather what a report shows, as plain JSON-ready data, from the plan alone.

The report never rebuilds the market or the constraints from a profile: the frontier is drawn
from the plan's own resolved market and constraints (the live objects when the plan is a
:class:`~tailorfolio.planning.Plan`, else rebuilt from its ``market`` and ``constraints``
sections by :func:`frontier_inputs`), and holdings by account come from its ``accounts``
section.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from tailorfolio.errors import DataError, TailorfolioError
from tailorfolio.optimize._constraints import ConstraintSet, GroupBound, MissingScorePolicy
from tailorfolio.optimize._optimizer import PortfolioOptimizer
from tailorfolio.planning._plan import Plan, plan_json_schema

REPORT_FRONTIER_POINTS = 30
"""Points on the report's frontier curve (enough for a smooth line, fast to solve)."""


def check_plan_dict(plan: dict[str, Any]) -> None:
    """Check that ``plan`` has every top-level section :func:`plan_json_schema` requires.

    The full schema validation needs ``jsonschema``, which is not a dependency of the
    ``report`` extra; the tests validate every plan they render against the full schema.

    Raises
    ------
    DataError
        When a required section is missing (e.g. a plan stored before the typed sections).
    """
    if not isinstance(plan, dict):
        raise DataError(f"A plan must be a Plan or the dict of Plan.to_dict(). Got "
                        f"{type(plan).__name__} instead.", value=type(plan).__name__,
                        expected="Plan or dict", fix="pass build_plan(...)'s result")
    missing = [k for k in plan_json_schema().get("required", []) if k not in plan]
    if missing:
        raise DataError(
            f"The plan has no {', '.join(repr(k) for k in missing)} section(s); the report "
            "reads the typed sections of Plan.to_dict().", field=missing[0], value=missing,
            expected=f"the keys {plan_json_schema().get('required')}",
            fix="re-create the plan with this version of tailorfolio")


def frontier_inputs(plan: dict[str, Any]) -> tuple[pd.Series, pd.DataFrame, ConstraintSet,
                                                   float]:
    """Expected returns, covariance and constraints of a plan, from its plain data.

    Parameters
    ----------
    plan : dict
        ``Plan.to_dict()``.

    Returns
    -------
    expected_return : Series of shape (n_assets,)
        Annual, decimal (the plan's, after its return model).
    covariance : DataFrame of shape (n_assets, n_assets)
        ``diag(vol) @ correlation @ diag(vol)``, annual.
    constraints : ConstraintSet
        Per-asset bounds, class groups and ESG score floor of ``plan['constraints']`` (the
        scores are the market section's, the missing-score policy the ESG section's, else
        ``worst``), no volatility ceiling.
    risk_free_rate : float
    """
    market, cons = plan["market"], plan["constraints"]
    tickers = [a["ticker"] for a in market["assets"]]
    vol = np.array([float(a["volatility"]) for a in market["assets"]])
    corr = np.array(market["correlation"], dtype=float)
    cov = pd.DataFrame(vol[:, None] * corr * vol[None, :], index=tickers, columns=tickers)
    mu = pd.Series([float(a["expected_return"]) for a in market["assets"]], index=tickers)
    ctick = list(cons["tickers"])
    groups = tuple(
        GroupBound(g["name"], g["level"],
                   np.array([1.0 if t in set(g["tickers"]) else 0.0 for t in ctick]),
                   float(g["min"]), float(g["max"]), g.get("field_min", ""),
                   g.get("field_max", ""))
        for g in cons["groups"])
    by_ticker = {a["ticker"]: a.get("esg_score") for a in market["assets"]}
    scores = np.array([np.nan if by_ticker.get(t) is None else float(by_ticker[t])
                       for t in ctick])
    floor = cons.get("min_esg_score")
    policy = ((plan.get("esg") or {}).get("profile") or {}).get("missing_score_policy")
    constraints = ConstraintSet(
        tickers=ctick, lower=np.array(cons["lower"], dtype=float),
        upper=np.array(cons["upper"], dtype=float), groups=groups,
        esg_scores=None if np.isnan(scores).all() else scores,
        min_esg_score=None if floor is None or np.isnan(scores).all() else float(floor),
        missing_score_policy=MissingScorePolicy(policy or "worst"))
    return mu.loc[ctick], cov.loc[ctick, ctick], constraints, float(market["risk_free_rate"])


def _frontier(plan_dict: dict[str, Any], plan: Plan | None,
              optimizer: PortfolioOptimizer | None) -> dict[str, Any]:
    """The efficient frontier under the plan's constraints without the volatility guard."""
    note = None
    if plan is not None and plan.resolved_market is not None and \
            plan.resolved_constraints is not None:
        a = plan.resolved_market.assumptions
        mu, cov, rf = a.expected_return, a.covariance, float(a.risk_free_rate)
        constraints = plan.resolved_constraints.with_volatility_cap(None)
    else:
        mu, cov, constraints, rf = frontier_inputs(plan_dict)
        if plan_dict["constraints"].get("min_esg_score") is not None and \
                constraints.min_esg_score is None:
            note = "drawn without the ESG score floor (the stored plan has no ESG scores)"
    solvers = plan_dict["provenance"].get("settings", {}).get("solvers")
    opt = optimizer or (PortfolioOptimizer(solvers=tuple(solvers)) if solvers
                        else PortfolioOptimizer())
    try:
        fr = opt.frontier(mu, cov, constraints, n_points=REPORT_FRONTIER_POINTS,
                          risk_free_rate=rf)
    except TailorfolioError as exc:  # the plan exists; a frontier failure only drops the chart
        return {"error": str(exc)}
    vols = np.sqrt(np.clip(np.diag(cov.loc[constraints.tickers, constraints.tickers]), 0, None))
    return {
        "volatility": [float(v) for v in fr.volatility],
        "expected_return": [float(v) for v in fr.expected_return],
        "sharpe": [float(v) for v in fr.sharpe],
        "assets": [{"ticker": t, "volatility": float(v), "expected_return": float(mu[t])}
                   for t, v in zip(constraints.tickers, vols, strict=True)
                   if t not in set(plan_dict["constraints"].get("excluded") or {})],
        "note": note,
    }


def holdings_by_account(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Per account: value, and amounts by asset today, at the target and after the trades.

    Today's holdings are reconstructed from the plan: ``holdings_after − purchases + sales
    proceeds``; what is left of the account's value is uninvested cash.

    Returns
    -------
    list of dict
        ``account``, ``type``, ``value``, ``today``, ``target``, ``after`` (asset → amount,
        currency units), ``cash_today``, ``cash_after``.
    """
    out = []
    for ap in (plan.get("accounts") or {}).get("plans", []):
        today = {t: float(v) for t, v in ap["holdings_after"].items()}
        for p in ap["purchases"]:
            today[p["asset"]] = today.get(p["asset"], 0.0) - p["quantity"] * p["price"]
        for s in ap["sales"]:
            today[s["asset"]] = today.get(s["asset"], 0.0) + s["quantity"] * s["price"]
        today = {t: v for t, v in today.items() if v > 0.005}
        value = float(ap["value"])
        out.append({"account": ap["account"], "type": ap["account_type"], "value": value,
                    "today": today, "target": {t: float(v) for t, v in ap["target"].items()},
                    "after": {t: float(v) for t, v in ap["holdings_after"].items()},
                    "cash_today": max(value - sum(today.values()), 0.0),
                    "cash_after": float(ap["cash_after"])})
    return out


def report_data(plan: Plan | dict[str, Any], *,
                optimizer: PortfolioOptimizer | None = None) -> dict[str, Any]:
    """Everything the report shows, as plain data, from the plan alone.

    Parameters
    ----------
    plan : Plan or dict
        The plan (:func:`tailorfolio.planning.build_plan`) or its ``to_dict()`` (e.g. read
        back from storage).
    optimizer : PortfolioOptimizer, optional
        Reuse compiled problems for the frontier.

    Returns
    -------
    dict
        ``plan`` (``Plan.to_dict()``), ``frontier`` (volatility, expected_return, sharpe lists
        of length :data:`REPORT_FRONTIER_POINTS`, each asset's own point, or ``error``),
        ``holdings`` (:func:`holdings_by_account`) and ``generated_at`` (UTC ISO timestamp).

    Raises
    ------
    DataError
        When ``plan`` lacks one of the plan's sections (:func:`check_plan_dict`).
    """
    live = plan if isinstance(plan, Plan) else None
    plan_dict = plan.to_dict() if isinstance(plan, Plan) else plan
    check_plan_dict(plan_dict)
    return {
        "plan": plan_dict,
        "frontier": _frontier(plan_dict, live, optimizer),
        "holdings": holdings_by_account(plan_dict),
        "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
    }
