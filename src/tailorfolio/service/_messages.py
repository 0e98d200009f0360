"""Messages the browser pages show in plain words instead of the library's (which name
profile fields and command-line commands, for YAML files and the terminal)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tailorfolio.profile._questionnaire import QUESTIONS


def questionnaire_message(answers: Mapping[str, Any] | None) -> str | None:
    """"Please answer every question of the risk questionnaire (2 missing: "…"; "…")." when
    questions are unanswered, else ``None``.

    Parameters
    ----------
    answers : mapping of question key to answer
        What the form sent (unanswered questions absent or empty).
    """
    given = {k for k, v in (answers or {}).items() if v not in (None, "")}
    missing = [q for q in QUESTIONS if q.key not in given]
    if not missing:
        return None
    texts = "; ".join(f"“{q.text}”" for q in missing)
    return (f"Please answer every question of the risk questionnaire ({len(missing)} "
            f"missing: {texts}).")
