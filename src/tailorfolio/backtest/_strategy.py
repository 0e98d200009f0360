"""The strategy interface the backtester drives."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from tailorfolio.backtest._history import HistoryView


class Strategy(ABC):
    """Turns the past (a :class:`HistoryView`) into target weights.

    Subclasses set ``name`` and ``min_history`` (periods of data needed before the first
    decision) and implement :meth:`target_weights`. A strategy may keep state between calls
    (e.g. its own past forecasts); the engine deep-copies it at the start of every run, so
    runs are independent and repeatable.
    """

    name: str = "strategy"
    min_history: int = 1

    @abstractmethod
    def target_weights(self, history: HistoryView) -> np.ndarray:
        """Target weights, ndarray of shape (n_assets,) summing to 1, in ``history.tickers``
        order."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in sorted(vars(self).items())
                           if not k.startswith("_"))
        return f"{type(self).__name__}({params})"
