"""Baselines that need no optimizer: 1/N, inverse volatility, fixed weights (incl. a plan)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tailorfolio.backtest._history import HistoryView
from tailorfolio.backtest._strategy import Strategy
from tailorfolio.errors import MissingAssetsError, ParameterError


class EqualWeight(Strategy):
    """1/N: the same weight in every asset (DeMiguel, Garlappi & Uppal 2009's benchmark)."""

    name = "1/N"
    min_history = 1

    def target_weights(self, history: HistoryView) -> np.ndarray:
        n = len(history.tickers)
        return np.full(n, 1.0 / n)


class InverseVolatility(Strategy):
    """Weights proportional to 1/σ of each asset over the last ``window`` periods.

    Parameters
    ----------
    window : int
        Estimation window, periods.
    """

    def __init__(self, *, window: int = 60) -> None:
        if window < 3:
            raise ParameterError(f"window must be >= 3. Got {window}.", field="window",
                                 value=window)
        self.window = window
        self.name = "inverse volatility"
        self.min_history = window

    def target_weights(self, history: HistoryView) -> np.ndarray:
        sd = history.window(self.window).std(ddof=1).to_numpy(float)
        inv = 1.0 / np.maximum(sd, 1e-12)
        return inv / inv.sum()


class FixedWeights(Strategy):
    """Always the same target weights (a policy portfolio such as 60/40, or a plan's).

    Parameters
    ----------
    weights : mapping of str to float
        Weight per asset of the dataset; missing assets get 0; must sum to 1.
    label : str
        Display name.
    """

    def __init__(self, weights: Mapping[str, float], *, label: str = "fixed weights") -> None:
        total = float(sum(weights.values()))
        if abs(total - 1.0) > 1e-6 or any(v < 0 for v in weights.values()):
            raise ParameterError(f"Fixed weights must be >= 0 and sum to 1; they sum to {total}.",
                                 field="weights", value=dict(weights))
        self.weights = dict(weights)
        self.name = label
        self.min_history = 1

    def target_weights(self, history: HistoryView) -> np.ndarray:
        missing = [a for a in self.weights if a not in history.tickers]
        if missing:
            raise MissingAssetsError(f"Fixed weights name {missing}, not in the data.",
                                     missing=missing, field="weights")
        return np.array([self.weights.get(t, 0.0) for t in history.tickers])


def plan_strategy(class_weights: Mapping[str, float], broad_class: Mapping[str, str], *,
                  label: str = "investor's plan") -> FixedWeights:
    """Map a plan's broad-class weights (``Plan.class_weights()``) onto a dataset's assets.

    Each broad class's weight is split equally over the dataset's assets of that class; a
    class the dataset lacks (e.g. ``real_asset``) is given to ``equity``.

    Parameters
    ----------
    class_weights : mapping
        ``{"equity": 0.6, "bond": 0.35, "cash": 0.05, ...}``.
    broad_class : mapping
        Asset → broad class of the dataset.
    """
    members: dict[str, list[str]] = {}
    for asset, cls in broad_class.items():
        members.setdefault(cls, []).append(asset)
    if "equity" not in members:
        raise ParameterError("The dataset has no equity asset to map the plan onto.",
                             field="broad_class", value=dict(broad_class))
    out: dict[str, float] = {a: 0.0 for a in broad_class}
    for cls, wgt in class_weights.items():
        target = cls if cls in members else "equity"
        for a in members[target]:
            out[a] += wgt / len(members[target])
    total = sum(out.values())
    return FixedWeights({a: v / total for a, v in out.items()}, label=label)
