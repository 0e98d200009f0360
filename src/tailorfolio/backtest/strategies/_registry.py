"""Build strategies from short text specs (``hrp``, ``mv:7``, ``bl-ml:gbm``...).

=====================  ======================================================================
spec                   strategy
=====================  ======================================================================
``1/n``, ``equal``     1/N
``inverse-vol``        inverse volatility
``min-variance``       Ledoit–Wolf minimum variance
``mv[:LEVEL]``         mean-variance at risk level LEVEL (1–10, default 5)
``hrp``                hierarchical risk parity
``risk-parity``        equal risk contribution
``bl-ml[:MODEL]``      Black–Litterman with ML views (``ridge`` default, ``lasso``, ``gbm``)
``regimes[:K]``        regime-switching mean-variance with a K-state HMM (default 2)
``glide-path``         retirement glide path toward the goal date
``fixed:A=w,B=w``      fixed weights, e.g. ``fixed:US_Stocks=0.6,US_Treasury_10y=0.4``
``plan``               the investor's own plan (needs the plan's broad-class weights)
=====================  ======================================================================
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from tailorfolio.backtest._strategy import Strategy
from tailorfolio.backtest.strategies._bl_ml import BlackLittermanML
from tailorfolio.backtest.strategies._dynamic import GlidePathStrategy, RegimeSwitching
from tailorfolio.backtest.strategies._hrp import HierarchicalRiskParity
from tailorfolio.backtest.strategies._optimized import MeanVariance, MinimumVariance
from tailorfolio.backtest.strategies._risk_parity import RiskParity
from tailorfolio.backtest.strategies._simple import (
    EqualWeight,
    FixedWeights,
    InverseVolatility,
    plan_strategy,
)
from tailorfolio.errors import ParameterError

STRATEGY_SPECS = ("1/n", "inverse-vol", "min-variance", "mv[:LEVEL]", "hrp", "risk-parity",
                  "bl-ml[:ridge|lasso|gbm]", "regimes[:K]", "glide-path", "fixed:A=w,...",
                  "plan")


def strategy_from_spec(spec: str, *, window: int = 120, broad_class: Mapping[str, str] | None
                       = None, goal_date: str | pd.Timestamp | None = None,
                       plan_class_weights: Mapping[str, float] | None = None) -> Strategy:
    """The strategy named by ``spec``.

    Parameters
    ----------
    spec : str
        See the module table.
    window : int
        Estimation window (periods) of estimated strategies.
    broad_class : mapping, optional
        Needed by ``plan``.
    goal_date : date, optional
        Needed by ``glide-path``.
    plan_class_weights : mapping, optional
        Needed by ``plan``.

    Raises
    ------
    ParameterError
        On an unknown or incomplete spec.
    """
    name, _, arg = spec.strip().partition(":")
    key = name.lower()
    try:
        if key in ("1/n", "equal", "equal-weight", "1n"):
            return EqualWeight()
        if key in ("inverse-vol", "inverse-volatility", "ivp"):
            return InverseVolatility(window=min(window, 60))
        if key in ("min-variance", "minvar", "gmv"):
            return MinimumVariance(window=window)
        if key in ("mv", "mean-variance"):
            return MeanVariance(risk_level=int(arg or 5), window=window)
        if key == "hrp":
            return HierarchicalRiskParity(window=window)
        if key in ("risk-parity", "erc"):
            return RiskParity(window=window)
        if key in ("bl-ml", "black-litterman"):
            return BlackLittermanML(model=arg or "ridge", window=window, min_train=window)
        if key in ("regimes", "regime", "regime-switching"):
            return RegimeSwitching(n_regimes=int(arg or 2), min_history=window)
        if key in ("glide-path", "glide"):
            if goal_date is None:
                raise ParameterError("glide-path needs a goal date.", field="--goal-date",
                                     fix="pass --goal-date YYYY-MM-DD")
            return GlidePathStrategy(goal_date)
        if key == "fixed":
            pairs = [p.split("=") for p in arg.split(",") if p]
            return FixedWeights({a.strip(): float(w) for a, w in pairs},
                                label=f"fixed {arg}")
        if key == "plan":
            if plan_class_weights is None or broad_class is None:
                raise ParameterError("The 'plan' strategy needs an investor profile.",
                                     field="--profile", fix="pass --profile me.yaml")
            return plan_strategy(plan_class_weights, broad_class)
    except (ValueError, TypeError) as exc:
        if isinstance(exc, ParameterError):
            raise
        raise ParameterError(f"Cannot read strategy spec {spec!r}: {exc}.", field="STRATEGY",
                             value=spec, expected=", ".join(STRATEGY_SPECS)) from None
    raise ParameterError(f"Unknown strategy {spec!r}.", field="STRATEGY", value=spec,
                         expected=", ".join(STRATEGY_SPECS))
