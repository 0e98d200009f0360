"""Transaction costs: a proportional rate on traded value plus a fixed amount per trade."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.errors import ParameterError
from tailorfolio.typing import FloatArray

TRADE_EPSILON = 1e-12
"""Trades smaller than this fraction of portfolio value are not trades (no fixed fee)."""


@dataclass(frozen=True)
class TransactionCosts:
    """Costs paid on each rebalance, out of the portfolio.

    Parameters
    ----------
    proportional_bps : float
        Cost per unit of value traded (buys and sells alike), basis points (10 = 0.10 %).
    fixed_per_trade : float
        Currency amount per asset traded (in the units of ``initial_value``).
    """

    proportional_bps: float = 10.0
    fixed_per_trade: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.proportional_bps < 10_000:
            raise ParameterError(
                f"proportional_bps must be in [0, 10000). Got {self.proportional_bps}.",
                field="proportional_bps", value=self.proportional_bps, expected="[0, 10000)",
                fix="give costs in basis points, e.g. 10 for 0.10 %",
            )
        if self.fixed_per_trade < 0:
            raise ParameterError(f"fixed_per_trade must be >= 0. Got {self.fixed_per_trade}.",
                                 field="fixed_per_trade", value=self.fixed_per_trade)

    @property
    def rate(self) -> float:
        """Proportional cost as a decimal."""
        return self.proportional_bps / 10_000.0

    def trade(self, holdings: FloatArray, target_weights: FloatArray, cash: float = 0.0
              ) -> tuple[FloatArray, float, float]:
        """Trade ``holdings`` to ``target_weights``, paying costs out of the portfolio.

        The trade is self-financing: the post-trade value V' solves
        ``V' = V − rate·Σ|w·V' − h| − fixed·#trades``, so the holdings after trading are
        exactly ``w·V'`` and the costs are exactly the stated rate times what was traded.

        Parameters
        ----------
        holdings : ndarray of shape (n_assets,)
            Currency value per asset before trading.
        target_weights : ndarray of shape (n_assets,)
            Sums to 1.
        cash : float
            Currency arriving (contribution, > 0) or leaving (withdrawal, < 0) at the same
            time; it is invested or raised by the same trades.

        Returns
        -------
        new_holdings : ndarray of shape (n_assets,)
        cost : float
            Currency paid.
        traded : float
            Currency value traded (buys plus sells).
        """
        value = float(holdings.sum()) + cash
        post = value
        for _ in range(200):
            trades = target_weights * post - holdings
            size = np.abs(trades)
            n_trades = int(np.count_nonzero(size > TRADE_EPSILON * max(abs(value), 1e-300)))
            cost = self.rate * float(size.sum()) + self.fixed_per_trade * n_trades
            new_post = value - cost
            if abs(new_post - post) <= 1e-15 * max(abs(value), 1.0):
                post = new_post
                break
            post = new_post
        trades = target_weights * post - holdings
        traded = float(np.abs(trades).sum())
        return target_weights * post, value - post, traded
