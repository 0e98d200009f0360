"""Every documented input limit of tailorfolio, in one place.

The command line, the Python API (:mod:`tailorfolio._boundary`) and the web service check
inputs against these constants, so a value refused by one edge is refused by all, with the
same range in the message. The README's "Errors" section lists them.

The limits are *plausibility* bounds: far above any real household or market file, low
enough that no accepted input can overflow a float, exhaust memory or keep a core busy for
minutes. Checks against them are linear in the input size.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from tailorfolio.errors import MAX_ECHO_CHARS, ParameterError, TailorfolioError, clip_text

__all__ = [
    "MAX_MONEY",
    "MAX_QUANTITY",
    "MAX_PRICE",
    "MAX_GOALS",
    "MAX_ACCOUNTS",
    "MAX_LOTS",
    "MAX_PROFILE_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "MAX_PRICE_COLUMNS",
    "MAX_PRICE_ROWS",
    "MAX_TABLE_BYTES",
    "MAX_TRANSACTIONS",
    "MAX_PATHS",
    "MAX_FRONTIER_POINTS",
    "MAX_FEE_BPS",
    "MAX_FLEET_INVESTORS",
    "MIN_DATE",
    "MAX_YEAR",
    "MAX_AS_OF",
    "MAX_GOAL_YEARS",
    "MAX_ECHO_CHARS",
    "clip_text",
    "check_number",
    "check_int",
]

# --------------------------------------------------------------------------- money and sizes

MAX_MONEY = 1e12
"""Largest amount of money in any field (income, cash, goal amounts, contributions, caps on
tax): one trillion currency units. Every money field must be finite and in [0, MAX_MONEY]."""

MAX_QUANTITY = 1e10
"""Largest share count of a lot or a transaction (finite, > 0)."""

MAX_PRICE = 1e9
"""Largest price per share (prices, cost bases) in any currency unit (finite)."""

MAX_GOALS = 50
"""Most goals in one profile."""

MAX_ACCOUNTS = 50
"""Most accounts in one profile."""

MAX_LOTS = 100_000
"""Most tax lots in one profile (all accounts together)."""

# --------------------------------------------------------------------------- files

MAX_PROFILE_BYTES = 2_000_000
"""Largest profile file (YAML or JSON), bytes."""

MAX_YAML_DEPTH = 64
"""Deepest nesting of mappings and lists in a profile file."""

MAX_YAML_NODES = 1_000_000
"""Most values a profile may hold once every YAML alias is expanded (alias bombs fail)."""

MAX_TABLE_BYTES = 500_000_000
"""Largest price, universe or transactions file read, bytes."""

MAX_PRICE_COLUMNS = 1_000
"""Most assets (columns) in a price file: the covariance estimator is O(n_assets^2) in
memory and the optimizer O(n_assets^3); larger universes belong to the fleet engine."""

MAX_PRICE_ROWS = 200_000
"""Most dates in a price file (800 years of daily prices)."""

MAX_TRANSACTIONS = 1_000_000
"""Most rows in a transactions file."""

MAX_FLEET_INVESTORS = 100_000_000
"""Most investors in a fleet book (or generated with ``--generate``)."""

# --------------------------------------------------------------------------- engine settings

MAX_PATHS = 100_000
"""Most Monte Carlo paths in one simulation (``--paths``, ``goal_paths``): 100,000 paths of a
67-year plan take about two minutes on one core; the standard error of a probability is then
below 0.2 percentage points."""

MAX_FRONTIER_POINTS = 500
"""Most points on a frontier (``--points``)."""

MAX_FEE_BPS = 1_000.0
"""Largest fee or trading cost, basis points (10 %)."""

# --------------------------------------------------------------------------- dates

MIN_DATE = date(1900, 1, 1)
"""Earliest date accepted anywhere (profile ``as_of``, lots, prices, transactions)."""

MAX_YEAR = 2200
"""Latest calendar year a goal may fall due; ``as_of`` must be on or before 2100-12-31."""

MAX_AS_OF = date(2100, 12, 31)
"""Latest ``as_of`` date of a plan."""

MAX_GOAL_YEARS = 100
"""Furthest a goal may fall due after ``as_of``, years (``years`` or ``target_year``)."""

# --------------------------------------------------------------------------- messages

def check_number(value: Any, field: str, *, lo: float = -math.inf, hi: float = math.inf,
                 lo_open: bool = False, unit: str = "",
                 error: type[TailorfolioError] = ParameterError, fix: str | None = None
                 ) -> float:
    """``value`` as a finite float in the range, else ``error`` naming field, value and range.

    Parameters
    ----------
    value : any
        Number to check (bools are refused).
    field : str
        The user's name for it (``--max-tax``, ``goals[0].amount``).
    lo, hi : float
        Inclusive bounds (``lo`` exclusive when ``lo_open``).
    unit : str
        Appended to the range in the message (``" %"``, ``" bps"``).
    """
    rng = f"{'(' if lo_open else '['}{_fmt(lo)}, {_fmt(hi)}]{unit}"
    if isinstance(value, bool):
        raise error(f"{field} must be a number in {rng}; got {clip_text(value)}.",
                    field=field, value=value, expected=f"a number in {rng}", fix=fix)
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise error(f"{field} must be a number in {rng}; got {clip_text(value)}.",
                    field=field, value=clip_text(value), expected=f"a number in {rng}",
                    fix=fix) from None
    if not math.isfinite(x):
        raise error(f"{field} must be a finite number in {rng}; got {x}.", field=field,
                    value=str(x), expected=f"a finite number in {rng}", fix=fix)
    if x < lo or (lo_open and x == lo) or x > hi:
        raise error(f"{field} must be in {rng}; got {x:g}.", field=field, value=x,
                    expected=f"a number in {rng}", fix=fix)
    return x


def check_int(value: Any, field: str, *, lo: int, hi: int,
              error: type[TailorfolioError] = ParameterError, fix: str | None = None) -> int:
    """``value`` as an int in [lo, hi], else ``error`` naming field, value and range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(f"{field} must be a whole number in [{lo:,}, {hi:,}]; got "
                    f"{clip_text(value)}.", field=field, value=clip_text(value),
                    expected=f"an integer in [{lo:,}, {hi:,}]", fix=fix)
    if not lo <= value <= hi:
        raise error(f"{field} must be in [{lo:,}, {hi:,}]; got {value:,}.", field=field,
                    value=value, expected=f"an integer in [{lo:,}, {hi:,}]", fix=fix)
    return value


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "-inf" if x < 0 else "inf"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:g}"
