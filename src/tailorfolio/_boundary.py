"""Checks at the public Python boundary: what ``tailorfolio.plan`` accepts, typed errors else.

``tf.plan`` takes an :class:`InvestorProfile`, or a plain mapping (validated into one, with
every problem listed, as a YAML file would be). A path or YAML text is refused with a pointer to
:func:`tailorfolio.io.load_profile` / :func:`tailorfolio.profile_from_yaml`: the core reads no
files. ``market`` is a :class:`Market` or None, ``settings`` a :class:`PlanSettings`, a mapping
of its fields, or None, and ``as_of`` a :class:`datetime.date`, an ISO ``YYYY-MM-DD`` string or
None.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from tailorfolio.errors import DataError, ParameterError, ProfileError
from tailorfolio.limits import MAX_AS_OF, MAX_GOAL_YEARS, MAX_PATHS, MIN_DATE, clip_text
from tailorfolio.profile._enums import GoalKind

__all__ = ["check_plan_inputs", "check_as_of"]


def check_as_of(as_of: Any, field: str = "as_of") -> date | None:
    """``as_of`` as a date in [MIN_DATE, MAX_AS_OF] (ISO strings accepted), or None."""
    if as_of is None:
        return None
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    elif isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of.strip())
        except ValueError:
            raise ParameterError(
                f"{field} {clip_text(as_of)} is not a date; expected YYYY-MM-DD.", field=field,
                value=clip_text(as_of), expected="a date (datetime.date or 'YYYY-MM-DD')",
                fix="e.g. as_of='2025-06-30'") from None
    elif not isinstance(as_of, date):
        raise ParameterError(
            f"{field} must be a datetime.date or a 'YYYY-MM-DD' string; got "
            f"{type(as_of).__name__} {clip_text(as_of)}.", field=field, value=clip_text(as_of),
            expected="a date (datetime.date or 'YYYY-MM-DD')", fix="e.g. as_of='2025-06-30'")
    if not MIN_DATE <= as_of <= MAX_AS_OF:
        raise ParameterError(
            f"{field} {as_of} is outside [{MIN_DATE}, {MAX_AS_OF}].", field=field,
            value=as_of.isoformat(), expected=f"a date in [{MIN_DATE}, {MAX_AS_OF}]",
            fix="use the date the plan is made for")
    return as_of


def _check_profile(profile: Any) -> Any:
    from tailorfolio.profile._investor import InvestorProfile
    from tailorfolio.profile._parse import parse_profile

    if isinstance(profile, InvestorProfile):
        return profile
    if isinstance(profile, Mapping):
        return parse_profile(dict(profile), source="the profile mapping")
    if isinstance(profile, (str, os.PathLike)):
        text = os.fspath(profile)
        raise ProfileError(
            f"profile must be an InvestorProfile (or a mapping of its fields); got the "
            f"{'text' if isinstance(profile, str) and chr(10) in text else 'path'} "
            f"{clip_text(text, 60)}. The core reads no files.", field="profile",
            value=clip_text(text, 60), expected="InvestorProfile or a mapping",
            fix="tf.plan(tailorfolio.io.load_profile(path)) or "
                "tf.plan(tf.profile_from_yaml(text))")
    raise ProfileError(
        f"profile must be an InvestorProfile (or a mapping of its fields); got "
        f"{type(profile).__name__}.", field="profile", value=type(profile).__name__,
        expected="InvestorProfile or a mapping", fix="tf.load_example_profile('young_saver') "
        "shows one")


def _check_market(market: Any) -> Any:
    from tailorfolio.market._market import Market

    if market is None or isinstance(market, Market):
        return market
    hint = ("estimate one with tailorfolio.market.market_from_prices(prices)"
            if type(market).__name__ == "DataFrame" else "use tf.default_market()")
    raise DataError(
        f"market must be a tailorfolio Market or None; got {type(market).__name__}.",
        field="market", value=type(market).__name__, expected="Market or None", fix=hint)


def _check_settings(settings: Any) -> Any:
    from pydantic import ValidationError

    from tailorfolio.planning._settings import PlanSettings

    if settings is None:
        return settings
    if isinstance(settings, PlanSettings):
        return _within_limits(settings)
    if isinstance(settings, Mapping):
        try:
            return _within_limits(PlanSettings.model_validate(dict(settings)))
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            loc = ".".join(str(p) for p in err.get("loc", ())) or "settings"
            raise ParameterError(
                f"settings.{loc}: {err.get('msg')} (got {clip_text(err.get('input'))}).",
                field=f"settings.{loc}", value=clip_text(err.get("input")),
                expected="see PlanSettings' fields", fix="e.g. settings={'goal_paths': 2000}"
            ) from None
    raise ParameterError(
        f"settings must be a PlanSettings, a mapping of its fields or None; got "
        f"{type(settings).__name__} {clip_text(settings)}.", field="settings",
        value=clip_text(settings), expected="PlanSettings, a mapping or None",
        fix="tf.PlanSettings(goal_paths=2000)")


def _within_limits(settings: Any) -> Any:
    if settings.goal_paths > MAX_PATHS:
        raise ParameterError(
            f"settings.goal_paths must be at most {MAX_PATHS:,}; got {settings.goal_paths:,}.",
            field="settings.goal_paths", value=settings.goal_paths,
            expected=f"an integer in [0, {MAX_PATHS:,}]", fix="2,000 paths are the default")
    return settings


def check_plan_inputs(profile: Any, market: Any = None, settings: Any = None,
                      as_of: Any = None) -> tuple[Any, Any, Any, date | None]:
    """Validate and normalise the arguments of :func:`tailorfolio.plan`.

    Returns
    -------
    profile : InvestorProfile
    market : Market or None
    settings : PlanSettings or None
    as_of : date or None

    Raises
    ------
    ProfileError
        ``profile`` is not a profile (a path, text, number) or the mapping is invalid.
    DataError
        ``market`` is not a Market.
    ParameterError
        ``settings`` or ``as_of`` is of the wrong type or out of range, or lots were bought
        after ``as_of``.
    """
    prof = _check_profile(profile)
    mkt = _check_market(market)
    sett = _check_settings(settings)
    day = check_as_of(as_of)
    if not any(acc.cash > 0 or acc.lots for acc in prof.accounts):
        # Rule: a plan invests money the household has; with none, every weight (and the
        # goals' dynamic programme) is undefined.
        raise ProfileError(
            "accounts: the household holds no money (every account has cash 0 and no lots); "
            "a plan allocates existing wealth.", field="accounts", value=0.0,
            expected="cash > 0 or at least one lot in some account",
            fix="enter the accounts' current cash and holdings")
    if day is not None:
        for i, g in enumerate(prof.goals):
            if g.target_year is None:
                continue
            if g.target_year > day.year + MAX_GOAL_YEARS or (
                    g.target_year < day.year and g.kind is GoalKind.LUMP_SUM):
                raise ParameterError(
                    f"as_of {day} puts goals[{i}].target_year ({g.target_year}) "
                    f"{'in the past' if g.target_year < day.year else 'too far ahead'}: goals "
                    f"fall due from the as_of year to {MAX_GOAL_YEARS} years after it.",
                    field="as_of", value=day.isoformat(),
                    expected=f"a date from {g.target_year - MAX_GOAL_YEARS} to the end of "
                    f"{g.target_year}", fix="use the profile's as_of, or update the goal")
        for i, acc in enumerate(prof.accounts):
            for j, lot in enumerate(acc.lots):
                if lot.acquired > day:
                    raise ParameterError(
                        f"as_of {day} is before accounts[{i}].lots[{j}].acquired "
                        f"({lot.acquired}): a plan cannot hold a lot bought after its date.",
                        field="as_of", value=day.isoformat(),
                        expected=f"on or after {lot.acquired}",
                        fix="use a later as_of, or the profile's own")
    return prof, mkt, sett, day
