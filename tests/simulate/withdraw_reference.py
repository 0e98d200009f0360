"""The engine's withdrawal as first written (every mask on every path, every bucket every
time), kept for the tests: the engine's leaner form must give the same bits."""

from __future__ import annotations

import numpy as np

from tailorfolio.simulate import SimulationSpec


def withdraw_reference(vals: np.ndarray, basis: np.ndarray, need: np.ndarray,
                       spec: SimulationSpec, t: int) -> tuple[np.ndarray, np.ndarray]:
    tax = spec.tax
    rem = need.copy()
    taxes = np.zeros_like(need)
    v_tx = vals[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        gain_frac = np.where(v_tx > 0, np.clip(1.0 - basis / v_tx, 0.0, 1.0), 0.0)
    keep = 1.0 - tax.capital_gains_rate * gain_frac
    net_cap = v_tx * keep
    take = np.minimum(rem, net_cap)
    gross = np.divide(take, keep, out=np.zeros_like(take), where=keep > 0)
    gross = np.minimum(gross, v_tx)
    with np.errstate(divide="ignore", invalid="ignore"):
        sold = np.where(v_tx > 0, gross / v_tx, 0.0)
    basis *= 1.0 - sold
    vals[0] -= gross
    taxes += gross - take
    rem -= take
    rate = tax.ordinary_rate + (tax.early_penalty_rate if t < tax.penalty_before_step else 0.0)
    keep_tr = max(1.0 - rate, 1e-9)
    take = np.minimum(rem, vals[1] * keep_tr)
    gross = np.minimum(take / keep_tr, vals[1])
    vals[1] -= gross
    taxes += gross - take
    rem -= take
    take = np.minimum(rem, vals[2])
    vals[2] -= take
    rem -= take
    np.maximum(vals, 0.0, out=vals)
    return need - rem, taxes
