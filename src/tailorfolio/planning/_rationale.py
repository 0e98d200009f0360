"""Plain-language reasons for a plan."""

from __future__ import annotations

from tailorfolio.market._market import Market
from tailorfolio.planning._plan import Plan

_CLASS_WORDS = {"equity": "stocks", "bond": "bonds", "real_asset": "real assets", "cash": "cash"}


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def rationale(plan: Plan, market: Market) -> list[str]:
    """Paragraphs explaining the plan: risk level, allocation, trade-offs, constraints, values."""
    r = plan.risk
    out = []
    lead = (f"Your risk level is {r.level} of 10. Your answers put your willingness to take "
            f"risk at {r.willingness:.0%} and your circumstances put your capacity at "
            f"{r.capacity:.0%}; the plan leans to the lower of the two ({r.binding_component}).")
    movers = [f for f in sorted(r.factors, key=lambda f: -f.levels_lost) if f.levels_lost > 0]
    if movers:
        top = movers[0]
        lead += (f" What held the level down most: {top.explanation[0].lower()}"
                 f"{top.explanation[1:]}.")
    if r.contradictions:
        lead += (f" {len(r.contradictions)} pair(s) of your answers contradict each other, "
                 "which lowers the willingness score; review them if they were a mistake.")
    out.append(lead)

    classes = plan.class_weights("broad_class")
    mix = ", ".join(f"{_pct(v)} {_CLASS_WORDS.get(k, k)}" for k, v in classes.items())
    out.append(
        f"The recommended mix is {mix}. Under the assumptions used ({plan.provenance.assumptions})"
        f" it has an expected return of {_pct(plan.expected_return)} a year with a volatility of "
        f"{_pct(plan.volatility)} (Sharpe ratio {plan.sharpe:.2f} over a "
        f"{_pct(plan.risk_free_rate)} risk-free rate). In a bad year (about one in twenty) the "
        f"portfolio could lose around {_pct(max(0.0, 1.645 * plan.volatility - plan.expected_return))}."
    )

    if plan.objective == "max_utility":
        out.append(
            f"It is the portfolio with the best trade-off between expected return and risk at "
            f"your risk aversion (γ = {plan.risk_aversion:g}), kept under your level's volatility "
            f"ceiling of {_pct(plan.max_volatility)}."
        )
    a = market.assumptions
    if plan.allocation:
        top = plan.allocation[0]
        sharpe_top = (top.expected_return - a.risk_free_rate) / top.volatility
        out.append(
            f"The largest holding is {top.name} ({top.ticker}, {_pct(top.weight)}): the "
            f"assumptions give it {_pct(top.expected_return)} expected return for "
            f"{_pct(top.volatility)} volatility, {sharpe_top:.2f} of excess return per unit "
            "of risk, and it diversifies the rest."
        )
    held = {line.ticker for line in plan.allocation}
    excluded = {e.ticker for e in plan.excluded}
    skipped = [t for t in market.tickers if t not in held and t not in excluded]
    if skipped:
        out.append(
            "Not held although allowed: " + ", ".join(skipped)
            + ". Under the assumptions they add less return for their risk than the assets "
            "chosen, given how they move together."
        )
    if plan.binding:
        out.append(
            "Constraints that shape the answer: "
            + "; ".join(f"{b.description} (from {b.field})" for b in plan.binding) + "."
        )
    if plan.excluded:
        by_reason: dict[str, list[str]] = {}
        for e in plan.excluded:
            by_reason.setdefault(e.reason, []).append(e.ticker)
        out.append(
            "Left out for your values or rules: "
            + "; ".join(f"{', '.join(ts)} ({reason})" for reason, ts in by_reason.items()) + "."
        )
    return out
