"""Glide paths: the equity share of a goal's portfolio as a function of years to the goal.

Shape (documented and configurable): the share stays at ``start_equity`` while the goal is
more than ``decline_years`` away, then falls to ``end_equity`` at the goal date along
``s(u) = end + (start − end)·u^curvature`` with u = years_to_goal / decline_years ∈ [0, 1]
(curvature 1 linear; > 1 keeps more equity early and falls late; < 1 de-risks early). After
the goal date (an income goal spending over retirement) it keeps declining linearly to
``post_goal_equity`` over ``post_goal_years``, then stays flat.

Defaults follow published robo-advisor and target-date practice (see
/work/shared/reference/planning-methods.md): Betterment's major-purchase path runs 90 % stocks
far from the goal to 0 % at the goal date; its retirement path and Vanguard's target-date funds
hold about 90 % until ~25 years out and ~50 % at retirement, reaching ~30 % seven years after.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailorfolio.errors import ParameterError
from tailorfolio.typing import FloatArray


@dataclass(frozen=True)
class GlidePath:
    """Equity share by years to goal.

    Parameters
    ----------
    start_equity : float
        Share while the goal is far away, decimal.
    end_equity : float
        Share at the goal date.
    decline_years : float
        Years before the goal when the decline begins (> 0).
    curvature : float
        Exponent of the decline (> 0).
    post_goal_equity : float, optional
        Share reached ``post_goal_years`` after the goal (defaults to ``end_equity``).
    post_goal_years : float
    """

    start_equity: float = 0.9
    end_equity: float = 0.5
    decline_years: float = 25.0
    curvature: float = 1.0
    post_goal_equity: float | None = 0.3
    post_goal_years: float = 7.0

    def __post_init__(self) -> None:
        for name in ("start_equity", "end_equity"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise ParameterError(f"{name} must be in [0, 1]. Got {v}.", field=name, value=v)
        if self.post_goal_equity is not None and not 0 <= self.post_goal_equity <= 1:
            raise ParameterError(f"post_goal_equity must be in [0, 1]. Got "
                                 f"{self.post_goal_equity}.", field="post_goal_equity",
                                 value=self.post_goal_equity)
        if self.decline_years <= 0 or self.curvature <= 0 or self.post_goal_years <= 0:
            raise ParameterError("decline_years, curvature and post_goal_years must be > 0.",
                                 field="decline_years",
                                 value=(self.decline_years, self.curvature, self.post_goal_years))

    @classmethod
    def lump_sum(cls) -> GlidePath:
        """Major purchase / education: 90 % → 0 % at the goal over 30 years (Betterment)."""
        return cls(start_equity=0.9, end_equity=0.0, decline_years=30.0, curvature=1.0,
                   post_goal_equity=None)

    @classmethod
    def retirement(cls) -> GlidePath:
        """Retirement: 90 % until 25 years out, 50 % at retirement, 30 % seven years after."""
        return cls()

    def equity_share(self, years_to_goal: float | FloatArray) -> FloatArray:
        """Equity share for each ``years_to_goal`` (negative = after the goal)."""
        y = np.asarray(years_to_goal, float)
        u = np.clip(y / self.decline_years, 0.0, 1.0)
        before = self.end_equity + (self.start_equity - self.end_equity) * u ** self.curvature
        post = self.end_equity if self.post_goal_equity is None else self.post_goal_equity
        frac = np.clip(-y / self.post_goal_years, 0.0, 1.0)
        after = self.end_equity + (post - self.end_equity) * frac
        return np.where(y >= 0, before, after)

    def weights_schedule(self, horizon_years: float, n_steps: int, equity_weights: FloatArray,
                         safe_weights: FloatArray, *, years_to_goal_at_start: float | None = None,
                         ) -> FloatArray:
        """Portfolio weights for each simulation step (for the Monte Carlo engine).

        Parameters
        ----------
        horizon_years : float
            Length of the schedule, years.
        n_steps : int
            Number of steps; step i covers ``[i, i+1)·horizon/n_steps`` and uses the share at
            its start.
        equity_weights, safe_weights : ndarray of shape (n_assets,)
            The equity sleeve and the safe (bond/cash) sleeve, each summing to 1.
        years_to_goal_at_start : float, optional
            Defaults to ``horizon_years`` (the goal is at the end of the schedule).

        Returns
        -------
        ndarray of shape (n_steps, n_assets)
            Each row sums to 1.
        """
        eq = np.asarray(equity_weights, float)
        safe = np.asarray(safe_weights, float)
        if eq.shape != safe.shape or abs(eq.sum() - 1) > 1e-9 or abs(safe.sum() - 1) > 1e-9:
            raise ParameterError("equity_weights and safe_weights must be same-length weight "
                                 "vectors each summing to 1.", field="equity_weights")
        if n_steps < 1 or horizon_years <= 0:
            raise ParameterError("n_steps must be >= 1 and horizon_years > 0.", field="n_steps",
                                 value=(n_steps, horizon_years))
        start = horizon_years if years_to_goal_at_start is None else years_to_goal_at_start
        t = np.arange(n_steps) * horizon_years / n_steps
        share = self.equity_share(start - t)[:, None]
        return share * eq[None, :] + (1.0 - share) * safe[None, :]
