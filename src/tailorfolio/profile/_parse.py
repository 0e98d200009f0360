"""Turn plain data (a dict, YAML or JSON text) into a validated :class:`InvestorProfile`.

Pydantic's errors are translated into :class:`~tailorfolio.errors.ProfileValidationError`,
which lists every field at fault with its dotted path, the value, and a fix.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import ValidationError

from tailorfolio.errors import FieldIssue, ProfileValidationError
from tailorfolio.profile._investor import InvestorProfile

_FIX_BY_TYPE: dict[str, str] = {
    "missing": "add this field",
    "extra_forbidden": "remove it or check its spelling against `tailorfolio profile-template`",
    "greater_than": "use a larger value",
    "greater_than_equal": "use a larger value",
    "less_than": "use a smaller value",
    "less_than_equal": "use a smaller value",
    "date_from_datetime_parsing": "write dates as YYYY-MM-DD",
    "date_parsing": "write dates as YYYY-MM-DD",
    "date_type": "write dates as YYYY-MM-DD",
    "enum": "use one of the listed values",
    "float_parsing": "write a plain number without currency symbols or commas",
    "int_parsing": "write a whole number",
    "too_short": "add at least one entry",
    "string_pattern_mismatch": "use one of the allowed values",
}


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(profile)"


def parse_profile(data: Any, *, source: str | None = None) -> InvestorProfile:
    """Validate ``data`` (a mapping) into an :class:`InvestorProfile`.

    Parameters
    ----------
    data : mapping
        Plain data as read from YAML or JSON.
    source : str, optional
        Where the data came from (a file name), quoted in error messages.

    Raises
    ------
    ProfileValidationError
        Listing every invalid field with its path, value and fix.
    """
    if not isinstance(data, dict):
        raise ProfileValidationError(
            [
                FieldIssue(
                    "(profile)",
                    type(data).__name__,
                    "a profile must be a mapping of fields (name, age, goals, accounts, ...)",
                    "start from `tailorfolio profile-template`",
                )
            ],
            source=source,
        )
    try:
        return InvestorProfile.model_validate(data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors(include_url=False):
            msg = str(err.get("msg", "invalid"))
            msg = msg.removeprefix("Value error, ")
            issues.append(
                FieldIssue(
                    field=_path(tuple(err.get("loc", ()))),
                    value=err.get("input"),
                    message=msg,
                    fix=_FIX_BY_TYPE.get(str(err.get("type", ""))),
                )
            )
        raise ProfileValidationError(issues, source=source) from None


def profile_from_yaml(text: str, *, source: str | None = None) -> InvestorProfile:
    """Parse YAML (or JSON, which is YAML) text into a profile.

    Raises
    ------
    ProfileValidationError
        When the text is not valid YAML or the profile is invalid.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ProfileValidationError(
            [FieldIssue("(file)", where, f"not valid YAML: {getattr(exc, 'problem', exc)}",
                        "check indentation and quoting at that position")],
            source=source,
        ) from None
    return parse_profile(data, source=source)


def profile_to_json(profile: InvestorProfile) -> str:
    """Canonical JSON of a profile (sorted keys), used for hashing and storage."""
    return json.dumps(profile.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
