"""Explain an infeasible problem: which of the user's constraints conflict, and by how much.

The constraint set compiles to the kernel's standard form
(:func:`tailorfolio.kernel.from_constraint_set`, with the volatility ceiling), and each user
constraint becomes an :class:`Item` of that form: a *bound group* (the upper bounds an
exclusion or a concentration cap sets on some assets, one asset's minimum or maximum), one
*side of a row* (a class minimum or maximum, the ESG floor) or the *ceiling*. Every finite
bound and row side of the form is owned by at least one item (bounds no profile field
explains are ``constraints.lower`` / ``constraints.upper`` items), so the items together
with the fixed structure (fully invested, long only) are exactly the form.

A deletion filter finds an irreducible infeasible subset (IIS) of items: drop each item in
turn and keep it dropped if the rest stay infeasible. For every item of the IIS we then
compute how far it would have to move for the others to be satisfiable (optimise its
measure subject to the rest), which gives messages such as "the bond allocation can reach
at most 22.0 % under the other constraints, but the minimum is 40.0 %".

Both steps solve problems built on the same standard form: linear programmes (HiGHS through
``scipy.optimize.linprog``) while the ceiling is not among the items, the conic backend
(:mod:`tailorfolio.optimize._problem`, Clarabel through cvxpy) when it is (a second-order
cone, or the minimum-variance QP for the ceiling's own "how far").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tailorfolio.errors import ConstraintConflict, InfeasibleError
from tailorfolio.kernel._solve import homogeneous_form
from tailorfolio.kernel._solve import solve as kernel_solve
from tailorfolio.kernel._standard import (
    StandardForm,
    from_constraint_set,
    row_of,
)
from tailorfolio.optimize._constraints import ConstraintSet
from tailorfolio.optimize._problem import (
    ConicProblem,
    Structure,
    linprog_arguments,
    structure_of,
    with_ceiling,
)
from tailorfolio.typing import FloatArray

BOUND_SLACK = 1e-12
"""A bound this close to the one other items imply is owned by them."""

LOWER, UPPER, ROW, CEILING = "lower", "upper", "row", "ceiling"


@dataclass(frozen=True)
class Item:
    """One user constraint as a piece of the standard form.

    Attributes
    ----------
    name, description, field : str
        Identifier (``class_min:bond``), words for the user, the profile field that set it.
    kind : str
        ``lower`` / ``upper`` (bounds on the assets ``index``), ``row`` (one side of row
        ``index[0]``) or ``ceiling``.
    index : tuple of int
        Assets (bound groups) or the row.
    values : tuple of float
        The bound per index entry in the form's units (row units: unit-norm rows; ceiling:
        σ/√d).
    sense : str
        ``<=`` or ``>=``.
    bound : float
        The bound in the user's units (decimal weight, score or volatility), for messages.
    unit : str
        ``weight`` (decimal shown as %), ``score`` or ``volatility``.
    quantity : str
        What the measure is, in words ("the bond allocation").
    measure : str
        For bound groups: ``shift`` (how far the bounds must move, the same amount for each
        asset) or ``sum`` (the group's total weight, for exclusions).
    scale : float
        User units per form unit of the measure (the row's norm; √d for the ceiling).
    """

    name: str
    description: str
    field: str
    kind: str
    index: tuple[int, ...]
    values: tuple[float, ...]
    sense: str
    bound: float
    unit: str = "weight"
    quantity: str = ""
    measure: str = "shift"
    scale: float = 1.0


def _fmt(value: float, unit: str) -> str:
    if unit == "score":
        return f"{value:.1f}"
    if 0 < abs(value) < 1e-3:  # e.g. a daily-unit volatility: keep three significant digits
        return f"{100 * value:.3g} %"
    return f"{100 * value:.1f} %"


@dataclass
class Diagnosis:
    """A constraint set's standard form and its items (see the module docstring).

    Parameters
    ----------
    cs : ConstraintSet
    factor : ndarray (n, n), optional
        F with FᵀF = Σ; without it the volatility ceiling is left out.
    """

    cs: ConstraintSet
    factor: FloatArray | None = None
    sf: StandardForm = field(init=False)
    items: list[Item] = field(init=False)
    _conic: dict[Structure, ConicProblem] = field(init=False, default_factory=dict)
    _caches: dict[int, dict[str, Any]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        cs = self.cs
        with_cap = cs.max_volatility is not None and self.factor is not None
        cov = (np.asarray(self.factor, float).T @ np.asarray(self.factor, float)
               if self.factor is not None else np.eye(cs.n_assets))
        self.sf = from_constraint_set(cs, cov,
                                      max_volatility=cs.max_volatility if with_cap else None)
        self.items = _items(cs, self.sf, with_cap)

    # -------------------------------------------------------------- problems on the form

    def form(self, items: list[Item], target: Item | None = None) -> StandardForm:
        """The standard form of ``items`` over the fixed structure, objective ``target``'s
        measure (minimised; none: a feasibility problem).

        A ``shift`` bound-group target adds one variable s (the last): its bounds become
        rows ``x_j − s ≤ u_j`` (or ``x_j + s ≥ l_j``) and s is minimised.
        """
        sf = self.sf
        n = sf.n
        shift = target is not None and target.kind in (LOWER, UPPER) and (
            target.measure == "shift")
        m = n + int(shift)
        lower = np.zeros(m)
        upper = np.full(m, np.inf)
        if shift:
            lower[n] = -np.inf
        a = np.zeros((sf.n_rows, m))
        a[:, :n] = sf.A
        row_lo = np.full(sf.n_rows, -np.inf)
        row_hi = np.full(sf.n_rows, np.inf)
        for r, name in enumerate(sf.row_names):
            if name == "budget":
                row_lo[r], row_hi[r] = sf.row_lo[0, r], sf.row_hi[0, r]
        cap = np.inf
        for it in items:
            if it is target:
                continue
            if it.kind == LOWER:
                idx = list(it.index)
                lower[idx] = np.maximum(lower[idx], it.values)
            elif it.kind == UPPER:
                idx = list(it.index)
                upper[idx] = np.minimum(upper[idx], it.values)
            elif it.kind == ROW:
                r = it.index[0]
                if it.sense == ">=":
                    row_lo[r] = max(row_lo[r], it.values[0])
                else:
                    row_hi[r] = min(row_hi[r], it.values[0])
            else:
                cap = min(cap, it.values[0])
        q = np.zeros(m)
        risk = 0.0
        extra: list[tuple[FloatArray, float, float]] = []
        if target is not None and target.kind == ROW:
            row = a[target.index[0]]
            q = -row if target.sense == ">=" else row.copy()
        elif target is not None and target.kind == CEILING:
            risk = 1.0
        elif target is not None and not shift:  # "sum": the group's total weight
            q[list(target.index)] = 1.0 if target.sense == "<=" else -1.0
        elif target is not None:
            sign = -1.0 if target.sense == "<=" else 1.0
            for j, v in zip(target.index, target.values):
                e = np.zeros(m)
                e[j], e[n] = 1.0, sign
                k = np.sqrt(2.0)
                extra.append((e / k, v / k if sign > 0 else -np.inf,
                              v / k if sign < 0 else np.inf))
            q[n] = 1.0
        if extra:
            a = np.vstack([a] + [e[None, :] for e, _, _ in extra])
            row_lo = np.concatenate([row_lo, [lo for _, lo, _ in extra]])
            row_hi = np.concatenate([row_hi, [hi for _, _, hi in extra]])
        p = np.zeros((m, m))
        p[:n, :n] = sf.P
        names = list(sf.row_names) + [f"shift:{j}" for j in range(len(extra))]
        z = np.zeros((1, m))
        return StandardForm(p, a, names, q[None, :], lower[None, :], upper[None, :], z.copy(),
                            z.copy(), row_lo[None, :], row_hi[None, :], np.array([np.inf]),
                            np.ones(1), np.array([cap]), np.array([risk]), sf.variance_scale,
                            np.full(1, np.inf), self._caches.setdefault(m, {}))

    def solve(self, form: StandardForm, *, homogeneous: bool = False
              ) -> tuple[bool, FloatArray | None]:
        """(feasible, optimal x) of ``form``: HiGHS for a linear form, else the conic backend."""
        if form.risk_weight[0] == 0 and not np.isfinite(form.vol_cap[0]):
            from scipy.optimize import linprog  # lazy: the plan's import path stays light

            res = linprog(**linprog_arguments(form))
            return (True, np.asarray(res.x, float)) if res.status == 0 else (False, None)
        key = structure_of(form, homogeneous=homogeneous)
        prob = self._conic.get(key)
        if prob is None:
            prob = self._conic[key] = ConicProblem(key)
        prob.load(form, structure=key)
        out = prob.solve()
        return (True, prob.point()) if out.ok else (False, None)

    def feasible(self, items: list[Item]) -> bool:
        """Whether ``items`` hold together. With the ceiling among them: the linear items'
        LP first, then their minimum variance (the kernel's exact QP; the cone only if the
        kernel does not settle it) against the ceiling."""
        form = self.form(items)
        if not np.isfinite(form.vol_cap[0]):
            return self.solve(form)[0]
        linear = form.take(slice(None))
        linear.vol_cap = np.full(1, np.inf)
        if not self.solve(linear)[0]:
            return False
        linear.risk_weight = np.ones(1)
        sol = kernel_solve(linear)
        if sol.ok[0]:
            w = sol.w[0]
            return bool(np.sqrt(max(w @ form.P @ w, 0.0)) <= form.vol_cap[0] * (1 + 1e-9))
        return self.solve(form)[0]

    def violation(self, item: Item, others: list[Item]) -> float:
        """How far ``item`` must move (user units) for ``others`` to hold with it; 0 when
        ``others`` are infeasible themselves."""
        form = self.form(others, item)
        if item.kind == CEILING and not np.isfinite(form.vol_cap[0]):
            sol = kernel_solve(form)  # the minimum variance: the kernel's exact QP
            ok, x = (True, sol.w[0]) if sol.ok[0] else self.solve(form)
        else:
            ok, x = self.solve(form)
        if not ok or x is None:
            return 0.0
        n = self.sf.n
        if item.kind == ROW:
            reach = float(self.sf.A[item.index[0]] @ x[:n])
            gap = item.values[0] - reach if item.sense == ">=" else reach - item.values[0]
        elif item.kind == CEILING:
            w = x[:n]
            gap = float(np.sqrt(max(w @ self.sf.P @ w, 0.0))) - item.values[0]
        elif item.measure == "sum":
            gap = float(np.sum(x[list(item.index)]))
        else:
            gap = float(x[n])
        return max(gap, 0.0) * item.scale

    # -------------------------------------------------------------- the diagnosis

    def conflicts(self) -> list[ConstraintConflict]:
        """An irreducible set of conflicting items, each with its required relaxation."""
        if self.feasible(self.items):
            return []
        kept = list(self.items)
        for it in list(self.items):
            trial = [k for k in kept if k is not it]
            if not self.feasible(trial):
                kept = trial
        return [ConstraintConflict(it.name, it.description, it.field,
                                   self.violation(it, [k for k in kept if k is not it]))
                for it in kept]

    def best_esg_score(self) -> float | None:
        """See :func:`best_esg_score`."""
        cs = self.cs
        if cs.esg_scores is None or np.isnan(cs.esg_scores).all():
            return None
        others = [it for it in self.items if it.name != "esg_floor"]
        s = np.nan_to_num(cs.esg_scores, nan=0.0)
        # The score's denominator m·w: the scored weight under 'ignore', 1 otherwise. The
        # homogeneous form (x = (y, k), m·y = 1, w = y/k; Charnes–Cooper) makes the ratio
        # linear; under the other policies k = 1 and y = w.
        m = ((~np.isnan(cs.esg_scores)).astype(float)
             if cs.missing_score_policy.value == "ignore" else np.ones(cs.n_assets))
        base = self.form(others)
        hf = homogeneous_form(base, m)
        if np.isfinite(base.vol_cap[0]):
            hf = with_ceiling(hf, float(base.vol_cap[0]))
        top = max(float(np.abs(s).max()), 1e-300)
        hf.q = np.concatenate([-s / top, [0.0]])[None, :]
        hf.risk_weight = np.zeros(1)
        ok, x = self.solve(hf, homogeneous=True)
        if not ok or x is None:
            return None
        return float(s @ x[:-1])


def _items(cs: ConstraintSet, sf: StandardForm, with_cap: bool) -> list[Item]:
    """Every user-set constraint of ``cs`` as an :class:`Item` of its form ``sf``."""
    tickers = cs.tickers
    n = cs.n_assets
    lower, upper = sf.lower[0], sf.upper[0]
    items: list[Item] = []
    for ex in cs.exclusions:
        idx = tuple(tickers.index(t) for t in ex.tickers)
        if not idx:
            continue
        names = ", ".join(ex.tickers[:8]) + (" …" if len(ex.tickers) > 8 else "")
        items.append(Item(f"exclude:{ex.rule}", f"excluding {ex.rule} (removes {names})",
                          ex.field, UPPER, idx, (0.0,) * len(idx), "<=", 0.0, "weight",
                          f"the weight in {names}", measure="sum"))
    caps = (np.full(n, cs.max_weight_per_asset) if cs.asset_caps is None
            else np.asarray(cs.asset_caps, dtype=float))
    if caps.min() < 1.0:
        scope = f"at most {_fmt(cs.max_weight_per_asset, 'weight')} in any one asset"
        if caps.max() > cs.max_weight_per_asset:
            scope += f" ({_fmt(caps.max(), 'weight')} for cash)"
        idx = tuple(int(j) for j in np.flatnonzero(caps < 1.0))
        items.append(Item("max_weight", scope, cs.max_weight_field, UPPER, idx,
                          tuple(float(caps[j]) for j in idx), "<=", cs.max_weight_per_asset,
                          "weight", "the largest single weight (relative to its cap)"))
    for t, fld in cs.asset_bound_fields.items():
        i = tickers.index(t)
        lo, hi = float(lower[i]), float(upper[i])
        if lo > 0:
            items.append(Item(f"asset_min:{t}", f"at least {_fmt(lo, 'weight')} in {t}", fld,
                              LOWER, (i,), (lo,), ">=", lo, "weight", f"the weight of {t}"))
        if hi < min(1.0, cs.max_weight_per_asset):
            items.append(Item(f"asset_max:{t}", f"at most {_fmt(hi, 'weight')} in {t}", fld,
                              UPPER, (i,), (hi,), "<=", hi, "weight", f"the weight of {t}"))
    items.extend(_api_bound_items(cs, sf, items))
    items.extend(_row_items(cs, sf))
    if with_cap:
        assert cs.max_volatility is not None
        items.append(Item(
            "max_volatility", f"volatility at most {_fmt(cs.max_volatility, 'volatility')}",
            cs.volatility_field, CEILING, (), (float(sf.vol_cap[0]),), "<=", cs.max_volatility,
            "volatility", "the portfolio volatility", scale=float(np.sqrt(sf.variance_scale))))
    return items


def _api_bound_items(cs: ConstraintSet, sf: StandardForm, items: list[Item]) -> list[Item]:
    """The form's bounds no item owns: set on the constraint set directly (no profile field
    or rule explains them), ``constraints.lower`` / ``constraints.upper``."""
    n = sf.n
    implied_lo, implied_hi = np.zeros(n), np.ones(n)
    for it in items:
        idx = list(it.index)
        if it.kind == LOWER:
            implied_lo[idx] = np.maximum(implied_lo[idx], it.values)
        elif it.kind == UPPER:
            implied_hi[idx] = np.minimum(implied_hi[idx], it.values)
    out: list[Item] = []
    for i, t in enumerate(cs.tickers):
        lo, hi = float(sf.lower[0, i]), float(sf.upper[0, i])
        if lo > implied_lo[i] + BOUND_SLACK:
            out.append(Item(f"lower:{t}", f"at least {_fmt(lo, 'weight')} in {t}",
                            "constraints.lower", LOWER, (i,), (lo,), ">=", lo, "weight",
                            f"the weight of {t}"))
        if hi < implied_hi[i] - BOUND_SLACK:
            out.append(Item(f"upper:{t}", f"at most {_fmt(hi, 'weight')} in {t}",
                            "constraints.upper", UPPER, (i,), (hi,), "<=", hi, "weight",
                            f"the weight of {t}"))
    return out


def _row_items(cs: ConstraintSet, sf: StandardForm) -> list[Item]:
    """Class minimums and maximums and the ESG floor: one side of a form row each; any row
    side no user constraint explains becomes a ``constraints`` item of its own."""
    out: list[Item] = []
    owned: set[tuple[int, str]] = set()
    for g in cs.groups:
        hit = row_of(sf, g.members)
        if hit is None:
            continue
        r, norm = hit
        if g.min > 0:
            out.append(Item(f"class_min:{g.name}",
                            f"minimum {g.name} allocation {_fmt(g.min, 'weight')}",
                            g.field_min or f"constraints.groups['{g.name}'].min", ROW, (r,),
                            (g.min / norm,), ">=", g.min, "weight", f"the {g.name} allocation",
                            scale=norm))
            owned.add((r, ">="))
        if g.max < 1:
            out.append(Item(f"class_max:{g.name}",
                            f"maximum {g.name} allocation {_fmt(g.max, 'weight')}",
                            g.field_max or f"constraints.groups['{g.name}'].max", ROW, (r,),
                            (g.max / norm,), "<=", g.max, "weight", f"the {g.name} allocation",
                            scale=norm))
            owned.add((r, "<="))
    if cs.min_esg_score is not None and cs.esg_scores is not None:
        hit = row_of(sf, cs.esg_coefficients())
        if hit is not None:
            r, norm = hit
            floor = cs.min_esg_score
            if cs.missing_score_policy.value == "ignore":
                # floor on the scored part: s·w − floor·(scored weight) ≥ 0
                out.append(Item("esg_floor",
                                f"minimum portfolio ESG score {floor:.1f} (scored holdings only)",
                                "preferences.min_esg_score", ROW, (r,), (0.0,), ">=", 0.0,
                                "score", "the ESG score margin", scale=norm))
            else:  # (s − floor)·w ≥ 0 with Σw = 1: the score itself against the floor
                out.append(Item("esg_floor", f"minimum portfolio ESG score {floor:.1f}",
                                "preferences.min_esg_score", ROW, (r,), (0.0,), ">=", floor,
                                "score", "the portfolio ESG score", scale=norm))
            owned.add((r, ">="))
    for r, name in enumerate(sf.row_names):
        if name == "budget":
            continue
        for sense, bound in ((">=", sf.row_lo[0, r]), ("<=", sf.row_hi[0, r])):
            if np.isfinite(bound) and (r, sense) not in owned:
                out.append(Item(f"row:{name}{sense}", f"the constraint {name} {sense} "
                                f"{float(bound):.4g}", "constraints", ROW, (r,),
                                (float(bound),), sense, float(bound), "weight",
                                f"the row {name}"))
    return out


def items_from_constraints(cs: ConstraintSet, factor: FloatArray | None = None) -> list[Item]:
    """Every user-set constraint of ``cs`` as an :class:`Item` of its standard form."""
    return Diagnosis(cs, factor).items


def find_conflicts(cs: ConstraintSet, factor: FloatArray | None = None
                   ) -> list[ConstraintConflict]:
    """An irreducible set of conflicting user constraints, each with its required relaxation.

    Returns an empty list when the user constraints are feasible together (the infeasibility
    then lies elsewhere, e.g. a return target).
    """
    return Diagnosis(cs, factor).conflicts()


def best_esg_score(cs: ConstraintSet, factor: FloatArray | None = None) -> float | None:
    """The highest portfolio ESG score reachable under every user constraint but the floor.

    Missing scores count as the policy says (0 under ``worst``; excluded assets cannot be
    held). Under ``ignore`` the score is that of the scored part of the portfolio (a
    linear-fractional programme, solved with the Charnes–Cooper substitution). None when the
    universe has no scores or the other constraints are infeasible themselves.
    """
    return Diagnosis(cs, factor).best_esg_score()


def _esg_headline(diag: Diagnosis, conflicts: list[ConstraintConflict]) -> str | None:
    """"A minimum score of 80 is above the best achievable 72 under your bounds" (or None)."""
    cs = diag.cs
    if cs.min_esg_score is None or not any(c.name == "esg_floor" for c in conflicts):
        return None
    best = diag.best_esg_score()
    if best is None or best >= cs.min_esg_score:
        return None
    scope = " (scored holdings only)" if cs.missing_score_policy.value == "ignore" else ""
    return (f"A minimum portfolio ESG score of {cs.min_esg_score:.1f}{scope} is above the best "
            f"achievable {best:.1f} under your other constraints (bounds, exclusions, "
            "concentration limits and volatility ceiling).")


def explain_infeasible(cs: ConstraintSet, factor: FloatArray | None = None,
                       *, context: str = "") -> InfeasibleError:
    """Build the :class:`InfeasibleError` for ``cs`` (not raised here).

    ``factor`` is F with FᵀF = Σ (any units); without it a volatility ceiling is not
    examined.
    """
    diag = Diagnosis(cs, factor)
    items = {it.name: it for it in diag.items}
    conflicts = diag.conflicts()
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
    headline = _esg_headline(diag, conflicts)
    if headline:
        lines.insert(0, headline)
    fix = "relax one of: " + "; ".join(dict.fromkeys(c.field for c in conflicts))
    return InfeasibleError("\n".join(lines), conflicts=conflicts, fix=fix)


__all__ = ["Diagnosis", "Item", "best_esg_score", "explain_infeasible", "find_conflicts",
           "items_from_constraints"]
