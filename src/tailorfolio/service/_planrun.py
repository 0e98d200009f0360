"""The one place where the service makes a plan: inputs in, the stored record's fields out.

Everything the service knows about the library's plan pipeline (``build_plan``, the ``Plan``
object's attributes, ``report_data``) is in :func:`compute_plan`; the job runner calls it in a
worker process (or thread), and the result is plain, picklable data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tailorfolio._version import __version__


def assumptions_record(market: Any) -> dict[str, Any]:
    """The capital-market assumptions a plan used, as stored with it."""
    a = market.assumptions
    return {"name": a.name, "expected_return": {k: float(v) for k, v in a.expected_return.items()},
            "volatility": {k: float(v) for k, v in a.volatility.items()},
            "correlation": {"tickers": list(a.correlation.index),
                            "matrix": a.correlation.to_numpy().round(12).tolist()},
            "risk_free_rate": a.risk_free_rate, "inflation": a.inflation,
            "inflation_volatility": a.inflation_volatility, "sources": dict(a.sources),
            "last_prices": dict(market.last_prices)}


def compute_plan(inputs: dict[str, Any], return_model: str, as_of: date | None,
                 goal_paths: int | None, progress: Any = None,
                 market: dict[str, Any] | None = None) -> dict[str, Any]:
    """The :class:`PlanRecord` fields (but the ids) of a plan for ``inputs``.

    Parameters
    ----------
    inputs : dict
        The complete profile (facts, accounts, lots) as plain data.
    return_model : str
        A :class:`~tailorfolio.market.ReturnModel` value.
    as_of : date, optional
        Date the plan is made for.
    goal_paths : int, optional
        Monte Carlo paths of the goals section (the library's default when ``None``).
    progress : callable, optional
        ``progress(fraction, stage)`` is called between the stages.
    market : dict, optional
        The firm's market version (``{"id", "version", "as_of", "data"}``, see
        :func:`tailorfolio.service._market_store.current_market_spec`) that values the holdings
        and gives the estimates; the bundled default market when ``None``.

    Raises
    ------
    TailorfolioError
        Whatever the library raises for these inputs (field-level).
    """
    from tailorfolio.planning._build import build_plan
    from tailorfolio.planning._settings import PlanSettings
    from tailorfolio.profile._parse import parse_profile
    from tailorfolio.report import report_data
    from tailorfolio.service._market_store import market_for_spec, market_record

    overrides = inputs.get("overrides")  # the advisor's, see service._judgement
    inputs = {k: v for k, v in inputs.items() if k != "overrides"}
    profile = parse_profile(inputs)
    spec = market
    market = market_for_spec(spec)
    settings = PlanSettings(return_model=return_model) if goal_paths is None else \
        PlanSettings(return_model=return_model, goal_paths=goal_paths)
    if progress:
        progress(0.2, "optimizing")
    if overrides:
        from tailorfolio.service._judgement_plan import plan_with_overrides

        plan, cost = plan_with_overrides(profile, overrides, market, settings, as_of)
    else:
        plan, cost = build_plan(profile, market, settings=settings, as_of=as_of), None
    if progress:
        progress(0.7, "writing the report")
    report = report_data(plan)
    if cost is not None:
        report["overrides"] = cost
    equity = plan.household.equity_share
    return dict(
        library_version=__version__, input_hash=plan.provenance.input_hash,
        inputs={"profile": inputs, "settings": settings.model_dump(mode="json"),
                "as_of": plan.provenance.as_of, "market": market_record(spec),
                **({"overrides": overrides} if overrides else {})},
        assumptions=assumptions_record(plan.resolved_market or market), report=report,
        risk_level=int(plan.risk.level), expected_return=float(plan.expected_return),
        volatility=float(plan.volatility), sharpe=float(plan.sharpe),
        equity_share=float(equity), investable_wealth=float(plan.investable_wealth),
        market_version_id=None if spec is None else int(spec["id"]))
