"""ESG investing: scores and their scale, presets, screened funds, the portfolio's ESG profile,
the ESG-efficient frontier (Pedersen–Fitzgibbons–Pomorski 2021) and the cost of one's values.

Exclusions, the score floor and the tilt themselves live in the optimizer's one compiled
problem (:mod:`tailorfolio.optimize`); this package prepares their inputs and explains their
effect, and makes sure they never silently empty an asset class (:func:`resolve_market`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tailorfolio._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use (PEP 562)
    from tailorfolio.esg._cost import (
        CostOfValues,
        goal_probabilities,
        has_esg_preferences,
        without_esg,
    )
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

_EXPORTS = {
    "CostOfValues": "tailorfolio.esg._cost",
    "goal_probabilities": "tailorfolio.esg._cost",
    "has_esg_preferences": "tailorfolio.esg._cost",
    "without_esg": "tailorfolio.esg._cost",
    "EsgScale": "tailorfolio.esg._data",
    "EsgScoreTable": "tailorfolio.esg._data",
    "ScoreDirection": "tailorfolio.esg._data",
    "apply_esg_scores": "tailorfolio.esg._data",
    "coverage": "tailorfolio.esg._data",
    "esg_scores_from_frame": "tailorfolio.esg._data",
    "EsgFrontier": "tailorfolio.esg._frontier",
    "esg_frontier": "tailorfolio.esg._frontier",
    "floor_measure": "tailorfolio.esg._frontier",
    "screened_funds_table": "tailorfolio.esg._funds",
    "with_esg_funds": "tailorfolio.esg._funds",
    "ILLUSTRATIVE_SOURCE": "tailorfolio.esg._illustrative",
    "illustrative_pillar_scores": "tailorfolio.esg._illustrative",
    "PRESETS": "tailorfolio.optimize._esg_presets",
    "EsgPreset": "tailorfolio.optimize._esg_presets",
    "ResolvedEsg": "tailorfolio.optimize._esg_presets",
    "best_in_class_drops": "tailorfolio.optimize._esg_presets",
    "resolve_esg_preferences": "tailorfolio.optimize._esg_presets",
    "EsgProfile": "tailorfolio.esg._profile",
    "ExcludedHolding": "tailorfolio.esg._profile",
    "portfolio_esg_profile": "tailorfolio.esg._profile",
    "sp500_sample_universe": "tailorfolio.esg._sample",
    "AddedFund": "tailorfolio.esg._screen",
    "EmptiedClass": "tailorfolio.esg._screen",
    "ValuesConflictError": "tailorfolio.esg._screen",
    "added_funds": "tailorfolio.esg._screen",
    "resolve_market": "tailorfolio.esg._screen",
    "EsgReport": "tailorfolio.esg._stage",
    "as_sleeve": "tailorfolio.esg._stage",
    "compare_plans": "tailorfolio.esg._stage",
    "baseline_notes": "tailorfolio.esg._stage",
    "esg_report": "tailorfolio.esg._stage",
    "market_for_profile": "tailorfolio.esg._stage",
}
"""Exported name → its module, imported on first use (keeps the package cheap to import)."""

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

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
