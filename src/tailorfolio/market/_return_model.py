"""Which expected returns a plan uses, and the default confidence of the forecast views.

Kept free of numpy and pandas: the command line offers the choice (``--returns``) and
``PlanSettings`` holds it without loading the numeric stack.
"""

from __future__ import annotations

from enum import Enum

DEFAULT_VIEW_CONFIDENCE = 0.25
"""Confidence of each forecast view, in (0, 1].

c = 0.25 gives each forecast a third of the prior's precision (Ω_ii = 3 τ Σ_ii). Measured on
the bundled market (16 ETFs, Vanguard VCMM 2025, γ = 3, budget + long-only):

* the posterior stays within 0.36 points of π for every asset, and the max-utility portfolio
  is 24 % (half-L1) away from the market weights, against 57 % for the raw forecasts, which
  hold no VTI at all;
* raising any one equity forecast by 0.5 points (δ recalibrated) moves at most 3.3 % of the
  portfolio, half-L1 (raw forecasts: up to 10.5 %); a bond or real-asset forecast at most
  9 % (raw: 32 %); the one outlier is short Treasuries (VGSH, 1.9 % volatility, a
  near-substitute of cash): 25 %; the tracking error between the two portfolios is at most
  1.1 % a year for any asset (raw: 1.9 %);
* c = 0.5 (the forecast as strong as the prior) already moves 46 % away from the market
  weights; c = 0.1 keeps within 11 % but lets the forecasts tilt by at most 0.2 points.

See ``tests/estimate/test_equilibrium.py`` for the checks that keep this true.
"""


class ReturnModel(str, Enum):
    """Which expected returns a plan optimizes on.

    * ``equilibrium_views`` (default): Black–Litterman posterior of the market-implied
      returns and the forecasts as views.
    * ``forecasts``: the capital-market assumptions as they are (the behaviour before).
    * ``equilibrium``: the market-implied returns only.
    """

    EQUILIBRIUM_VIEWS = "equilibrium_views"
    FORECASTS = "forecasts"
    EQUILIBRIUM = "equilibrium"
