"""Turn plain data (a dict, YAML or JSON text) into a validated :class:`InvestorProfile`.

Pydantic's errors are translated into :class:`~tailorfolio.errors.ProfileValidationError`,
which lists every field at fault with its dotted path, the value, and a fix.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from pydantic import ValidationError

from tailorfolio.errors import FieldIssue, ProfileValidationError
from tailorfolio.limits import (
    MAX_PROFILE_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    clip_text,
)
from tailorfolio.profile._investor import InvestorProfile

_FIELD_PREFIX = re.compile(r"^((?:[a-z_]+)(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*): (.*)$", re.S)

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
    "finite_number": "write a finite number (not .inf or .nan)",
    "too_long": "split the input or remove entries (see the README's Errors section)",
    "date_from_datetime_inexact": "write dates as YYYY-MM-DD",
    "float_type": "write a plain number",
    "int_type": "write a whole number",
    "int_from_float": "write a whole number",
    "string_type": "write text (quote it in YAML)",
    "dict_type": "write a mapping (key: value lines)",
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
    problem = _structure_problem(data)
    if problem is not None:
        raise ProfileValidationError([problem], source=source)
    try:
        return InvestorProfile.model_validate(data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors(include_url=False):
            msg = str(err.get("msg", "invalid"))
            msg = msg.removeprefix("Value error, ")
            field = _path(tuple(err.get("loc", ())))
            value = err.get("input")
            m = _FIELD_PREFIX.match(msg)
            if m and field in ("(profile)",) + tuple(
                    f for f in ("goals", "accounts") if m.group(1).startswith(f)):
                # a cross-field rule names its own field ("goals[1].target_year: 2020 ...")
                field, msg = m.group(1), m.group(2)
                value = msg.split(" ", 1)[0]
            elif m and re.fullmatch(r"[a-z_]+\[\d+\]", field):
                # a rule of one list entry names its field ("start_age: 60 is ...")
                field, msg = f"{field}.{m.group(1)}", m.group(2)
                value = msg.split(" ", 1)[0]
            elif err.get("type") == "missing":
                value = "(missing)"
            elif isinstance(value, (dict, list, tuple)):
                value = clip_text(value)
            issues.append(
                FieldIssue(
                    field=field,
                    value=value,
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
    if len(text) > MAX_PROFILE_BYTES:
        raise ProfileValidationError(
            [FieldIssue("(file)", f"{len(text):,} characters",
                        f"a profile is at most {MAX_PROFILE_BYTES:,} characters",
                        "remove what the profile does not need")],
            source=source,
        )
    try:
        data = _load_yaml(text)
    except _StructureError as exc:
        raise ProfileValidationError([exc.issue], source=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ProfileValidationError(
            [FieldIssue("(file)", where, f"not valid YAML: {getattr(exc, 'problem', exc)}",
                        "check indentation and quoting at that position")],
            source=source,
        ) from None
    return parse_profile(data, source=source)


class _StructureError(yaml.YAMLError):
    def __init__(self, issue: FieldIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _where(node: yaml.Node) -> str:
    mark = node.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}"


class _BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects duplicate keys, bounds nesting depth and counts the
    values aliases would expand to (a "billion laughs" file fails fast, before expansion)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    # PyYAML's own signature is untyped; the override keeps its arguments (ignore justified).
    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark
                raise _StructureError(FieldIssue(
                    "(file)", f"line {mark.line + 1}, column {mark.column + 1}",
                    f"nested more than {MAX_YAML_DEPTH} levels deep",
                    "a profile needs only a few levels; check the file"))
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = key_node.value
                    if key in seen and key != "<<":
                        raise _StructureError(FieldIssue(
                            clip_text(key, 40).strip("'"), _where(key_node),
                            f"the key {clip_text(key, 40)} appears twice in one mapping",
                            "keep one of them (YAML would silently use the last)"))
                    seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _timestamp_or_text(loader: _BoundedLoader, node: yaml.Node) -> Any:
    """A YAML date, or its text when it is no real date (2025-02-30): pydantic then reports
    the field with its path instead of PyYAML failing with a bare ValueError."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return str(node.value)


_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _expanded_size(root: yaml.Node) -> None:
    """Raise when ``root`` expands to more than MAX_YAML_NODES values (linear in the
    distinct nodes: sizes are memoised per node; a node containing itself is refused)."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            children = _children(node)
            total = 1 + sum(size[id(c)] for c in children)
            if total > MAX_YAML_NODES:
                raise _StructureError(FieldIssue(
                    "(file)", _where(node),
                    f"the file expands to more than {MAX_YAML_NODES:,} values once its "
                    "aliases (*name) are expanded", "write the values out, without aliases"))
            size[key] = total
            continue
        if key in size:
            continue
        if key in active:
            raise _StructureError(FieldIssue(
                "(file)", _where(node), "an alias refers to a value that contains it "
                "(a recursive structure)", "remove the recursive alias"))
        active.add(key)
        stack.append((node, True))
        for c in _children(node):
            if id(c) not in size:
                if id(c) in active:
                    raise _StructureError(FieldIssue(
                        "(file)", _where(c), "an alias refers to a value that contains it "
                        "(a recursive structure)", "remove the recursive alias"))
                stack.append((c, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _load_yaml(text: str) -> Any:
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _structure_problem(data: Any) -> FieldIssue | None:
    """A bounded walk of plain data (from the API): too deep, too big or recursive."""
    # Counting values bounds shared and even self-referencing data (no recursion here).
    stack: list[tuple[Any, int]] = [(data, 1)]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if depth > MAX_YAML_DEPTH:
            return FieldIssue("(profile)", f"depth {depth}",
                              f"nested more than {MAX_YAML_DEPTH} levels deep",
                              "a profile needs only a few levels")
        if seen > MAX_YAML_NODES:
            return FieldIssue("(profile)", f"more than {MAX_YAML_NODES:,} values",
                              "the profile holds too many values (or contains itself)",
                              "see the README's Errors section for the limits")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend((v, depth + 1) for v in value)
    return None


def profile_to_json(profile: InvestorProfile) -> str:
    """Canonical JSON of a profile (sorted keys), used for hashing and storage."""
    return json.dumps(profile.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
