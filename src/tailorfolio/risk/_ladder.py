"""The risk ladder: what a risk level *means*, in one table used by the plan, the fleet and the
backtester.

A risk level 1–10 is the investor's ceiling for **long-horizon money** (what a goal's sleeve
holds far from the goal's date, or money no goal needs yet). Each level fixes:

* ``equity_share`` — the share of that money in stocks. It rises strictly with the level, from
  a mostly bond-and-cash portfolio (10 %) to an all-stock one (100 %): the span of published
  robo-advisor scales (Betterment's 101 levels run 0–100 % stocks, Schwab's profiles about
  20–95 %; ``shared/reference/planning-methods.md`` §1.2, §1.4). Ten evenly spaced steps.
* ``risk_aversion`` γ — used to compose the rest of the portfolio (which bonds, how much cash,
  how the stocks are split) by mean-variance on equilibrium-anchored returns. A cautious
  investor's bond side is short and safe; a bold investor's is longer and riskier. The values
  are the Merton shares of the earlier engine (γ such that (μ − r_f)/(γσ²) of a total-market
  fund runs from ≈10 % to 100 %), so γ and the equity share tell the same story.
* ``max_volatility`` — a guard, not the decision: the annual volatility that the level's
  portfolio must not exceed. It is the volatility of a reference portfolio at the level's
  equity share (global stocks at market weights, the rest in US aggregate bonds, under the
  bundled assumptions: stock volatility ≈ 16 %, bond 6.2 %, correlation 0.14) plus 25 %
  headroom, so it never binds on the bundled market and catches a user's universe whose
  "stocks" are far riskier than stocks.

The equity share of money closer to its goal follows the goal's glide path, never above the
level's share (:mod:`tailorfolio.allocation`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.errors import ParameterError


@dataclass(frozen=True)
class RiskRung:
    """One level of the ladder.

    Attributes
    ----------
    level : int
        1 (most cautious) to 10.
    equity_share : float
        Stocks' share of long-horizon money, decimal.
    risk_aversion : float
        γ of the mean-variance composition, dimensionless.
    max_volatility : float
        Annual volatility guard, decimal.
    """

    level: int
    equity_share: float
    risk_aversion: float
    max_volatility: float


_REF_EQUITY_VOL = 0.16
_REF_BOND_VOL = 0.062
_REF_CORRELATION = 0.14
_HEADROOM = 1.25


def _reference_volatility(equity_share: float) -> float:
    e, b = equity_share, 1.0 - equity_share
    var = ((e * _REF_EQUITY_VOL) ** 2 + (b * _REF_BOND_VOL) ** 2
           + 2 * e * b * _REF_CORRELATION * _REF_EQUITY_VOL * _REF_BOND_VOL)
    return float(np.sqrt(var))


_GAMMAS = (12.0, 7.0, 5.0, 3.8, 3.0, 2.4, 2.0, 1.7, 1.45, 1.25)
_SHARES = (0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 1.00)

RISK_LADDER: dict[int, RiskRung] = {
    k + 1: RiskRung(k + 1, s, g, round(_HEADROOM * _reference_volatility(s), 4))
    for k, (s, g) in enumerate(zip(_SHARES, _GAMMAS, strict=True))
}
"""Level → :class:`RiskRung` (see the module docstring for where each number comes from)."""


def rung(level: int) -> RiskRung:
    """The ladder's rung for ``level`` (1–10).

    Raises
    ------
    ParameterError
        When ``level`` is not an integer in 1..10.
    """
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or \
            int(level) not in RISK_LADDER:
        raise ParameterError(f"risk level must be an integer 1–10. Got {level!r}.",
                             field="risk_level", value=level, expected="an integer 1–10",
                             fix="use a level from 1 (most cautious) to 10")
    return RISK_LADDER[int(level)]


def risk_aversion_for_equity_share(equity_share: float) -> float:
    """γ for a portfolio holding ``equity_share`` in stocks: the ladder's γ interpolated
    log-linearly between rungs (flat beyond the ends).

    A sleeve close to its goal holds little equity; composing its bond side with the γ of a
    cautious level keeps that side short and safe.
    """
    s = float(np.clip(equity_share, _SHARES[0], _SHARES[-1]))
    return float(np.exp(np.interp(s, _SHARES, np.log(_GAMMAS))))
