"""Holding periods: short-term (one year or less) versus long-term (more than one year)."""

from __future__ import annotations

from datetime import date, timedelta


def anniversary(start: date) -> date:
    """The same calendar day one year after ``start`` (29 February → 28 February)."""
    try:
        return start.replace(year=start.year + 1)
    except ValueError:
        return start.replace(year=start.year + 1, day=28)


def is_long_term(holding_start: date, sold: date) -> bool:
    """True when shares whose holding period starts at ``holding_start`` are held *more than one
    year* on ``sold``.

    The holding period excludes the acquisition day and includes the sale day (Rev. Rul. 66-7,
    IRS Pub. 550 "Holding Period"), so shares bought 2024-03-15 are long-term when sold on
    2025-03-16 or later and short-term when sold on 2025-03-15.
    """
    return sold > anniversary(holding_start)


def long_term_date(holding_start: date) -> date:
    """The first sale date on which the shares are long-term."""
    return anniversary(holding_start) + timedelta(days=1)


WASH_WINDOW_DAYS = 30
"""IRC §1091(a): substantially identical acquisitions within 30 days before or after a loss sale."""


def in_wash_window(sale: date, purchase: date) -> bool:
    """True when ``purchase`` falls in the 61-day window centred on ``sale``."""
    return abs((purchase - sale).days) <= WASH_WINDOW_DAYS


def safe_repurchase_date(sale: date) -> date:
    """The first day a substantially identical purchase no longer washes a loss sold on ``sale``."""
    return sale + timedelta(days=WASH_WINDOW_DAYS + 1)
