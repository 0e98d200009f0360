"""Goals: probability of reaching each goal, what would raise it, goal-based allocation
(static rules and the Das–Ostrov–Radhakrishnan–Srivastav dynamic programme) and sustainable
withdrawal rates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tailorfolio._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use (PEP 562)
    from tailorfolio.goals._allocation import (
        AllocationCandidate,
        GoalBasedAllocation,
        band_mean,
        choose_goal_based_allocation,
    )
    from tailorfolio.goals._dp import (
        DAS_BASE_CASE_ASSETS,
        GoalDPPolicy,
        GoalDPProblem,
        browne_upper_bound,
        das_base_case,
        efficient_frontier_coefficients,
        simulate_policy,
        solve_goal_dp,
        static_probability,
        static_probability_closed_form,
    )
    from tailorfolio.goals._dp_profile import (
        DPComparison,
        compare_dp_static,
        dp_problem_for_profile,
        target_goal_index,
    )
    from tailorfolio.goals._from_profile import (
        DEFAULT_ADVISORY_FEE_BPS,
        SimulationOptions,
        horizon_months,
        household_total,
        spec_from_profile,
    )
    from tailorfolio.goals._outcomes import (
        TARGET_PROBABILITY,
        GoalOutcome,
        RaiseLevers,
        goal_outcome,
        weighted_success,
    )
    from tailorfolio.goals._raise import raise_levers
    from tailorfolio.goals._withdrawal import WithdrawalAnalysis, withdrawal_analysis

_EXPORTS = {
    "AllocationCandidate": "tailorfolio.goals._allocation",
    "GoalBasedAllocation": "tailorfolio.goals._allocation",
    "band_mean": "tailorfolio.goals._allocation",
    "choose_goal_based_allocation": "tailorfolio.goals._allocation",
    "DAS_BASE_CASE_ASSETS": "tailorfolio.goals._dp",
    "GoalDPPolicy": "tailorfolio.goals._dp",
    "GoalDPProblem": "tailorfolio.goals._dp",
    "browne_upper_bound": "tailorfolio.goals._dp",
    "das_base_case": "tailorfolio.goals._dp",
    "efficient_frontier_coefficients": "tailorfolio.goals._dp",
    "simulate_policy": "tailorfolio.goals._dp",
    "solve_goal_dp": "tailorfolio.goals._dp",
    "static_probability": "tailorfolio.goals._dp",
    "static_probability_closed_form": "tailorfolio.goals._dp",
    "DPComparison": "tailorfolio.goals._dp_profile",
    "compare_dp_static": "tailorfolio.goals._dp_profile",
    "dp_problem_for_profile": "tailorfolio.goals._dp_profile",
    "target_goal_index": "tailorfolio.goals._dp_profile",
    "DEFAULT_ADVISORY_FEE_BPS": "tailorfolio.goals._from_profile",
    "SimulationOptions": "tailorfolio.goals._from_profile",
    "horizon_months": "tailorfolio.goals._from_profile",
    "household_total": "tailorfolio.goals._from_profile",
    "spec_from_profile": "tailorfolio.goals._from_profile",
    "TARGET_PROBABILITY": "tailorfolio.goals._outcomes",
    "GoalOutcome": "tailorfolio.goals._outcomes",
    "RaiseLevers": "tailorfolio.goals._outcomes",
    "goal_outcome": "tailorfolio.goals._outcomes",
    "weighted_success": "tailorfolio.goals._outcomes",
    "raise_levers": "tailorfolio.goals._raise",
    "WithdrawalAnalysis": "tailorfolio.goals._withdrawal",
    "withdrawal_analysis": "tailorfolio.goals._withdrawal",
}
"""Exported name → its module, imported on first use (keeps the package cheap to import)."""

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = [
    "AllocationCandidate", "DAS_BASE_CASE_ASSETS", "DEFAULT_ADVISORY_FEE_BPS", "DPComparison",
    "GoalBasedAllocation", "GoalDPPolicy", "GoalDPProblem", "GoalOutcome", 
    "RaiseLevers", "SimulationOptions", "TARGET_PROBABILITY", "WithdrawalAnalysis",
    "band_mean", "browne_upper_bound", "choose_goal_based_allocation", "compare_dp_static",
    "das_base_case", "dp_problem_for_profile", "efficient_frontier_coefficients",
    "goal_outcome", "horizon_months", "household_total", "raise_levers",
    "simulate_policy", "solve_goal_dp", "spec_from_profile", "static_probability",
    "static_probability_closed_form", "target_goal_index", "weighted_success",
    "withdrawal_analysis",
]
