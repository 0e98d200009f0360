"""What would raise a goal's probability to a target: save more, wait longer, or aim lower.

Each lever is searched alone by bisection on the same simulation with common random numbers
(same seed, same paths), so the probability is a deterministic, monotone-in-practice function
of the lever and the search converges. Everything else in the household stays as planned.
An evaluation simulates only until the goal's last withdrawal (nothing later changes whether
it is met). On stored paths the amount's evaluations resume from the state at the goal's date
(:class:`~tailorfolio.simulate._engine.Checkpoint`), the postponements' from the state where
the plan first moves for the goal (its glide path starts to de-risk): the same numbers, fewer
months.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from tailorfolio.goals._from_profile import (
    HouseholdSchedule,
    SimulationOptions,
    WeightsSchedule,
    goal_due_step,
    spec_from_profile,
)
from tailorfolio.goals._outcomes import RaiseLevers
from tailorfolio.market._market import Market
from tailorfolio.profile._enums import GoalKind
from tailorfolio.profile._goal import Goal
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.simulate._core import DEFAULT_CHUNK_SIZE
from tailorfolio.simulate._engine import Checkpoint, divergence_step, success_probability
from tailorfolio.simulate._returns import ReturnModel
from tailorfolio.simulate._spec import SimulationSpec
from tailorfolio.typing import FloatArray

MAX_DELAY_YEARS = 15
"""Longest postponement searched."""

BISECTION_STEPS = 6
"""Bisection steps for the saving and amount levers (precision 1/64 of the range)."""


def _first_halving(reaches: Callable[[float], float], short: float, far: float, mid: float,
                   target: float) -> tuple[float, float, float] | None:
    """The bisection's first step, probing its midpoint before its far end: the search runs
    from ``short`` (the lever as planned, short of the target) to ``far`` (the lever's
    limit); when the midpoint ``mid`` reaches the target, so does the far end (the
    probability is monotone in the lever, as the bisection assumes) and it is not simulated.

    Returns
    -------
    (short side, reaching side, probability of the reaching side) after the first halving,
    or None when even the far end falls short (no such lever).
    """
    p_mid = reaches(mid)
    if p_mid >= target:
        return short, mid, p_mid
    p_far = reaches(far)
    return (mid, far, p_far) if p_far >= target else None


def _with_goal(profile: InvestorProfile, j: int, goal: Goal) -> InvestorProfile:
    goals = list(profile.goals)
    goals[j] = goal
    return profile.model_copy(update={"goals": tuple(goals)})


Search = Callable[[], "tuple[float, float] | None"]
"""One lever's search: (the lever's value, the probability it reaches) or None."""


def raise_levers(profile: InvestorProfile, market: Market,
                 weights: FloatArray | dict[str, FloatArray | WeightsSchedule]
                 | HouseholdSchedule, as_of: date,
                 goal_index: int, target_probability: float, model: ReturnModel, *,
                 n_paths: int = 1000, seed: int = 0,
                 options: SimulationOptions | None = None) -> RaiseLevers:
    """Search each lever for goal ``goal_index`` of ``profile``.

    Parameters
    ----------
    profile, market, weights, as_of
        As for :func:`spec_from_profile`.
    goal_index : int
    target_probability : float
    model : ReturnModel
    n_paths, seed : int
        Paths per evaluation (common random numbers across evaluations).
    options : SimulationOptions, optional

    Returns
    -------
    RaiseLevers
    """
    searches = lever_searches(profile, market, weights, as_of, goal_index, target_probability,
                              model, n_paths=n_paths, seed=seed, options=options)
    return levers_found(profile.goals[goal_index], target_probability,
                        [search() for search in searches])


def levers_found(goal: Goal, target_probability: float,
                 found: list[tuple[float, float] | None]) -> RaiseLevers:
    """The :class:`RaiseLevers` of ``goal`` from the results of its :func:`lever_searches`
    (in their order), wherever each ran."""
    amount, saving, delayed = found
    probs: dict[str, float] = {}
    for key, hit in (("extra_monthly_saving", saving), ("delay_years", delayed),
                     ("affordable_amount", amount)):
        if hit is not None:
            probs[key] = hit[1]
    return RaiseLevers(target_probability, None if saving is None else saving[0],
                       None if delayed is None else int(delayed[0]),
                       None if amount is None else amount[0], probs)


def lever_searches(profile: InvestorProfile, market: Market,
                   weights: FloatArray | dict[str, FloatArray | WeightsSchedule]
                   | HouseholdSchedule, as_of: date,
                   goal_index: int, target_probability: float, model: ReturnModel, *,
                   n_paths: int = 1000, seed: int = 0,
                   options: SimulationOptions | None = None) -> tuple[Search, Search, Search]:
    """:func:`raise_levers`'s three searches (the amount's, the saving's, the postponement's),
    each runnable on its own thread: they share the stored paths and the amount search's
    checkpoint, which the postponements resume from when it is there and their spec agrees
    before it (the same numbers either way). :func:`levers_found` combines their results.
    The parameters are :func:`raise_levers`'s.
    """
    goal = profile.goals[goal_index]

    checkpoint: list[Checkpoint] = []  # the amount lever's, once made

    def probability(spec: SimulationSpec, keep_at: int | None, kept: list[Checkpoint],
                    resumable: tuple[Checkpoint, ...] = ()) -> float:
        """The goal's probability under ``spec``. With ``keep_at`` and nothing in ``kept``
        yet, the run keeps its state at that step there; otherwise it resumes from the
        latest of ``resumable`` that fits (:meth:`Checkpoint.resumes`), else from month 0."""
        if keep_at is not None and not kept:
            found, cp = success_probability(spec, model, n_paths, seed, goal_index,
                                            checkpoint_at=keep_at)
            assert cp is not None
            kept.append(cp)
            return found
        fits = [cp for cp in resumable
                if cp.resumes(spec, model, n_paths, seed, DEFAULT_CHUNK_SIZE)]
        return success_probability(spec, model, n_paths, seed, goal_index,
                                   resume=max(fits, key=lambda cp: cp.step) if fits else None)[0]

    def spec_with(goal_now: Goal) -> SimulationSpec:
        return spec_from_profile(_with_goal(profile, goal_index, goal_now), market, weights,
                                 as_of, options)

    def reaches(make: Callable[[float], Goal], x: float, checkpoint_at: int | None = None,
                resumes: bool = False) -> float:
        return probability(spec_with(make(x)), checkpoint_at, checkpoint,
                           tuple(checkpoint) if resumes else ())

    # 1. Extra monthly saving: ceiling = the whole need saved over the months left, twice.
    months = max(goal_due_step(goal, as_of), 1)
    need = goal.amount * (goal.duration_years if goal.kind is GoalKind.INCOME else 1)

    def saving(x: float) -> Goal:
        return goal.model_copy(update={"annual_contribution": goal.annual_contribution + 12 * x})

    def search_saving() -> tuple[float, float] | None:
        if goal_due_step(goal, as_of) <= 0:
            return None
        hi = 2.0 * need / months
        start = _first_halving(lambda x: reaches(saving, x), 0.0, hi, (0.0 + hi) / 2,
                               target_probability)
        if start is None:
            return None
        lo, hi, best_p = start
        for _ in range(BISECTION_STEPS - 1):
            mid = (lo + hi) / 2
            pm = reaches(saving, mid)
            if pm >= target_probability:
                hi, best_p = mid, pm
            else:
                lo = mid
        return hi, best_p

    # 2. Postpone by whole years.
    def delay(k: float) -> Goal:
        # An income goal starts later but ends when it would have (retiring later shortens
        # retirement); a lump sum simply moves.
        upd: dict[str, object] = {}
        if goal.kind is GoalKind.INCOME:
            upd["duration_years"] = max(1, goal.duration_years - int(k))
        if goal.target_year is not None:
            upd["target_year"] = goal.target_year + int(k)
        else:
            upd["years"] = (goal.years or 0.0) + int(k)
        return goal.model_copy(update=upd)

    # Every postponement agrees with the plan until the plan's own path starts to move for
    # the goal (its glide path de-risks, its income starts): on stored paths the first one
    # simulated keeps its state there, and the others resume from it (or from the amount
    # search's checkpoint, whichever is later and fits) — the same numbers, fewer months.
    delay_checkpoint: list[Checkpoint] = []
    divergence: list[int] = []  # the first postponement's step, once found (0: none)

    def delayed(k: float) -> float:
        spec = spec_with(delay(k))
        if not divergence:
            planned = spec_from_profile(profile, market, weights, as_of, options)
            divergence.append(divergence_step(planned, spec)
                              if getattr(model, "monthly_growth", None) is not None else 0)
        return probability(spec, divergence[0] or None, delay_checkpoint,
                           (*delay_checkpoint, *checkpoint))

    def search_delay() -> tuple[float, float] | None:
        start_k = _first_halving(delayed, 0, MAX_DELAY_YEARS, MAX_DELAY_YEARS // 2,
                                 target_probability)
        if start_k is None:
            return None
        lo_k, hi_k, best_p = start_k
        while hi_k - lo_k > 1:
            mid_k = (lo_k + hi_k) // 2
            pm = delayed(mid_k)
            if pm >= target_probability:
                hi_k, best_p = mid_k, pm
            else:
                lo_k = mid_k
        return hi_k, best_p

    # 3. Lower amount (fraction of the stated amount).
    def scaled(f: float) -> Goal:
        return goal.model_copy(update={"amount": goal.amount * f})

    # The amount changes nothing before the goal falls due (the same deposits, the same
    # household target until then): on stored paths, every amount after the first resumes
    # from the first one's state at the due date instead of simulating the years before it.
    due = goal_due_step(goal, as_of)
    resumable = getattr(model, "monthly_growth", None) is not None and due > 0

    def search_amount() -> tuple[float, float] | None:
        # Searched from the full amount (short of the target) towards 1 % of it.
        start_f = _first_halving(
            lambda f: reaches(scaled, f, due if resumable else None, resumes=True), 1.0,
            0.01, (0.01 + 1.0) / 2, target_probability)
        if start_f is None:
            return None
        hi_f, lo_f, best_p = start_f
        for _ in range(BISECTION_STEPS - 1):
            mid_f = (lo_f + hi_f) / 2
            pm = reaches(scaled, mid_f, resumes=True)
            if pm >= target_probability:
                lo_f, best_p = mid_f, pm
            else:
                hi_f = mid_f
        return goal.amount * lo_f, best_p

    # The amount search first: the postponements agree with its checkpoint's simulation before
    # the goal's original date too (the same deposits and target until then), so they resume
    # from it when the spec allows (Checkpoint.resumes decides; the numbers are the same).
    return search_amount, search_saving, search_delay
