"""Advisor judgement as constraints of the plan, and what it costs.

An advisor may overrule the optimizer for one client: hold exactly x % of an asset, keep a
holding as it is, keep an asset or a class within bounds, or follow the firm's model
portfolio. Each override is a *constraint* of the plan, not an edit of its result: the engine
optimizes around it, and the plan says what it costs by running the same pipeline without the
overrides on the same simulated markets (as :func:`~tailorfolio.planning._build.
with_cost_of_values` does for ESG preferences).

How each override becomes a constraint (``preferences.asset_bounds`` /
``asset_class_bounds`` of the profile, intersected with the investor's own bounds):

* ``lock`` — hold exactly ``weight`` of ``target`` (a ticker): bounds ``[weight, weight]``.
* ``keep`` — keep today's holding of ``target``: bounds at today's share of it in the
  household (value at today's prices / investable wealth). This fixes the *share*, not the
  lots: the tax-aware transition does not sell it (there is nothing to rebalance) but may
  still move it between accounts.
* ``bounds`` — ``[min, max]`` on a ticker; ``class_bounds`` — on an asset class or broad
  class (``equity``, ``us_equity`` …).
* ``model`` — the firm's model portfolio as a band: every asset of the universe within
  ``± tolerance`` of the model's weight (0 outside the model gets ``[0, tolerance]``). A band,
  not the model itself as the target, so the plan keeps its goal sleeves and glide paths and
  the advisor sees how far the band moves the odds; a tolerance of 0 pins the model.

The bounds apply to every sleeve's portfolio (the portfolio family), so the invested money
respects them at every equity share; the emergency reserve stays in cash outside them (a
household with a reserve holds a locked asset at ``weight × (1 − reserve share)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from tailorfolio.errors import ParameterError, ProfileError, TailorfolioError
from tailorfolio.esg._cost import goal_probabilities
from tailorfolio.market._market import Market
from tailorfolio.optimize._optimizer import PortfolioOptimizer
from tailorfolio.planning._plan import Plan
from tailorfolio.planning._settings import PlanSettings
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.profile._preferences import Bounds

OverrideKind = Literal["lock", "keep", "bounds", "class_bounds", "model"]
OVERRIDE_KINDS: tuple[str, ...] = ("lock", "keep", "bounds", "class_bounds", "model")

WEIGHT_SUM_TOLERANCE = 1e-3
"""A model portfolio's weights must sum to 1 within this."""


@dataclass(frozen=True)
class ModelPortfolio:
    """A firm's named target weights over the universe.

    Attributes
    ----------
    name : str
    weights : mapping of ticker to float
        Decimals, >= 0, summing to 1.
    tolerance : float
        Band around each weight when a client follows the model, decimal (0.05 = ± 5 points).
    """

    name: str
    weights: Mapping[str, float]
    tolerance: float = 0.05


@dataclass(frozen=True)
class Override:
    """One piece of advisor judgement for one client.

    Attributes
    ----------
    kind : str
        One of :data:`OVERRIDE_KINDS`.
    target : str
        Ticker (``lock``, ``keep``, ``bounds``), class (``class_bounds``) or the model's name.
    min, max : float, optional
        Bounds, decimals (``lock`` uses ``min`` as the weight).
    reason : str
        Why (required; recorded with the plan).
    model : ModelPortfolio, optional
        The model (``kind == "model"``).
    """

    kind: str
    target: str
    reason: str
    min: float | None = None
    max: float | None = None
    model: ModelPortfolio | None = None


def check_model(model: ModelPortfolio, market: Market) -> None:
    """Raise a typed error unless ``model`` is valid target weights over ``market``."""
    bad = sorted(t for t in model.weights if t not in market.universe.tickers)
    if bad:
        raise ParameterError(
            f"Model portfolio {model.name!r} holds {bad}, which are not in the universe.",
            field="weights", value=bad, fix="use tickers of the universe")
    if any(not 0 <= w <= 1 for w in model.weights.values()):
        raise ParameterError(f"Model portfolio {model.name!r} has a weight outside [0, 1].",
                             field="weights", expected="decimals in [0, 1]",
                             fix="give weights as decimals (0.25 = 25 %)")
    total = sum(model.weights.values())
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise ParameterError(
            f"Model portfolio {model.name!r}'s weights sum to {total:.4f}, not 1.",
            field="weights", value=round(total, 6), expected="weights summing to 1",
            fix="adjust the weights so they add up to 100 %")
    if not 0 <= model.tolerance <= 1:
        raise ParameterError(f"tolerance must be in [0, 1]; got {model.tolerance!r}.",
                             field="tolerance", value=model.tolerance)


def _bounds_of(o: Override, profile: InvestorProfile, market: Market
               ) -> tuple[str, dict[str, Bounds]]:
    """(``asset`` or ``class``, key → bounds) of one override."""
    if not o.reason.strip():
        raise ParameterError(f"The {o.kind} override of {o.target!r} has no reason.",
                             field="reason", fix="say why the plan should follow it")
    if o.kind == "model":
        if o.model is None:
            raise ParameterError("A model override needs its model portfolio.", field="model")
        check_model(o.model, market)
        tol = o.model.tolerance
        return "asset", {t: Bounds(min=max(0.0, o.model.weights.get(t, 0.0) - tol),
                                   max=min(1.0, o.model.weights.get(t, 0.0) + tol))
                         for t in market.universe.tickers}
    if o.kind == "class_bounds":
        key = o.target.strip().lower()
        known = {market.universe[t].asset_class for t in market.universe.tickers} | {
            market.universe[t].broad_class for t in market.universe.tickers}
        if key not in known:
            raise ParameterError(f"{o.target!r} is not an asset class of the universe.",
                                 field="target", value=o.target,
                                 expected=", ".join(sorted(known)),
                                 fix="use a broad class (equity, bond…) or a fine class")
        return "class", {key: _range(o)}
    ticker = o.target.strip().upper()
    if ticker not in market.universe.tickers:
        raise ParameterError(f"{ticker!r} is not in the universe.", field="target",
                             value=o.target, fix="use a ticker of the universe")
    if o.kind == "lock":
        w = _weight(o.min, "min")
        return "asset", {ticker: Bounds(min=w, max=w)}
    if o.kind == "keep":
        prices = {t: market.price_of(t) for t in profile.held_assets}
        wealth = sum(a.value(prices) for a in profile.accounts)
        held = sum(lot.quantity * prices[lot.asset] for a in profile.accounts for lot in a.lots
                   if lot.asset == ticker)
        w = held / wealth if wealth > 0 else 0.0
        return "asset", {ticker: Bounds(min=w, max=w)}
    if o.kind == "bounds":
        return "asset", {ticker: _range(o)}
    raise ParameterError(f"Unknown override kind {o.kind!r}.", field="kind", value=o.kind,
                         expected=" / ".join(OVERRIDE_KINDS))


def _weight(x: float | None, field: str) -> float:
    if x is None or not 0 <= float(x) <= 1:
        raise ParameterError(f"{field} must be a weight in [0, 1]; got {x!r}.", field=field,
                             value=x, expected="a decimal in [0, 1] (0.1 = 10 %)")
    return float(x)


def _range(o: Override) -> Bounds:
    lo = _weight(0.0 if o.min is None else o.min, "min")
    hi = _weight(1.0 if o.max is None else o.max, "max")
    if lo > hi:
        raise ParameterError(f"min ({lo}) is above max ({hi}) for {o.target!r}.", field="min",
                             value=lo, fix="swap them")
    return Bounds(min=lo, max=hi)


def _intersect(a: Bounds | None, b: Bounds, field: str) -> Bounds:
    if a is None:
        return b
    lo, hi = max(a.min, b.min), min(a.max, b.max)
    if lo > hi + 1e-12:
        raise ProfileError(
            f"The overrides ask for [{b.min:.1%}, {b.max:.1%}] of {field.rsplit('.', 1)[-1]} "
            f"but the profile already allows only [{a.min:.1%}, {a.max:.1%}].",
            field=field, value=[b.min, b.max],
            fix="change the override or the profile's bound so the two ranges overlap")
    return Bounds(min=lo, max=min(max(hi, lo), 1.0))


def apply_overrides(profile: InvestorProfile, overrides: Sequence[Override], market: Market
                    ) -> InvestorProfile:
    """``profile`` with ``overrides`` added to its ``preferences.asset_bounds`` and
    ``asset_class_bounds`` (each intersected with what the profile already says).

    Raises
    ------
    ParameterError
        An override that is incomplete or names something the universe does not have.
    ProfileError
        An override that contradicts the profile's own bounds.
    """
    prefs = profile.preferences
    assets = dict(prefs.asset_bounds)
    classes = dict(prefs.asset_class_bounds)
    for o in overrides:
        level, bounds = _bounds_of(o, profile, market)
        target = assets if level == "asset" else classes
        name = "asset_bounds" if level == "asset" else "asset_class_bounds"
        for key, b in bounds.items():
            target[key] = _intersect(target.get(key), b, f"preferences.{name}.{key}")
    new = prefs.model_copy(update={"asset_bounds": assets, "asset_class_bounds": classes})
    return profile.model_copy(update={"preferences": new})


@dataclass(frozen=True)
class CostOfOverrides:
    """The plan with the advisor's overrides against the same plan without them.

    Attributes
    ----------
    overrides : tuple of Override
    expected_return, base_expected_return : float
        Annual, decimals (household target today).
    volatility, base_volatility : float
    equity_share, base_equity_share : float
    goals, base_goals : dict of str to float
        Goal name → probability, decimals (same seed, same paths).
    estimated_tax, base_estimated_tax : float or None
        Tax the plan's sales add this year, currency units (None: trades not computed).
    weights, base_weights : dict of str to float
        Household target weights.
    wealth : float
    """

    overrides: tuple[Override, ...]
    expected_return: float
    base_expected_return: float
    volatility: float
    base_volatility: float
    equity_share: float
    base_equity_share: float
    goals: dict[str, float]
    base_goals: dict[str, float]
    estimated_tax: float | None
    base_estimated_tax: float | None
    weights: dict[str, float]
    base_weights: dict[str, float]
    wealth: float

    @property
    def return_cost(self) -> float:
        """Expected return given up for the overrides, annual decimal (negative: a gain)."""
        return self.base_expected_return - self.expected_return

    @property
    def return_cost_per_year(self) -> float:
        """:attr:`return_cost` in money per year at today's wealth."""
        return self.return_cost * self.wealth

    @property
    def tax_cost(self) -> float | None:
        """Extra tax this year because of the overrides, currency units."""
        if self.estimated_tax is None or self.base_estimated_tax is None:
            return None
        return self.estimated_tax - self.base_estimated_tax

    def to_dict(self) -> dict[str, object]:
        """Plain data (stored with the plan's report)."""
        return {
            "overrides": [{"kind": o.kind, "target": o.target, "min": o.min, "max": o.max,
                           "reason": o.reason,
                           "model": None if o.model is None else o.model.name}
                          for o in self.overrides],
            "expected_return": self.expected_return,
            "base_expected_return": self.base_expected_return,
            "return_cost": self.return_cost, "return_cost_per_year": self.return_cost_per_year,
            "volatility": self.volatility, "base_volatility": self.base_volatility,
            "equity_share": self.equity_share, "base_equity_share": self.base_equity_share,
            "goals": [{"name": n, "probability": p, "base_probability": self.base_goals.get(n),
                       "change": None if n not in self.base_goals else p - self.base_goals[n]}
                      for n, p in self.goals.items()],
            "estimated_tax": self.estimated_tax, "base_estimated_tax": self.base_estimated_tax,
            "tax_cost": self.tax_cost,
            "weights": [{"ticker": t, "weight": self.weights.get(t, 0.0),
                         "base_weight": self.base_weights.get(t, 0.0),
                         "difference": self.weights.get(t, 0.0) - self.base_weights.get(t, 0.0)}
                        for t in sorted(set(self.weights) | set(self.base_weights))
                        if max(self.weights.get(t, 0.0), self.base_weights.get(t, 0.0)) >= 1e-4],
            "wealth": self.wealth,
        }


def _tax(plan: Plan) -> float | None:
    return None if plan.accounts is None else float(plan.accounts.tax.estimated_tax)


def compare_overrides(plan: Plan, base: Plan, overrides: Sequence[Override]) -> CostOfOverrides:
    """The :class:`CostOfOverrides` of ``plan`` (with the overrides) against ``base``."""
    return CostOfOverrides(
        tuple(overrides), float(plan.expected_return), float(base.expected_return),
        float(plan.volatility), float(base.volatility), float(plan.household.equity_share),
        float(base.household.equity_share), goal_probabilities(plan), goal_probabilities(base),
        _tax(plan), _tax(base), dict(plan.weights), dict(base.weights),
        float(plan.investable_wealth))


def cost_of_overrides(profile: InvestorProfile, overrides: Sequence[Override], market: Market,
                      settings: PlanSettings | None = None, as_of: date | None = None,
                      optimizer: PortfolioOptimizer | None = None
                      ) -> tuple[Plan, CostOfOverrides]:
    """The plan of ``profile`` under ``overrides`` and what they cost: the same pipeline run
    without them (same market, settings, seed and stored paths).

    Parameters
    ----------
    profile : InvestorProfile
        The investor without the overrides.
    overrides : sequence of Override
    market : Market
    settings : PlanSettings, optional
    as_of : date, optional
    optimizer : PortfolioOptimizer, optional
        Shared by both runs.

    Returns
    -------
    plan : Plan
        The plan with the overrides as constraints.
    cost : CostOfOverrides

    Raises
    ------
    ParameterError, ProfileError
        An invalid override (see :func:`apply_overrides`).
    InfeasibleError
        The overrides cannot all hold together with the investor's constraints.
    """
    from tailorfolio.planning._build import build_plan

    settings = settings or PlanSettings()
    opt = optimizer or PortfolioOptimizer(solvers=settings.solvers)
    constrained = apply_overrides(profile, overrides, market)
    try:
        plan = build_plan(constrained, market, settings=settings, as_of=as_of, optimizer=opt)
    except TailorfolioError as exc:
        exc.add_note("with the advisor's overrides: " + "; ".join(
            f"{o.kind} {o.target}" for o in overrides))
        raise
    base = build_plan(profile, market, settings=settings, as_of=as_of, optimizer=opt)
    return plan, compare_overrides(plan, base, overrides)


def overrides_from_dicts(rows: Sequence[Mapping[str, object]]) -> tuple[Override, ...]:
    """Overrides from plain data (``kind``, ``target``, ``min``, ``max``, ``reason`` and, for
    a model, ``model: {name, weights, tolerance}``)."""
    out = []
    for i, r in enumerate(rows):
        kind = str(r.get("kind", ""))
        if kind not in OVERRIDE_KINDS:
            raise ParameterError(f"overrides[{i}].kind must be one of {OVERRIDE_KINDS}; got "
                                 f"{kind!r}.", field=f"overrides[{i}].kind", value=kind)
        m = r.get("model")
        model = None
        if isinstance(m, Mapping):
            raw_w = m.get("weights")
            weights = {str(k): float(v) for k, v in raw_w.items()} \
                if isinstance(raw_w, Mapping) else {}
            tol = m.get("tolerance", 0.05)
            model = ModelPortfolio(str(m.get("name", "")), weights,
                                   float(tol) if isinstance(tol, (int, float)) else 0.05)
        lo, hi = r.get("min"), r.get("max")
        out.append(Override(kind, str(r.get("target", "")), str(r.get("reason", "")),
                            None if lo is None else float(str(lo)),
                            None if hi is None else float(str(hi)), model))
    return tuple(out)


__all__ = ["OVERRIDE_KINDS", "CostOfOverrides", "ModelPortfolio", "Override",
           "apply_overrides", "check_model", "compare_overrides", "cost_of_overrides",
           "overrides_from_dicts"]
