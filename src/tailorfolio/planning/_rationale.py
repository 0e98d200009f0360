"""Plain-language reasons for a plan: the risk level, the sleeves that decide the household
target, the income streams counted on, the return model, the constraints and values that
shaped it."""

from __future__ import annotations

from tailorfolio.planning._plan import Plan
from tailorfolio.planning._sections import IncomeStreamLine

_CLASS_WORDS = {"equity": "stocks", "bond": "bonds", "real_asset": "real assets", "cash": "cash"}


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def rationale(plan: Plan) -> list[str]:
    """Paragraphs explaining the plan."""
    r = plan.risk
    out = []
    lead = (f"Your risk level is {r.level} of 10. Your answers put your willingness to take "
            f"risk at {r.willingness:.0%} and your circumstances put your capacity at "
            f"{r.capacity:.0%}; the plan leans to the lower of the two ({r.binding_component}). "
            f"At this level, money you will not need for a long time holds "
            f"{plan.constraints.max_equity_share:.0%} stocks.")
    movers = [f for f in sorted(r.factors, key=lambda f: -f.levels_lost) if f.levels_lost > 0]
    if movers:
        top = movers[0]
        lead += (f" What held the level down most: {top.explanation[0].lower()}"
                 f"{top.explanation[1:]}.")
    if r.contradictions:
        lead += (f" {len(r.contradictions)} pair(s) of your answers contradict each other, "
                 "which lowers the willingness score; review them if they were a mistake.")
    out.append(lead)

    goal_sleeves = [s for s in plan.sleeves if s.kind not in ("reserve", "long_term")
                    and s.amount > 0]
    if goal_sleeves:
        parts = [f"'{s.name}' ({plan.currency} {s.amount:,.0f}, {s.equity_share_now:.0%} stocks,"
                 f" {s.years_to_goal:.0f} years away)" for s in goal_sleeves]
        out.append(
            "Each goal is funded by its own sleeve whose stock share follows a glide path to "
            "the goal's date: " + "; ".join(parts) + ". Your household target today is the "
            "money-weighted sum of the sleeves, so a goal that is near holds mostly bonds and "
            "cash while money for distant goals stays invested for growth.")
    streams = plan.income_streams
    if streams is not None and streams.streams:
        def paid(line: IncomeStreamLine) -> str:
            pays = (f"pays toward {', '.join(repr(g) for g in line.pays_goals)}"
                    if line.pays_goals else "pays while no income goal is paying, so it is "
                    "not counted")
            prices = ("" if line.inflation_adjusted
                      else f", then +{line.cola:.1%} a year, not linked to prices" if line.cola
                      else ", a fixed amount")
            return (f"{line.name} ({plan.currency} {line.annual_amount:,.0f} a year from age "
                    f"{line.start_age}{prices}) {pays}")

        out.append(
            "Income you will receive pays part of your spending: "
            + "; ".join(paid(x) for x in streams.streams)
            + f". Together that income is worth {plan.currency} "
            f"{streams.counted_present_value:,.0f} today, so the sleeves hold only what it does "
            "not pay, and the simulation of your goals counts the same income.")
    classes = plan.class_weights("broad_class")
    mix = ", ".join(f"{_pct(v)} {_CLASS_WORDS.get(k, k)}" for k, v in classes.items())
    out.append(
        f"The household mix is {mix}. Under the plan's assumptions "
        f"({plan.market.return_model.description}) it has an expected return of "
        f"{_pct(plan.expected_return)} a year with a volatility of {_pct(plan.volatility)}. "
        f"In a bad year (about one in twenty) it could lose around "
        f"{_pct(max(0.0, 1.645 * plan.volatility - plan.expected_return))}.")
    if plan.allocation:
        top = plan.allocation[0]
        out.append(f"The largest holding is {top.name} ({top.ticker}, {_pct(top.weight)}).")
    if plan.binding:
        out.append(
            "Constraints that shape the answer: "
            + "; ".join(f"{b.description} (from {b.field})" for b in plan.binding) + ".")
    if plan.excluded:
        by_reason: dict[str, list[str]] = {}
        for e in plan.excluded:
            by_reason.setdefault(e.reason, []).append(e.ticker)
        out.append(
            "Left out for your values or rules: "
            + "; ".join(f"{', '.join(ts)} ({reason})" for reason, ts in by_reason.items()) + ".")
    return out
