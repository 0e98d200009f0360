"""Explain an infeasible problem: which of the user's constraints conflict, and by how much.

Each user constraint becomes an :class:`Item` of the form ``expr(w) ≤ bound`` (``expr``
convex) or ``expr(w) ≥ bound`` (``expr`` concave). A deletion filter finds an irreducible
infeasible subset (IIS) of items: drop each item in turn and keep it dropped if the rest stay
infeasible. For every item of the IIS we then compute how far it would have to move for the
others to be satisfiable (optimise its expression subject to the rest), which gives messages
such as "the bond allocation can reach at most 22.0 % under the other constraints, but the
minimum is 40.0 %".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tailorfolio.errors import ConstraintConflict, InfeasibleError
from tailorfolio.optimize._constraints import ConstraintSet

if TYPE_CHECKING:  # cvxpy (and the scipy.stats it pulls in) loads only when a
    import cvxpy as cp  # function below solves, not on import (the plan makes no solve)

Expr = Callable[["cp.Variable"], "cp.Expression"]


@dataclass(frozen=True)
class Item:
    """One user constraint as ``expr(w) <sense> bound``.

    ``unit`` is ``"weight"`` (decimal shown as %), ``"score"`` or ``"volatility"``.
    """

    name: str
    description: str
    field: str
    expr: Expr
    sense: str  # "<=" or ">="
    bound: float
    unit: str = "weight"
    quantity: str = ""  # what expr measures, in words ("the bond allocation")

    def constraint(self, w: cp.Variable) -> cp.Constraint:
        e = self.expr(w)
        return e <= self.bound if self.sense == "<=" else e >= self.bound


def _fmt(value: float, unit: str) -> str:
    if unit == "score":
        return f"{value:.1f}"
    if 0 < abs(value) < 1e-3:  # e.g. a daily-unit volatility: keep three significant digits
        return f"{100 * value:.3g} %"
    return f"{100 * value:.1f} %"


def items_from_constraints(cs: ConstraintSet, factor: np.ndarray | None = None) -> list[Item]:
    """Every user-set constraint of ``cs`` as an :class:`Item` (trivial ones left out)."""
    import cvxpy as cp

    tickers = cs.tickers
    items: list[Item] = []
    for ex in cs.exclusions:
        idx = [tickers.index(t) for t in ex.tickers]
        if not idx:
            continue
        names = ", ".join(ex.tickers[:8]) + (" …" if len(ex.tickers) > 8 else "")
        items.append(Item(
            f"exclude:{ex.rule}", f"excluding {ex.rule} (removes {names})", ex.field,
            (lambda w, idx=idx: cp.sum(w[idx])), "<=", 0.0, "weight",
            f"the weight in {names}",
        ))
    caps = (np.full(cs.n_assets, cs.max_weight_per_asset) if cs.asset_caps is None
            else np.asarray(cs.asset_caps, dtype=float))
    if caps.min() < 1.0:
        scope = f"at most {_fmt(cs.max_weight_per_asset, 'weight')} in any one asset"
        if caps.max() > cs.max_weight_per_asset:
            scope += f" ({_fmt(caps.max(), 'weight')} for cash)"
        items.append(Item(
            "max_weight", scope, cs.max_weight_field,
            (lambda w, c=caps: cp.max(w - c) + cs.max_weight_per_asset), "<=",
            cs.max_weight_per_asset, "weight", "the largest single weight (relative to its cap)",
        ))
    items.extend(_api_bound_items(cs, caps))
    for t, fld in cs.asset_bound_fields.items():
        i = tickers.index(t)
        lo, hi = float(cs.lower[i]), float(cs.upper[i])
        if lo > 0:
            items.append(Item(f"asset_min:{t}", f"at least {_fmt(lo, 'weight')} in {t}", fld,
                              (lambda w, i=i: w[i]), ">=", lo, "weight", f"the weight of {t}"))
        if hi < min(1.0, cs.max_weight_per_asset):
            items.append(Item(f"asset_max:{t}", f"at most {_fmt(hi, 'weight')} in {t}", fld,
                              (lambda w, i=i: w[i]), "<=", hi, "weight", f"the weight of {t}"))
    for g in cs.groups:
        m = g.members
        if g.min > 0:
            items.append(Item(
                f"class_min:{g.name}", f"minimum {g.name} allocation {_fmt(g.min, 'weight')}",
                g.field_min or f"constraints.groups['{g.name}'].min", (lambda w, m=m: m @ w),
                ">=", g.min, "weight", f"the {g.name} allocation",
            ))
        if g.max < 1:
            items.append(Item(
                f"class_max:{g.name}", f"maximum {g.name} allocation {_fmt(g.max, 'weight')}",
                g.field_max or f"constraints.groups['{g.name}'].max", (lambda w, m=m: m @ w),
                "<=", g.max, "weight",
                f"the {g.name} allocation",
            ))
    if cs.min_esg_score is not None and cs.esg_scores is not None:
        c = cs.esg_coefficients() + cs.min_esg_score  # back to scores (missing handled)
        if cs.missing_score_policy.value == "ignore":
            covered = (~np.isnan(cs.esg_scores)).astype(float)
            s = np.nan_to_num(cs.esg_scores, nan=0.0)
            # floor on the scored part: s·w − floor·covered·w ≥ 0
            floor = cs.min_esg_score
            items.append(Item(
                "esg_floor", f"minimum portfolio ESG score {floor:.1f} (scored holdings only)",
                "preferences.min_esg_score",
                (lambda w, s=s, cov=covered, fl=floor: s @ w - fl * (cov @ w)), ">=", 0.0,
                "score", "the ESG score margin",
            ))
        else:
            items.append(Item(
                "esg_floor", f"minimum portfolio ESG score {cs.min_esg_score:.1f}",
                "preferences.min_esg_score", (lambda w, c=c: c @ w), ">=", cs.min_esg_score,
                "score", "the portfolio ESG score",
            ))
    if cs.max_volatility is not None and factor is not None:
        f = factor
        items.append(Item(
            "max_volatility", f"volatility at most {_fmt(cs.max_volatility, 'volatility')}",
            cs.volatility_field, (lambda w, f=f: cp.norm(f @ w, 2)), "<=", cs.max_volatility,
            "volatility", "the portfolio volatility",
        ))
    return items


def _api_bound_items(cs: ConstraintSet, caps: np.ndarray) -> list[Item]:
    """Per-asset bounds set on the constraint set directly (no profile field or rule explains
    them): ``constraints.lower`` / ``constraints.upper``."""
    out: list[Item] = []
    excluded = set(cs.excluded_tickers())
    for i, t in enumerate(cs.tickers):
        if t in cs.asset_bound_fields or t in excluded:
            continue
        lo, hi = float(cs.lower[i]), float(cs.upper[i])
        if lo > 0:
            out.append(Item(f"lower:{t}", f"at least {_fmt(lo, 'weight')} in {t}",
                            "constraints.lower", (lambda w, i=i: w[i]), ">=", lo, "weight",
                            f"the weight of {t}"))
        if hi < min(1.0, float(caps[i])) - 1e-12:
            out.append(Item(f"upper:{t}", f"at most {_fmt(hi, 'weight')} in {t}",
                            "constraints.upper", (lambda w, i=i: w[i]), "<=", hi, "weight",
                            f"the weight of {t}"))
    return out


def _base(w: cp.Variable, cs: ConstraintSet) -> list[cp.Constraint]:
    import cvxpy as cp

    # Hard structure: fully invested, long-only, and bounds not owned by an item
    # (none: user bounds are items; upper 1 is implied by sum = 1 and w ≥ 0).
    return [cp.sum(w) == 1, w >= 0]


def _feasible(cs: ConstraintSet, items: list[Item]) -> bool:
    import cvxpy as cp

    w = cp.Variable(cs.n_assets)
    prob = cp.Problem(cp.Minimize(0), _base(w, cs) + [it.constraint(w) for it in items])
    try:
        prob.solve(solver="CLARABEL")
    except cp.error.SolverError:
        prob.solve(solver="SCS")
    return prob.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)


def _optimal_value(prob: cp.Problem) -> float | None:
    """The optimal value of ``prob`` solved by Clarabel, or None when it has none."""
    import cvxpy as cp

    try:
        prob.solve(solver="CLARABEL")
    except cp.error.SolverError:
        return None
    if prob.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        return None
    return float(prob.value)


def _best_value(cs: ConstraintSet, item: Item, others: list[Item]) -> float | None:
    """Optimise ``item``'s expression toward its bound subject to ``others``."""
    import cvxpy as cp

    w = cp.Variable(cs.n_assets)
    e = item.expr(w)
    obj = cp.Minimize(e) if item.sense == "<=" else cp.Maximize(e)
    prob = cp.Problem(obj, _base(w, cs) + [o.constraint(w) for o in others])
    return _optimal_value(prob)


def find_conflicts(cs: ConstraintSet, factor: np.ndarray | None = None) -> list[ConstraintConflict]:
    """An irreducible set of conflicting user constraints, each with its required relaxation.

    Returns an empty list when the user constraints are feasible together (the infeasibility
    then lies elsewhere, e.g. a return target).
    """
    items = items_from_constraints(cs, factor)
    if _feasible(cs, items):
        return []
    kept = list(items)
    for it in list(items):
        trial = [k for k in kept if k is not it]
        if not _feasible(cs, trial):
            kept = trial
    conflicts = []
    for it in kept:
        others = [k for k in kept if k is not it]
        best = _best_value(cs, it, others)
        gap = 0.0 if best is None else abs(best - it.bound)
        conflicts.append(ConstraintConflict(it.name, it.description, it.field, gap))
    return conflicts


def best_esg_score(cs: ConstraintSet, factor: np.ndarray | None = None) -> float | None:
    """The highest portfolio ESG score reachable under every user constraint but the floor.

    Missing scores count as the policy says (0 under ``worst``; excluded assets cannot be
    held). Under ``ignore`` the score is that of the scored part of the portfolio (a
    linear-fractional programme, solved with the Charnes–Cooper substitution). None when the
    universe has no scores or the other constraints are infeasible themselves.
    """
    import cvxpy as cp

    if cs.esg_scores is None or np.isnan(cs.esg_scores).all():
        return None
    others = [it for it in items_from_constraints(cs, factor) if it.name != "esg_floor"]
    s = np.nan_to_num(cs.esg_scores, nan=0.0)
    if cs.missing_score_policy.value != "ignore":
        item = Item("esg_best", "", "", (lambda w: s @ w), ">=", 0.0, "score")
        return _best_value(cs, item, others)
    # max s·w / (c·w) over the scored weight c·w > 0: substitute y = t·w with c·y = 1.
    covered = (~np.isnan(cs.esg_scores)).astype(float)
    y = cp.Variable(cs.n_assets)
    t = cp.Variable(nonneg=True)
    cons = [cp.sum(y) == t, y >= 0, covered @ y == 1]
    for it in others:  # every item's expression is positively homogeneous of degree 1
        e = it.expr(y)
        cons.append(e <= it.bound * t if it.sense == "<=" else e >= it.bound * t)
    prob = cp.Problem(cp.Maximize(s @ y), cons)
    return _optimal_value(prob)


def _esg_headline(cs: ConstraintSet, factor: np.ndarray | None,
                  conflicts: list[ConstraintConflict]) -> str | None:
    """"A minimum score of 80 is above the best achievable 72 under your bounds" (or None)."""
    if cs.min_esg_score is None or not any(c.name == "esg_floor" for c in conflicts):
        return None
    best = best_esg_score(cs, factor)
    if best is None or best >= cs.min_esg_score:
        return None
    scope = " (scored holdings only)" if cs.missing_score_policy.value == "ignore" else ""
    return (f"A minimum portfolio ESG score of {cs.min_esg_score:.1f}{scope} is above the best "
            f"achievable {best:.1f} under your other constraints (bounds, exclusions, "
            "concentration limits and volatility ceiling).")


def explain_infeasible(cs: ConstraintSet, factor: np.ndarray | None = None,
                       *, context: str = "") -> InfeasibleError:
    """Build the :class:`InfeasibleError` for ``cs`` (not raised here)."""
    items = {it.name: it for it in items_from_constraints(cs, factor)}
    conflicts = find_conflicts(cs, factor)
    if not conflicts:
        return InfeasibleError(
            f"The problem is infeasible{context}, although its constraints (weight bounds, "
            "class limits, exclusions, ESG floor, volatility ceiling) can all hold together; "
            "the objective's own requirement (e.g. a return target, or no asset beating the "
            "risk-free rate) cannot be met.",
            fix="lower the target or change the assumptions",
        )
    lines = [f"These constraints cannot all hold{context}:"]
    for c in conflicts:
        lines.append(f"  - {c.description} (set by {c.field})")
    if len(conflicts) == 1:
        it = items[conflicts[0].name]
        lines = [f"This constraint cannot hold{context}: {conflicts[0].description} (set by "
                 f"{conflicts[0].field})."]
    lines.append("How far each would have to move, keeping the others:")
    for c in conflicts:
        it = items[c.name]
        if it.sense == ">=":
            reach = it.bound - c.violation
            lines.append(
                f"  - {it.description}: short by {_fmt(c.violation, it.unit)}; under the others "
                f"{it.quantity} can reach at most {_fmt(reach, it.unit)}, below its minimum of "
                f"{_fmt(it.bound, it.unit)}."
            )
        else:
            reach = it.bound + c.violation
            lines.append(
                f"  - {it.description}: over by {_fmt(c.violation, it.unit)}; under the others "
                f"{it.quantity} must be at least {_fmt(reach, it.unit)}, above its maximum of "
                f"{_fmt(it.bound, it.unit)}."
            )
    headline = _esg_headline(cs, factor, conflicts)
    if headline:
        lines.insert(0, headline)
    fix = "relax one of: " + "; ".join(dict.fromkeys(c.field for c in conflicts))
    return InfeasibleError("\n".join(lines), conflicts=conflicts, fix=fix)
