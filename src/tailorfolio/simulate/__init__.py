"""Vectorised Monte Carlo simulation of a household's wealth, cash flows, fees and taxes.

Build a :class:`SimulationSpec` (pots of money, goal withdrawals, fees, tax treatment), pick a
return model (:class:`LognormalModel`, :class:`BootstrapModel`,
:class:`HistoricalWindowsModel`, :class:`RegimeSwitchingModel`) and call :func:`simulate`.
Every simulator runs on the core (:mod:`tailorfolio.simulate._core`): common random numbers by
path (:class:`GrowthStream`), one portfolio through cash flows under fixed weights, a glide
path or a policy callback (:func:`simulate_portfolio`), and price paths (:func:`price_paths`).
"""

from tailorfolio.simulate._core import (
    STREAM_PATHS,
    FactorModel,
    GaussianFactors,
    GrowthStream,
    PortfolioPaths,
    price_paths,
    simulate_portfolio,
)
from tailorfolio.simulate._engine import DEFAULT_CHUNK_SIZE, simulate
from tailorfolio.simulate._history import (
    HISTORY_PROXY,
    us_bootstrap_model,
    us_historical_model,
    us_history_for,
)
from tailorfolio.simulate._result import FAN_PERCENTILES, SimulationResult
from tailorfolio.simulate._returns import (
    BootstrapModel,
    HistoricalWindowsModel,
    LognormalModel,
    RegimeParameters,
    RegimeSwitchingModel,
    ReplayModel,
    ReturnModel,
    freeze,
)
from tailorfolio.simulate._spec import (
    ACCOUNT_TYPES,
    GoalSchedule,
    Pot,
    RebalanceBand,
    SimulationSpec,
    TaxTreatment,
)

__all__ = [
    "ACCOUNT_TYPES", "DEFAULT_CHUNK_SIZE", "FAN_PERCENTILES", "HISTORY_PROXY", "STREAM_PATHS",
    "FactorModel", "GaussianFactors", "GrowthStream", "PortfolioPaths", "price_paths",
    "simulate_portfolio",
    "BootstrapModel", "GoalSchedule", "HistoricalWindowsModel", "LognormalModel", "Pot",
    "RebalanceBand", "RegimeParameters", "RegimeSwitchingModel", "ReplayModel", "ReturnModel", "SimulationResult",
    "SimulationSpec", "TaxTreatment", "simulate", "us_bootstrap_model", "us_historical_model",
    "us_history_for", "freeze",
]
