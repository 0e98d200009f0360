"""Risk profiling: willingness (questionnaire), capacity (facts), and the risk level 1–10.

The method, in the words of the robo-advisors it follows (``shared/reference/planning-methods.md``
§1.1, §1.4, §1.6):

* **Willingness** scores the questionnaire. Each answer maps to a score in (0, 1] (its option
  index scaled to the question's range) and the answers are combined by a weighted *power mean*
  with exponent p = −1 (a harmonic mean). A power mean with p < 1 equals the ordinary weighted
  average when the answers agree and falls below it when they disagree, so contradictory
  answers lower the score (Wealthfront: inconsistent answers give "a score below the weighted
  average") while the score stays monotone in every answer. Pairs of questions that measure the
  same attitude and sit far apart are reported by name.
* **Capacity** scores the facts: income stability, liquid wealth relative to the present value
  of the goals, the emergency reserve, and dependants; combined by the same kind of power mean.
  The horizon is *not* part of the level: the level is the ceiling for long-horizon money, and
  each goal's own horizon acts through its sleeve's glide path (:mod:`tailorfolio.allocation`),
  as Betterment's per-goal horizons do. Counting it here as well would lower a near goal's
  risk twice.
* **Combined** risk score = power mean of willingness and capacity with p = −4, which weights
  the more conservative of the two much more heavily (Wealthfront: "heavier weighting to
  whichever component is more risk averse").
* **Risk level** = ceil(10 × combined), in 1..10: a rung of the risk ladder
  (:data:`tailorfolio.risk.RISK_LADDER`: equity share of long-horizon money, γ, volatility
  guard), the one meaning of "risk level" in the plan, the fleet and the backtester.

Every score is a pure function of the profile; the plan reports each factor, and for each, how
many levels the investor would gain if that factor were at its best (the inputs that moved the
level).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from tailorfolio.profile._enums import PRIORITY_WEIGHT, AccountType, EmploymentStability, GoalKind
from tailorfolio.profile._goal_need import REAL_DISCOUNT_RATE, need_present_value
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.profile._stream_cover import stream_cover
from tailorfolio.profile._timeline import as_of_year
from tailorfolio.risk._ladder import RISK_LADDER
from tailorfolio.profile._questionnaire import CONSISTENCY_PAIRS, QUESTIONS, QUESTIONS_BY_KEY

WILLINGNESS_POWER = -1.0
CAPACITY_POWER = -1.0
COMBINE_POWER = -4.0
CONTRADICTION_GAP = 0.5
"""Two paired answers whose scaled scores differ by more than this are called contradictory."""
ANSWER_FLOOR = 0.1
"""Score of the most cautious option (keeps the power mean finite)."""

STREAM_PV_INFLATION = 0.02
"""Inflation used to put nominal income streams in today's money for the funded ratio (the
default market's VCMM 10-year US inflation midpoint, ``market._defaults.DEFAULT_INFLATION``)."""

LEVEL_TABLE: dict[int, tuple[float, float]] = {
    k: (r.risk_aversion, r.max_volatility) for k, r in RISK_LADDER.items()
}
"""Risk level → (risk aversion γ, annual volatility guard), read from :data:`RISK_LADDER`
(kept for callers that need only these two numbers)."""

INCOME_STABILITY_SCORE: dict[EmploymentStability, float] = {
    EmploymentStability.STABLE: 1.0,
    EmploymentStability.MODERATE: 0.75,
    EmploymentStability.VARIABLE: 0.5,
    EmploymentStability.RETIRED: 0.45,
    EmploymentStability.NOT_EMPLOYED: 0.25,
}


@dataclass(frozen=True)
class RiskFactor:
    """One input to the risk level.

    Attributes
    ----------
    name : str
        ``willingness.drop_reaction``, ``capacity.horizon``...
    value : str
        The input in words ("hold", "6.0 years").
    score : float
        In (0, 1], higher means more risk is appropriate.
    weight : float
    levels_lost : int
        How many levels higher the risk level would be if this factor scored 1.0.
    explanation : str
    """

    name: str
    value: str
    score: float
    weight: float
    levels_lost: int
    explanation: str


@dataclass(frozen=True)
class RiskAssessment:
    """The outcome of risk profiling.

    Attributes
    ----------
    level : int
        1 (most cautious) to 10.
    willingness, capacity, combined : float
        Scores in (0, 1].
    risk_aversion : float
        γ used by the optimizer.
    max_volatility : float
        Annual volatility guard, decimal.
    equity_share : float
        Stocks' share of long-horizon money at this level (the ladder), decimal.
    factors : tuple of RiskFactor
    contradictions : tuple of str
        Plain-language descriptions of contradictory answer pairs.
    consistency_penalty : float
        Weighted average minus power mean of the answers (0 when consistent).
    binding_component : str
        ``willingness`` or ``capacity``: whichever is lower.
    """

    level: int
    willingness: float
    capacity: float
    combined: float
    risk_aversion: float
    max_volatility: float
    factors: tuple[RiskFactor, ...]
    contradictions: tuple[str, ...]
    consistency_penalty: float
    binding_component: str
    equity_share: float = 0.0

    def reasons(self) -> list[str]:
        """Sentences naming every input that moved the level, largest effect first."""
        out = [
            f"Risk level {self.level} of 10: willingness {self.willingness:.0%}, capacity "
            f"{self.capacity:.0%}; the lower ({self.binding_component}) weighs more."
        ]
        for f in sorted(self.factors, key=lambda f: -f.levels_lost):
            if f.levels_lost > 0:
                out.append(f"{f.explanation} (-{f.levels_lost} level"
                           f"{'s' if f.levels_lost > 1 else ''}).")
        for c in self.contradictions:
            out.append(c)
        return out


def power_mean(values: np.ndarray, weights: np.ndarray, p: float) -> float:
    """Weighted power mean of positive ``values`` with exponent ``p`` (p ≠ 0)."""
    w = weights / weights.sum()
    return float((w @ values**p) ** (1.0 / p))


def answer_score(key: str, index: int) -> float:
    """Score in [ANSWER_FLOOR, 1] of option ``index`` of question ``key`` (linear in index)."""
    n = len(QUESTIONS_BY_KEY[key].options)
    return ANSWER_FLOOR + (1.0 - ANSWER_FLOOR) * index / (n - 1)


def goal_horizon_years(profile: InvestorProfile, as_of: date) -> float:
    """Priority- and size-weighted average years until the goals fall due (>= 0)."""
    y0 = as_of_year(as_of)
    hs, ws = [], []
    for g in profile.goals:
        start = g.years_until(y0)
        mid = start + (g.duration_years / 2.0 if g.kind is GoalKind.INCOME else 0.0)
        total = g.amount * (g.duration_years if g.kind is GoalKind.INCOME else 1)
        hs.append(mid)
        ws.append(PRIORITY_WEIGHT[g.priority] * total)
    return float(np.average(hs, weights=ws))


def goals_present_value(profile: InvestorProfile, as_of: date) -> float:
    """Present value (today's money) of what all goals still need: each goal's
    :func:`~tailorfolio.profile._goal_need.need_present_value` — its withdrawals net of the
    income streams the simulation credits (:func:`~tailorfolio.profile._stream_cover.
    stream_cover`, nominal streams deflated at :data:`STREAM_PV_INFLATION`) and of its planned
    contributions, at the real :data:`REAL_DISCOUNT_RATE` — the plan's sleeve funding's need."""
    covered = stream_cover(profile, as_of, STREAM_PV_INFLATION).by_goal
    return float(sum(need_present_value(g, as_of, REAL_DISCOUNT_RATE, covered.get(g.name))
                     for g in profile.goals))


def household_wealth(profile: InvestorProfile, prices: dict[str, float]) -> float:
    """Investable wealth: all accounts at ``prices`` (currency units)."""
    return sum(a.value(prices) for a in profile.accounts)


def _capacity_factors(profile: InvestorProfile, as_of: date, prices: dict[str, float]
                      ) -> list[tuple[str, str, float, float, str]]:
    stability = INCOME_STABILITY_SCORE[profile.employment_stability]
    wealth = household_wealth(profile, prices) + profile.liquid_net_worth
    pv_goals = goals_present_value(profile, as_of)
    funded = wealth / pv_goals if pv_goals > 0 else 10.0
    f_score = float(np.clip(0.2 + 0.8 * funded, 0.2, 1.0))
    monthly = profile.expenses_per_year / 12.0
    cash = sum(a.cash for a in profile.accounts if a.type is AccountType.TAXABLE)
    reserve = (cash + profile.liquid_net_worth) / monthly if monthly > 0 else 120.0
    r_score = float(np.clip(reserve / 6.0, 0.3, 1.0))
    d_score = float(max(0.6, 1.0 - 0.08 * profile.dependants))
    return [
        ("capacity.income_stability", profile.employment_stability.value, stability, 0.20,
         f"Income stability '{profile.employment_stability.value}'"),
        ("capacity.funded_ratio", f"{funded:.0%}", f_score, 0.15,
         f"Liquid wealth covers {funded:.0%} of the present value of your goals"),
        ("capacity.emergency_reserve", f"{reserve:.1f} months", r_score, 0.10,
         f"Cash and liquid savings cover {reserve:.1f} months of expenses"),
        ("capacity.dependants", str(profile.dependants), d_score, 0.10,
         f"{profile.dependants} dependant(s)"),
    ]


def _level(combined: float) -> int:
    return int(min(10, max(1, math.ceil(10 * combined - 1e-9))))


def assess_risk(profile: InvestorProfile, *, as_of: date | None = None,
                prices: dict[str, float] | None = None) -> RiskAssessment:
    """Score willingness and capacity and combine them into a risk level.

    Parameters
    ----------
    profile : InvestorProfile
    as_of : date, optional
        Defaults to ``profile.as_of``, then to today.
    prices : dict of str to float
        Prices to value holdings (capacity's funded ratio); holdings of unpriced assets are
        valued at cost.

    Returns
    -------
    RiskAssessment
    """
    as_of = as_of or profile.as_of or date.today()
    px = dict(prices or {})
    for a in profile.accounts:
        for lot in a.lots:
            px.setdefault(lot.asset, lot.cost_basis_per_share)

    keys = [q.key for q in QUESTIONS]
    w_weights = np.array([QUESTIONS_BY_KEY[k].weight for k in keys])
    w_scores = np.array([answer_score(k, profile.answer_index(k)) for k in keys])
    cap = _capacity_factors(profile, as_of, px)
    c_scores = np.array([c[2] for c in cap])
    c_weights = np.array([c[3] for c in cap])

    def combine(ws: np.ndarray, cs: np.ndarray) -> tuple[float, float, float]:
        will = power_mean(ws, w_weights, WILLINGNESS_POWER)
        capa = power_mean(cs, c_weights, CAPACITY_POWER)
        return will, capa, power_mean(np.array([will, capa]), np.ones(2), COMBINE_POWER)

    will, capa, comb = combine(w_scores, c_scores)
    level = _level(comb)
    penalty = float(np.average(w_scores, weights=w_weights)) - will

    factors: list[RiskFactor] = []
    for i, k in enumerate(keys):
        up = w_scores.copy()
        up[i] = 1.0
        lost = _level(combine(up, c_scores)[2]) - level
        q = QUESTIONS_BY_KEY[k]
        label = dict(q.options)[str(profile.risk_questionnaire[k])]
        factors.append(RiskFactor(f"willingness.{k}", str(profile.risk_questionnaire[k]),
                                  float(w_scores[i]), float(w_weights[i]), lost,
                                  f"You answered '{label}' to \"{q.text}\""))
    for i, (name, value, score, weight, text) in enumerate(cap):
        up = c_scores.copy()
        up[i] = 1.0
        lost = _level(combine(w_scores, up)[2]) - level
        factors.append(RiskFactor(name, value, score, weight, lost, text))

    contradictions = []
    for a, b in CONSISTENCY_PAIRS:
        sa, sb = w_scores[keys.index(a)], w_scores[keys.index(b)]
        if abs(sa - sb) > CONTRADICTION_GAP:
            la = dict(QUESTIONS_BY_KEY[a].options)[str(profile.risk_questionnaire[a])]
            lb = dict(QUESTIONS_BY_KEY[b].options)[str(profile.risk_questionnaire[b])]
            contradictions.append(
                f"Your answers to '{a}' ('{la}') and '{b}' ('{lb}') point in opposite "
                "directions; contradictory answers lower the willingness score."
            )
    gamma, vol_cap = LEVEL_TABLE[level]
    return RiskAssessment(
        level=level,
        willingness=will,
        capacity=capa,
        combined=comb,
        risk_aversion=gamma,
        max_volatility=vol_cap,
        factors=tuple(factors),
        contradictions=tuple(contradictions),
        consistency_penalty=penalty,
        binding_component="willingness" if will <= capa else "capacity",
        equity_share=RISK_LADDER[level].equity_share,
    )
