"""Small building blocks for engine tests: one- and two-asset problems with exact returns."""

from __future__ import annotations

import numpy as np

from tailorfolio.simulate import (
    GoalSchedule,
    LognormalModel,
    Pot,
    ReplayModel,
    SimulationSpec,
    TaxTreatment,
)


def constant_model(monthly_log_returns, n_steps: int, n_paths: int = 4,
                   monthly_log_inflation: float = 0.0) -> ReplayModel:
    """Every path earns the same deterministic monthly log return per asset."""
    r = np.asarray(monthly_log_returns, float)
    lr = np.broadcast_to(r, (n_steps, n_paths, len(r))).astype(np.float32)
    li = np.full((n_steps, n_paths), monthly_log_inflation, np.float32)
    return ReplayModel(tuple(f"A{i}" for i in range(len(r))), lr.copy(), li)


def single_asset_lognormal(annual_log_mean: float, annual_log_vol: float) -> LognormalModel:
    """One asset with i.i.d. monthly log returns; inflation practically constant (zero)."""
    mean = np.array([annual_log_mean / 12, 0.0])
    cov = np.diag([annual_log_vol**2 / 12, 1e-14])
    return LognormalModel(("A0",), mean, cov)


def spec(n_assets: int, n_steps: int, *, initial=(0.0, 0.0, 1000.0), basis: float = 0.0,
         contribution=0.0, goals=(), weights=None, tax=None, split=(0.0, 0.0, 1.0),
         rebalance: int = 12, expense=None, fee_bps: float = 0.0) -> SimulationSpec:
    w = np.full(n_assets, 1 / n_assets) if weights is None else np.asarray(weights, float)
    contrib = np.broadcast_to(np.asarray(contribution, float), (n_steps,)).copy()
    pot = Pot("p", w, np.asarray(initial, float), basis, contrib, np.asarray(split, float))
    return SimulationSpec(tuple(f"A{i}" for i in range(n_assets)), n_steps, (pot,),
                          tuple(goals), None if expense is None else np.asarray(expense),
                          fee_bps, rebalance, tax or TaxTreatment())


def lump(name: str, step: int, amount: float, n_steps: int, *, rank: int = 0,
         nominal: bool = True) -> GoalSchedule:
    wd = np.zeros(n_steps)
    wd[step] = amount
    return GoalSchedule(name, 0, rank, wd, "lump_sum", 1.0, nominal=nominal)
