"""The typed, frozen sections of a :class:`~tailorfolio.planning.Plan`.

Every section is plain data (numbers, strings, tuples, dicts of numbers, nested sections) so
one JSON schema describes the whole plan (:func:`tailorfolio.planning.plan_json_schema`) and
the report, the service and the tests read fields, not guessed keys.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from tailorfolio.allocation._choice import IntensityTrial
from tailorfolio.esg._stage import EsgReport
from tailorfolio.goals._outcomes import GoalOutcome
from tailorfolio.optimize._result import BindingConstraint
from tailorfolio.tax._plan_stage import AccountPlan, TaxSummary


def plain(obj: Any) -> Any:
    """``obj`` as JSON-ready data (dataclasses, enums, numpy scalars and dates converted)."""
    import math
    from enum import Enum

    import numpy as np

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if f.metadata.get("serialize", True)}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, np.ndarray):
        return [plain(v) for v in obj.tolist()]
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj


class _Section:
    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        out = plain(self)
        assert isinstance(out, dict)
        return out


@dataclass(frozen=True)
class AssetAssumption(_Section):
    """One asset of the plan's market and what the plan assumed for it.

    Attributes
    ----------
    ticker, name, asset_class, broad_class : str
    expected_return : float
        The plan's annual arithmetic expected return (after the return model), decimal.
    forecast_return : float
        The capital-market forecast as given, decimal.
    volatility : float
        Annual, decimal.
    expense_ratio : float
        Annual, decimal.
    esg_score : float or None
        The score the plan's ESG rules used (0–100, higher is better), if any.
    """

    ticker: str
    name: str
    asset_class: str
    broad_class: str
    expected_return: float
    forecast_return: float
    volatility: float
    expense_ratio: float
    esg_score: float | None = None


@dataclass(frozen=True)
class ReturnModelSection(_Section):
    """How the plan's expected returns were formed.

    Attributes
    ----------
    model : str
        ``equilibrium_views`` (default), ``equilibrium`` or ``forecasts``.
    description : str
    details : dict of str to float or str
        Model parameters (e.g. risk aversion δ, τ, view confidence) and market weights.
    warnings : tuple of str
    """

    model: str
    description: str
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class MarketSection(_Section):
    """The market the plan used, resolved (screened funds included, returns as modelled), so
    the report and the service never rebuild it.

    Attributes
    ----------
    universe : str
    assumptions : str
    assets : tuple of AssetAssumption
    correlation : tuple of tuple of float
        Correlation matrix in ``assets`` order.
    risk_free_rate, inflation : float
    sources : dict of str to str
    return_model : ReturnModelSection
    """

    universe: str
    assumptions: str
    assets: tuple[AssetAssumption, ...]
    correlation: tuple[tuple[float, ...], ...]
    risk_free_rate: float
    inflation: float
    sources: dict[str, str]
    return_model: ReturnModelSection


@dataclass(frozen=True)
class GroupLimit(_Section):
    """Bounds on an asset class's total weight (a sleeve's, and so the household's)."""

    name: str
    level: str
    tickers: tuple[str, ...]
    min: float
    max: float
    field_min: str
    field_max: str


@dataclass(frozen=True)
class ConstraintsSection(_Section):
    """The constraints every sleeve of the plan satisfies.

    Attributes
    ----------
    tickers : tuple of str
    lower, upper : tuple of float
        Per-asset weight bounds (excluded assets have upper 0).
    groups : tuple of GroupLimit
    excluded : dict of str to str
        Excluded ticker → the rule that removed it.
    min_esg_score : float or None
    esg_tilt : float
    max_volatility : float
        The risk level's volatility guard (it limits the equity share a sleeve may hold).
    max_equity_share : float
        The highest equity share any sleeve may hold (risk level, constraints and guard).
    """

    tickers: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    groups: tuple[GroupLimit, ...]
    excluded: dict[str, str]
    min_esg_score: float | None
    esg_tilt: float
    max_volatility: float
    max_equity_share: float


@dataclass(frozen=True)
class LadderRung(_Section):
    """What one risk level would hold for long-horizon money, for this investor's constraints.

    Attributes
    ----------
    level : int
    equity_share : float
        The ladder's share, after the investor's constraints and the volatility guard.
    expected_return, volatility : float
        Annual, decimals.
    weights : dict of str to float
        Non-zero weights.
    """

    level: int
    equity_share: float
    expected_return: float
    volatility: float
    weights: dict[str, float]


@dataclass(frozen=True)
class SleeveSection(_Section):
    """One sleeve: the money set aside for a goal (or the reserve, or long-term money).

    Attributes
    ----------
    name : str
        The goal's name, ``emergency reserve`` or ``long-term money``.
    kind : str
        ``lump_sum``, ``income``, ``reserve`` or ``long_term``.
    priority : str
        The goal's priority (empty for the reserve and long-term money).
    years_to_goal : float or None
    amount : float
        Money in the sleeve today, currency units.
    share_of_wealth : float
        ``amount`` / investable wealth.
    need_present_value : float or None
        Present value of what the goal still needs from the portfolio (real 2 %), currency
        units: its withdrawals less its planned contributions and (income goals) less what
        the income streams pay.
    max_equity_share : float
        The risk level's cap for this sleeve.
    equity_share_now : float
    intensity : float
        Multiplier of the template glide path chosen by the Monte Carlo (1 = the template).
    weights : dict of str to float
        Today's target, non-zero weights.
    glide : tuple of (float, float)
        (years from now, equity share), yearly, until the path is flat.
    trials : tuple of IntensityTrial
        The paths the Monte Carlo compared and each one's probability of success.
    reason : str
    stream_present_value : float or None
        Income goals: present value (real 2 %) of what the household's income streams pay
        toward the goal, currency units; ``need_present_value`` is already net of it. None
        for other sleeves.
    """

    name: str
    kind: str
    priority: str
    years_to_goal: float | None
    amount: float
    share_of_wealth: float
    need_present_value: float | None
    max_equity_share: float
    equity_share_now: float
    intensity: float
    weights: dict[str, float]
    glide: tuple[tuple[float, float], ...]
    trials: tuple[IntensityTrial, ...]
    reason: str
    stream_present_value: float | None = None


@dataclass(frozen=True)
class FundingSection(_Section):
    """How today's money was split across the goals' sleeves.

    Attributes
    ----------
    rule : str
        One of :data:`tailorfolio.allocation.FUNDING_RULES`.
    scores : dict of str to float
        Each rule's priority-weighted chance of success on the same simulated markets.
    reason : str
    """

    rule: str
    scores: dict[str, float]
    reason: str


@dataclass(frozen=True)
class AllocationLine(_Section):
    """One row of the household's target allocation.

    Attributes
    ----------
    ticker, name, asset_class, broad_class : str
    weight : float
        Decimal share of the household's investable wealth.
    amount : float
        ``weight`` × investable wealth, currency units.
    expected_return, volatility : float
        The asset's own annual assumptions (the plan's), decimals.
    """

    ticker: str
    name: str
    asset_class: str
    broad_class: str
    weight: float
    amount: float
    expected_return: float
    volatility: float


@dataclass(frozen=True)
class HouseholdSection(_Section):
    """The household target today: the money-weighted sum of the sleeves.

    Attributes
    ----------
    allocation : tuple of AllocationLine
        Largest first; zero weights omitted.
    weights : dict of str to float
        Every asset's weight (zeros included), universe order.
    expected_return, volatility, sharpe : float
        Annual, decimals, under the plan's assumptions.
    equity_share : float
    effective_holdings : float
        1 / Σ w² (how many equal holdings the mix is worth).
    binding : tuple of BindingConstraint
        The investor's constraints that are at a limit in today's target.
    """

    allocation: tuple[AllocationLine, ...]
    weights: dict[str, float]
    expected_return: float
    volatility: float
    sharpe: float
    equity_share: float
    effective_holdings: float
    binding: tuple[BindingConstraint, ...]


@dataclass(frozen=True)
class AccountsSection(_Section):
    """Where the household target is held and how to get there from today's lots.

    Attributes
    ----------
    plans : tuple of AccountPlan
        Per-account targets (asset location), trades and the trades deliberately not made.
    tax : TaxSummary
    warnings : tuple of str
    """

    plans: tuple[AccountPlan, ...]
    tax: TaxSummary
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Alternative(_Section):
    """A policy the plan did *not* choose, shown beside the plan's own probability.

    Attributes
    ----------
    name : str
    description : str
        What the alternative is and what it would change, in words.
    model : str
        How its probability was computed.
    goal : str
        The goal compared ("all goals" for a priority-weighted figure).
    probability : float
        The alternative's probability of success.
    plan_probability : float
        The plan's own probability for the same goal under the same model.
    """

    name: str
    description: str
    model: str
    goal: str
    probability: float
    plan_probability: float


@dataclass(frozen=True)
class FanPoint(_Section):
    """Household wealth percentiles in one year, today's money."""

    year: int
    p5: float
    p10: float
    p25: float
    p50: float
    p75: float
    p90: float
    p95: float


@dataclass(frozen=True)
class WithdrawalSection(_Section):
    """Sustainable withdrawal rates of the income goal's sleeve (Bengen/Trinity style).

    Rates are decimals of the wealth at the start of the income; success levels are the share
    of simulated paths (``mc_*``) or historical US windows 1928–2024 (``historical_*``) on
    which inflation-adjusted withdrawals last ``years`` years.
    """

    goal: str
    years: int
    success_level: float
    starts_in_years: float
    planned_rate_today: float | None
    mc_sustainable_rate: float
    mc_success_at_4pct: float
    mc_success_at_planned: float | None
    historical_sustainable_rate: float
    historical_success_at_4pct: float
    historical_success_at_planned: float | None
    historical_windows: int
    historical_first_start: str | None
    historical_last_start: str | None
    historical_worst_start: str | None
    historical_worst_rate: float
    note: str


@dataclass(frozen=True)
class GoalsSection(_Section):
    """The goals under the plan's own policy: one probability per goal.

    Attributes
    ----------
    outcomes : tuple of GoalOutcome
        One per goal, from the simulation of what the plan recommends.
    model : str
        The simulation behind every outcome, in words.
    n_paths, seed : int
    priority_weighted_success : float
    fan_chart_real : tuple of FanPoint
    alternatives : tuple of Alternative
    withdrawal : WithdrawalSection or None
    """

    outcomes: tuple[GoalOutcome, ...]
    model: str
    n_paths: int
    seed: int
    priority_weighted_success: float
    fan_chart_real: tuple[FanPoint, ...]
    alternatives: tuple[Alternative, ...]
    withdrawal: WithdrawalSection | None = None


@dataclass(frozen=True)
class IncomeStreamLine(_Section):
    """One income stream the plan counted on (Social Security, a pension, an annuity, work).

    Attributes
    ----------
    name, kind : str
        ``name``: the profile's, else the kind in words ("Social Security"); ``kind``:
        ``social_security``, ``pension``, ``annuity`` or ``part_time_work``.
    owner : str
        ``primary`` or ``partner``: whose ages the start and end are.
    start_age : int
    end_age : int or None
        Exclusive; None = for life.
    annual_amount : float
        Per year in its first year, currency units (Social Security: the benefit at full
        retirement age times the claiming-age factor); today's money when
        ``inflation_adjusted``.
    inflation_adjusted : bool
    cola : float
        Yearly increase of a nominal stream, decimal.
    pays_goals : tuple of str
        The income goals it pays (empty when it pays only while no income goal is paying).
    counted_present_value : float
        Present value (real 2 %, today's money) of its income that pays those goals: what the
        sleeve funding subtracted from their needs.
    """

    name: str
    kind: str
    owner: str
    start_age: int
    end_age: int | None
    annual_amount: float
    inflation_adjusted: bool
    cola: float
    pays_goals: tuple[str, ...]
    counted_present_value: float


@dataclass(frozen=True)
class IncomeStreamsSection(_Section):
    """The income streams the plan counted on, and how (one meaning in every section: the
    sleeve funding and the goals' simulation count the same income).

    Attributes
    ----------
    streams : tuple of IncomeStreamLine
        In the profile's order.
    counted_present_value : float
        Sum of the streams' ``counted_present_value``, currency units.
    note : str
        The conventions, in words.
    """

    streams: tuple[IncomeStreamLine, ...]
    counted_present_value: float
    note: str


EsgSection = EsgReport
"""The ESG section (present only when the investor expressed ESG preferences)."""
