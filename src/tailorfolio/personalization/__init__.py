"""The value of personalization, measured (issue 11, item 8).

The personalized plan's own simulation (:func:`personalized_spec`, one adapter: the plan
rework's simulation of its recommendation) is compared on common random numbers with a 60/40 fund, a
target-date fund and today's risk-level-only plan, on the bundled investors and a seeded
synthetic population (:func:`synthetic_population`): priority-weighted goal success,
certainty-equivalent after-tax terminal wealth, lifetime taxes and turnover, each with standard
errors and paired differences. ``make evaluate-plans`` writes ``docs/personalization.md``.
"""

from tailorfolio.personalization._markdown import ANCHORS, personalization_markdown
from tailorfolio.personalization._metrics import (
    GAMMA,
    METRICS,
    PathOutcomes,
    certainty_equivalent,
    paired_ce_difference,
    paired_summary,
    path_outcomes,
    policy_summary,
)
from tailorfolio.personalization._policies import (
    ADAPTERS,
    BASELINES,
    EVALUATION_FRAME,
    PERSONALIZED,
    EvaluationFrame,
    PolicySpec,
    apply_frame,
    fund_sleeves_by_need,
    naive_transition,
    personalized_spec,
    pipeline_spec,
    placeholder_spec,
    risk_only_spec,
    sixty_forty_spec,
    target_date_spec,
)
from tailorfolio.personalization._population import (
    AS_OF,
    population_assumptions,
    synthetic_household,
    synthetic_population,
)
from tailorfolio.personalization._runner import (
    DEFAULT_PATHS,
    HouseholdEvaluation,
    PopulationEvaluation,
    evaluate_household,
    evaluate_population,
    household_seed,
)

__all__ = [
    "ADAPTERS", "ANCHORS", "AS_OF", "BASELINES", "DEFAULT_PATHS", "EVALUATION_FRAME", "GAMMA", "METRICS",
    "PERSONALIZED", "EvaluationFrame", "HouseholdEvaluation", "PathOutcomes", "PolicySpec",
    "PopulationEvaluation", "apply_frame", "certainty_equivalent", "evaluate_household",
    "evaluate_population", "fund_sleeves_by_need", "household_seed", "naive_transition",
    "paired_ce_difference", "paired_summary", "path_outcomes", "personalization_markdown",
    "personalized_spec", "pipeline_spec", "placeholder_spec", "policy_summary", "population_assumptions", "risk_only_spec",
    "sixty_forty_spec", "synthetic_household", "synthetic_population", "target_date_spec",
]
