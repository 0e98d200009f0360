"""ESG investing: scores and their scale, presets, screened funds, the portfolio's ESG profile,
the ESG-efficient frontier (Pedersen–Fitzgibbons–Pomorski 2021) and the cost of one's values.

Exclusions, the score floor and the tilt themselves live in the optimizer's one compiled
problem (:mod:`tailorfolio.optimize`); this package prepares their inputs and explains their
effect, and makes sure they never silently empty an asset class (:func:`resolve_market`).
"""

from tailorfolio.esg._cost import CostOfValues, goal_probabilities, has_esg_preferences, without_esg
from tailorfolio.esg._data import (
    EsgScale,
    EsgScoreTable,
    ScoreDirection,
    apply_esg_scores,
    coverage,
    esg_scores_from_frame,
)
from tailorfolio.esg._frontier import EsgFrontier, esg_frontier, floor_measure
from tailorfolio.esg._funds import screened_funds_table, with_esg_funds
from tailorfolio.esg._illustrative import ILLUSTRATIVE_SOURCE, illustrative_pillar_scores
from tailorfolio.optimize._esg_presets import (
    PRESETS,
    EsgPreset,
    ResolvedEsg,
    best_in_class_drops,
    resolve_esg_preferences,
)
from tailorfolio.esg._profile import EsgProfile, ExcludedHolding, portfolio_esg_profile
from tailorfolio.esg._sample import sp500_sample_universe
from tailorfolio.esg._screen import (
    AddedFund,
    EmptiedClass,
    ValuesConflictError,
    added_funds,
    resolve_market,
)
from tailorfolio.esg._stage import (
    EsgReport,
    as_sleeve,
    compare_plans,
    baseline_notes,
    esg_report,
    market_for_profile,
)

__all__ = [
    "AddedFund",
    "CostOfValues",
    "EmptiedClass",
    "EsgFrontier",
    "EsgPreset",
    "EsgProfile",
    "EsgReport",
    "EsgScale",
    "EsgScoreTable",
    "ExcludedHolding",
    "ILLUSTRATIVE_SOURCE",
    "PRESETS",
    "ResolvedEsg",
    "ScoreDirection",
    "ValuesConflictError",
    "added_funds",
    "apply_esg_scores",
    "as_sleeve",
    "best_in_class_drops",
    "compare_plans",
    "baseline_notes",
    "coverage",
    "esg_frontier",
    "esg_scores_from_frame",
    "esg_report",
    "floor_measure",
    "goal_probabilities",
    "has_esg_preferences",
    "illustrative_pillar_scores",
    "market_for_profile",
    "portfolio_esg_profile",
    "resolve_esg_preferences",
    "resolve_market",
    "screened_funds_table",
    "sp500_sample_universe",
    "with_esg_funds",
    "without_esg",
]
