"""Goals: probability of reaching each goal, what would raise it, goal-based allocation
(static rules and the Das–Ostrov–Radhakrishnan–Srivastav dynamic programme) and sustainable
withdrawal rates."""

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
