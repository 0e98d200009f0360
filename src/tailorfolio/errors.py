"""The one exception hierarchy of tailorfolio.

Every error a user can meet is a :class:`TailorfolioError`. Each carries the *field* it is
about, the offending *value*, what was *expected* and how to *fix* it, so the command line and
the web service can render it without parsing the message. Families also subclass the fitting
builtin (``ValueError``, ``RuntimeError``) so ``except ValueError`` keeps working.

Exit codes used by the command line (``exit_code`` attribute):

======  ==========================================
code    meaning
======  ==========================================
2       usage error (bad command-line arguments)
3       profile invalid (:class:`ProfileError`)
4       market or price data invalid (:class:`DataError`)
5       constraints infeasible (:class:`InfeasibleError`)
6       solver failed (:class:`SolverError`, :class:`UnboundedError`)
7       tax rule or ledger error (:class:`TaxError`)
8       missing optional dependency (:class:`MissingDependencyError`)
1       any other tailorfolio error
======  ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "TailorfolioError",
    "ParameterError",
    "ProfileError",
    "ProfileValidationError",
    "FieldIssue",
    "DataError",
    "MissingAssetsError",
    "PriceDataError",
    "InsufficientDataError",
    "OptimizationError",
    "InfeasibleError",
    "ConstraintConflict",
    "UnboundedError",
    "SolverError",
    "TaxError",
    "MissingDependencyError",
    "LookAheadError",
]


class TailorfolioError(Exception):
    """Root of every error tailorfolio raises on purpose.

    Parameters
    ----------
    message : str
        The full sentence shown to the user.
    field : str, optional
        Dotted path of the input field at fault (``"goals[1].target_year"``).
    value : Any, optional
        The offending value.
    expected : str, optional
        What a valid value looks like.
    fix : str, optional
        What the user can do about it.
    """

    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = None,
        expected: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.expected = expected
        self.fix = fix

    def to_dict(self) -> dict[str, Any]:
        """Plain-data view for JSON output and HTTP error bodies."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "field": self.field,
            "value": _jsonable(self.value),
            "expected": self.expected,
            "fix": self.fix,
        }

    def __str__(self) -> str:
        text = self.message
        if self.fix and self.fix not in text:
            text = f"{text} Fix: {self.fix}"
        return text


MAX_LISTED_ISSUES = 20
"""Most profile problems listed in one message (the rest are counted)."""


MAX_ECHO_CHARS = 80
"""Longest echo of a user's value in an error message (longer values are cut with '…')."""


def clip_text(value: Any, limit: int = MAX_ECHO_CHARS) -> str:
    """``repr(value)``, cut to ``limit`` characters: error messages never echo unbounded input.

    Containers are summarised before ``repr`` so a huge or self-referencing value costs
    O(limit), not O(len(value)).
    """
    if isinstance(value, dict):
        text = "{" + ", ".join(f"{k!r}: …" for k in list(value)[:5]) + (
            ", …}" if len(value) > 5 else "}")
        text = f"a mapping of {len(value)} field(s) {text}"
    elif isinstance(value, (list, tuple)) and len(value) > 5:
        text = f"a list of {len(value)} items"
    else:
        try:
            text = repr(value)
        except Exception:  # pragma: no cover - a broken __repr__ of user data
            text = f"<{type(value).__name__}>"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _clip(value: Any, limit: int | None = None) -> str:
    """A bounded repr of a user's value (see :func:`clip_text`)."""
    if isinstance(value, str) and limit is not None:
        return value if len(value) <= limit else value[: limit - 1] + "…"
    return clip_text(value, limit or MAX_ECHO_CHARS)


def _jsonable(value: Any, depth: int = 0) -> Any:
    """Plain data for JSON; bounded: long strings are cut, containers summarised."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value if len(value) <= 200 else value[:199] + "…"
    if depth < 2 and isinstance(value, (list, tuple)) and len(value) <= 20:
        return [_jsonable(v, depth + 1) for v in value]
    if depth < 2 and isinstance(value, dict) and len(value) <= 20:
        return {str(k)[:80]: _jsonable(v, depth + 1) for k, v in value.items()}
    return _clip(value)


class ParameterError(TailorfolioError, ValueError):
    """A function or estimator argument is out of its documented range."""

    exit_code = 2


# --------------------------------------------------------------------------- profile


class ProfileError(TailorfolioError, ValueError):
    """The investor profile is invalid or inconsistent."""

    exit_code = 3


@dataclass(frozen=True)
class FieldIssue:
    """One problem found while validating a profile: where, what, and how to fix it."""

    field: str
    value: Any
    message: str
    fix: str | None = None


class ProfileValidationError(ProfileError):
    """A profile failed validation; ``issues`` lists every field at fault, not just the first."""

    def __init__(self, issues: list[FieldIssue], *, source: str | None = None) -> None:
        self.issues = issues
        where = f" in {source}" if source else ""
        lines = [f"The investor profile{where} has {len(issues)} problem(s):"]
        for issue in issues[:MAX_LISTED_ISSUES]:
            line = f"  - {issue.field}: {_clip(issue.message, 400)} (got {_clip(issue.value)})"
            if issue.fix:
                line += f". Fix: {issue.fix}"
            lines.append(line)
        if len(issues) > MAX_LISTED_ISSUES:
            lines.append(f"  … and {len(issues) - MAX_LISTED_ISSUES} more.")
        first = issues[0] if issues else None
        super().__init__(
            "\n".join(lines),
            field=first.field if first else None,
            value=first.value if first else None,
            fix=first.fix if first else None,
        )

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["issues"] = [
            {"field": i.field, "value": _jsonable(i.value), "message": i.message, "fix": i.fix}
            for i in self.issues[:MAX_LISTED_ISSUES]
        ]
        return data


# --------------------------------------------------------------------------- data


class DataError(TailorfolioError, ValueError):
    """Market data (universe, prices, assumptions) is invalid."""

    exit_code = 4


class MissingAssetsError(DataError):
    """Assets referenced somewhere are absent from the universe or the price data."""

    def __init__(self, message: str, *, missing: list[str], **kwargs: Any) -> None:
        super().__init__(message, value=missing, **kwargs)
        self.missing = missing


class PriceDataError(DataError):
    """Prices contain NaN, infinities, non-positive values or bad dates.

    ``asset`` and ``dates`` name where the problem is.
    """

    def __init__(
        self, message: str, *, asset: str | None = None, dates: list[str] | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.asset = asset
        self.dates = dates or []


class InsufficientDataError(DataError):
    """Too few observations to estimate what was asked."""


# --------------------------------------------------------------------------- optimization


class OptimizationError(TailorfolioError, RuntimeError):
    """The optimization problem could not be solved as posed."""

    exit_code = 6


@dataclass(frozen=True)
class ConstraintConflict:
    """One user constraint taking part in an infeasibility.

    Attributes
    ----------
    name : str
        Stable identifier (``"class_min:bond"``).
    description : str
        The constraint in words (``"minimum bond allocation 40.0 %"``).
    field : str
        The profile field that set it (``"preferences.asset_class_bounds.bond"``).
    violation : float
        How far it must be relaxed for the rest to become feasible (decimal weight or score
        units as the description says); 0 when unknown.
    """

    name: str
    description: str
    field: str
    violation: float = 0.0


class InfeasibleError(OptimizationError):
    """The user's constraints cannot all hold; ``conflicts`` names the ones that clash."""

    exit_code = 5

    def __init__(
        self, message: str, *, conflicts: list[ConstraintConflict] | None = None, **kw: Any
    ) -> None:
        conflicts = conflicts or []
        kw.setdefault("field", conflicts[0].field if conflicts else None)
        super().__init__(message, **kw)
        self.conflicts = conflicts

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["conflicts"] = [
            {
                "name": c.name,
                "description": c.description,
                "field": c.field,
                "violation": c.violation,
            }
            for c in self.conflicts
        ]
        return data


class UnboundedError(OptimizationError):
    """The objective is unbounded: a constraint the problem needs is missing."""


class SolverError(OptimizationError):
    """Every solver in the fallback chain failed; ``attempts`` records each try."""

    def __init__(self, message: str, *, attempts: list[dict[str, Any]] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.attempts = attempts or []


# --------------------------------------------------------------------------- tax & deps


class TaxError(TailorfolioError, ValueError):
    """A tax lot, ledger or tax-rule input is invalid (e.g. selling more than is held)."""

    exit_code = 7


class MissingDependencyError(TailorfolioError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    exit_code = 8

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"This feature needs the optional package '{package}'.",
            field=package,
            expected=f"'{package}' importable",
            fix=f"pip install 'tailorfolio[{extra}]'",
        )



class LookAheadError(TailorfolioError, RuntimeError):
    """A backtest strategy used data from after its decision date."""
