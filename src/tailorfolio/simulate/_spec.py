"""What to simulate: pots of money, their cash flows, the goals they fund, fees and taxes.

Everything here is plain data with monthly schedules, so any front end (an investor profile,
a test, a benchmark, another issue's glide path) can build a :class:`SimulationSpec`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tailorfolio.errors import ParameterError
from tailorfolio.typing import FloatArray

ACCOUNT_TYPES = ("taxable", "traditional", "roth")
"""Tax buckets of a pot, in the order used by every (3,) array here."""

BAND_FLOOR = 1e-12
"""Smallest drift band: a zero target with a zero holding is not a drift (rounding noise)."""


@dataclass(frozen=True)
class Pot:
    """A pool of money invested with one allocation: the household, or one goal's
    sub-portfolio (a "mental account", Das, Markowitz, Scheid & Statman 2010).

    Attributes
    ----------
    name : str
    weights : ndarray (n_assets,) or (n_steps, n_assets)
        Target weights (each row sums to 1); a 2-D array is a glide path: row ``t`` is the
        target in month ``t``.
    initial_balance : ndarray (3,)
        Money in taxable, traditional and Roth accounts at the start, currency units.
    taxable_basis : float
        Cost basis of the taxable money at the start (<= its balance for a gain).
    monthly_contribution : ndarray (n_steps,)
        Nominal deposit at the start of each month, currency units (>= 0).
    contribution_split : ndarray (3,)
        Share of each deposit going to taxable / traditional / Roth (sums to 1).
    sweep_to : int, optional
        Index of the pot that takes over this pot's money (positions, tax buckets and basis,
        without trading) at the start of month ``sweep_step``, after that month's withdrawals:
        what is left of a goal's sleeve once the goal is paid goes back to the household
        (e.g. to the retirement sleeve). The receiving pot trades the positions to its own
        target at its next rebalancing (counted in turnover and taxes). None: never.
    sweep_step : int
        Month of the sweep (ignored without ``sweep_to``).
    """

    name: str
    weights: FloatArray
    initial_balance: FloatArray
    taxable_basis: float
    monthly_contribution: FloatArray
    contribution_split: FloatArray = field(
        default_factory=lambda: np.array([1.0, 0.0, 0.0]))
    sweep_to: int | None = None
    sweep_step: int = 0

    @property
    def initial_total(self) -> float:
        return float(np.sum(self.initial_balance))


@dataclass(frozen=True)
class GoalSchedule:
    """One goal's withdrawals from a pot.

    Attributes
    ----------
    name : str
    pot : int
        Index of the pot that funds it.
    priority_rank : int
        Order in which goals falling due in the same month are funded (0 first).
    real_withdrawal : ndarray (n_steps,)
        Net (after-tax) amount needed at the start of each month, in today's money; the
        engine multiplies it by the path's price level. Zero in months without a withdrawal.
    kind : str
        ``lump_sum`` or ``income`` (reporting only).
    weight : float
        Importance weight used when goals are combined (essential 1.0, important 0.6,
        aspirational 0.3).
    nominal : bool
        When true, ``real_withdrawal`` holds fixed nominal amounts (not inflated by the path).
    reserve_real : ndarray (n_steps,), optional
        Strict priority: the goal is paid only from pot wealth above this reserve (today's
        money, inflated along the path), e.g. the present value of later higher-priority
        withdrawals.
    """

    name: str
    pot: int
    priority_rank: int
    real_withdrawal: FloatArray
    kind: str = "lump_sum"
    weight: float = 1.0
    nominal: bool = False
    reserve_real: FloatArray | None = None

    @property
    def due_step(self) -> int:
        """First month with a withdrawal."""
        nz = np.flatnonzero(self.real_withdrawal > 0)
        return int(nz[0]) if len(nz) else len(self.real_withdrawal) - 1

    @property
    def need_real(self) -> float:
        """Total net amount needed, today's money."""
        return float(self.real_withdrawal.sum())


@dataclass(frozen=True)
class TaxTreatment:
    """How withdrawals are taxed (rates include state tax).

    Withdrawals come from taxable money first (realized gains taxed at
    ``capital_gains_rate``, pro-rata basis), then traditional accounts (ordinary income, plus
    the early-withdrawal penalty before ``penalty_before_step``), then Roth (tax free): the
    conventional withdrawal sequence. Gross withdrawals are sized so the goal receives its
    amount net of tax.

    Attributes
    ----------
    ordinary_rate, capital_gains_rate : float
        Decimals.
    early_penalty_rate : float
        IRC §72(t) additional tax on traditional withdrawals before age 59½ (0.10).
    penalty_before_step : int
        Month at which the investor reaches 59½ (0 = never penalised).
    tax_rebalancing_gains : bool
        When true, rebalancing sales realize capital gains on the taxable share of a pot and
        the tax (``capital_gains_rate`` on the gain, average cost, losses not credited) is paid
        out of the pot. A pot holds one mix across its tax buckets, so its sales are taken
        from the buckets in proportion to their value. Off by default (rebalancing is tax
        free, as before).
    """

    ordinary_rate: float = 0.0
    capital_gains_rate: float = 0.0
    early_penalty_rate: float = 0.10
    penalty_before_step: int = 0
    tax_rebalancing_gains: bool = False

    def liquidation_rate_traditional(self, step: int) -> float:
        """Tax (and penalty) rate on traditional money withdrawn in month ``step``."""
        return self.ordinary_rate + (self.early_penalty_rate if step < self.penalty_before_step
                                     else 0.0)


@dataclass(frozen=True)
class RebalanceBand:
    """Drift bands: a pot is rebalanced (all the way back to its target) in any month in which
    an asset's weight is more than ``abs_band`` away from its target or, when ``rel_band`` is
    given, more than ``rel_band`` × its target away — the smaller band applies, so Vanguard's
    "5/25" rule is ``RebalanceBand(0.05, 0.25)`` (Jaconetti, Kinniry & Zilbering, *Best
    practices for portfolio rebalancing*, Vanguard 2010). Checked every month, per path.

    Attributes
    ----------
    abs_band : float
        Absolute band, decimal weight, in (0, 1).
    rel_band : float, optional
        Relative band, fraction of the target weight (> 0).
    """

    abs_band: float = 0.05
    rel_band: float | None = 0.25

    def __post_init__(self) -> None:
        if not 0 < self.abs_band < 1:
            raise ParameterError(f"RebalanceBand.abs_band must be in (0, 1). Got "
                                 f"{self.abs_band}.", field="abs_band", value=self.abs_band,
                                 fix="give the band as a decimal weight, e.g. 0.05")
        if self.rel_band is not None and self.rel_band <= 0:
            raise ParameterError(f"RebalanceBand.rel_band must be > 0. Got {self.rel_band}.",
                                 field="rel_band", value=self.rel_band,
                                 fix="give the band as a fraction of the target, e.g. 0.25")

    def thresholds(self, target: FloatArray) -> FloatArray:
        """Allowed absolute deviation of each weight from ``target`` (same shape)."""
        band = np.full(np.shape(target), self.abs_band)
        if self.rel_band is not None:
            band = np.minimum(band, self.rel_band * np.abs(target))
        return np.maximum(band, BAND_FLOOR)


@dataclass(frozen=True)
class SimulationSpec:
    """A complete simulation problem.

    Attributes
    ----------
    tickers : tuple of str
        Asset order of every weight array and of the return model.
    n_steps : int
        Months simulated (a multiple of 12).
    pots : tuple of Pot
    goals : tuple of GoalSchedule
    expense_ratio : ndarray (n_assets,)
        Annual fund expense ratios, decimals, deducted monthly.
    advisory_fee_bps : float
        Annual advisory fee on assets, basis points, deducted monthly.
    rebalance_every_months : int
        Rebalance to the target (or glide-path row) every this many months; 0 never (deposits
        still buy the target weights).
    tax : TaxTreatment
    rebalance_band : RebalanceBand, optional
        Drift bands checked every month per path, in addition to the calendar (set
        ``rebalance_every_months=0`` for bands only). None (default): calendar only.
    transition_tax : float
        Tax paid today on the sales that moved the household from its current holdings to the
        pots' starting weights, currency units (already deducted from the pots' balances);
        counted in every path's taxes. 0 by default.
    income_real, income_nominal : ndarray (n_steps,), optional
        Household income (Social Security, pensions, ...) available in each month to pay
        income goals' withdrawals before the pots are drawn on: ``income_real`` in today's
        money (multiplied by the path's price level), ``income_nominal`` in currency units.
        Goals withdrawing in the same month use it in funding order; what no income goal
        needs that month is not saved. None (default): no such income.
    """

    tickers: tuple[str, ...]
    n_steps: int
    pots: tuple[Pot, ...]
    goals: tuple[GoalSchedule, ...] = ()
    expense_ratio: FloatArray | None = None
    advisory_fee_bps: float = 0.0
    rebalance_every_months: int = 12
    tax: TaxTreatment = field(default_factory=TaxTreatment)
    rebalance_band: RebalanceBand | None = None
    transition_tax: float = 0.0
    income_real: FloatArray | None = None
    income_nominal: FloatArray | None = None

    def __post_init__(self) -> None:
        n, s = len(self.tickers), self.n_steps
        if s <= 0 or s % 12:
            raise ParameterError(f"n_steps must be a positive multiple of 12 months; got {s}.",
                                 field="n_steps", value=s, fix="round the horizon up to "
                                 "whole years")
        if not self.pots:
            raise ParameterError("A simulation needs at least one pot of money.", field="pots")
        for i, p in enumerate(self.pots):
            w = np.asarray(p.weights, float)
            if w.shape not in ((n,), (s, n)):
                raise ParameterError(
                    f"pots[{i}].weights has shape {w.shape}; expected ({n},) or a glide path "
                    f"({s}, {n}).", field=f"pots[{i}].weights", value=w.shape)
            if (w < -1e-12).any() or not np.allclose(w.sum(axis=-1), 1.0, atol=1e-8):
                raise ParameterError(f"pots[{i}].weights must be >= 0 and sum to 1 in every "
                                     "month.", field=f"pots[{i}].weights",
                                     fix="normalise the weights")
            if p.monthly_contribution.shape != (s,):
                raise ParameterError(f"pots[{i}].monthly_contribution must have shape ({s},).",
                                     field=f"pots[{i}].monthly_contribution",
                                     value=p.monthly_contribution.shape)
            if np.asarray(p.initial_balance).shape != (3,) or (p.initial_balance < 0).any():
                raise ParameterError(f"pots[{i}].initial_balance must be 3 amounts >= 0 "
                                     "(taxable, traditional, Roth).",
                                     field=f"pots[{i}].initial_balance")
            if not np.isclose(np.sum(p.contribution_split), 1.0):
                raise ParameterError(f"pots[{i}].contribution_split must sum to 1.",
                                     field=f"pots[{i}].contribution_split",
                                     value=list(p.contribution_split))
        for i, p in enumerate(self.pots):
            if p.sweep_to is not None and (not 0 <= p.sweep_to < len(self.pots)
                                           or p.sweep_to == i
                                           or not 0 <= p.sweep_step < s):
                raise ParameterError(
                    f"pots[{i}].sweep_to must name another pot (0..{len(self.pots) - 1}) and "
                    f"sweep_step a month in 0..{s - 1}; got {p.sweep_to}, {p.sweep_step}.",
                    field=f"pots[{i}].sweep_to", value=(p.sweep_to, p.sweep_step))
        for j, g in enumerate(self.goals):
            if g.real_withdrawal.shape != (s,) or not 0 <= g.pot < len(self.pots):
                raise ParameterError(f"goals[{j}] ({g.name!r}) needs real_withdrawal of shape "
                                     f"({s},) and a valid pot index.", field=f"goals[{j}]")
        for name in ("income_real", "income_nominal"):
            flow = getattr(self, name)
            if flow is not None and (np.shape(flow) != (s,) or not np.all(np.asarray(flow) >= 0)):
                raise ParameterError(f"{name} must be {s} monthly amounts >= 0.", field=name,
                                     value=np.shape(flow))
        if self.rebalance_every_months < 0:
            raise ParameterError("rebalance_every_months must be >= 0 (0 = never). Got "
                                 f"{self.rebalance_every_months}.",
                                 field="rebalance_every_months",
                                 value=self.rebalance_every_months)
        if not self.transition_tax >= 0:
            raise ParameterError(f"transition_tax must be >= 0. Got {self.transition_tax}.",
                                 field="transition_tax", value=self.transition_tax)
        if self.expense_ratio is not None and np.shape(self.expense_ratio) != (n,):
            raise ParameterError(f"expense_ratio must have shape ({n},).",
                                 field="expense_ratio")

    @property
    def n_years(self) -> int:
        return self.n_steps // 12

    def weights_path(self, pot: int) -> FloatArray:
        """Target weights of ``pot`` for every month, ndarray (n_steps, n_assets)."""
        w = np.asarray(self.pots[pot].weights, float)
        return np.broadcast_to(w, (self.n_steps, len(self.tickers))) if w.ndim == 1 else w

    def monthly_fee_factor(self) -> FloatArray:
        """Monthly multiplier of each asset's value for fees, ndarray (n_assets,)."""
        er = np.zeros(len(self.tickers)) if self.expense_ratio is None else np.asarray(
            self.expense_ratio, float)
        return (1 - er / 12) * (1 - self.advisory_fee_bps / 1e4 / 12)
