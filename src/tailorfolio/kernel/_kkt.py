"""How exactly an answer satisfies its optimality (KKT) conditions: :class:`KKTReport`."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_KKT_TOLERANCE = 1e-9
"""Largest KKT residual (primal, dual or complementarity, scaled units) accepted as exact."""


@dataclass(frozen=True)
class KKTReport:
    """The KKT residuals of one solution, in the scaled problem's units.

    Attributes
    ----------
    primal : float
        Largest constraint violation (weights; for the ceiling, of wᵀPw − c², P = Σ/d).
    dual : float
        Largest stationarity or multiplier-sign violation (scaled objective per unit weight).
    complementarity : float
        Largest |multiplier × slack| over the inequality constraints (and the ceiling).
    tolerance : float
        The tolerance the solve was asked to meet.
    polished : bool
        The weights are the exact solution of their identified active set.
    iterations : int
        Active-set solves (KKT systems) used.
    scale : float
        The scalar Σ (and μ) was divided by before solving (d, the mean variance).
    ceiling_multiplier : float
        ρ ≥ 0 of the volatility ceiling wᵀΣw ≤ σ² in the problem's own units (objective per
        unit of variance; for max utility γ* = γ + 2ρ); 0 when the ceiling does not bind.
    """

    primal: float
    dual: float
    complementarity: float
    tolerance: float
    polished: bool
    iterations: int = 0
    scale: float = 1.0
    ceiling_multiplier: float = 0.0

    @property
    def max_residual(self) -> float:
        return max(self.primal, self.dual, self.complementarity)

    @property
    def satisfied(self) -> bool:
        """Every KKT condition holds to ``tolerance``."""
        return self.max_residual <= self.tolerance
