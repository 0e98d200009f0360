from __future__ import annotations

import pytest

from tailorfolio.errors import ProfileValidationError
from tailorfolio.examples import example_profile_text
from tailorfolio.profile import QUESTIONS, InvestorProfile, parse_profile, profile_from_yaml
from tailorfolio.cli._template import profile_template
import yaml


def _base() -> dict:
    return yaml.safe_load(example_profile_text("young_saver"))


def test_examples_parse(example_profile: InvestorProfile) -> None:
    assert example_profile.goals and example_profile.accounts
    assert set(example_profile.risk_questionnaire) == {q.key for q in QUESTIONS}


def test_template_is_a_valid_profile() -> None:
    prof = profile_from_yaml(profile_template())
    assert prof.name == "Sam Example"


def test_answers_accept_index_and_normalise_to_key() -> None:
    data = _base()
    data["risk_questionnaire"]["drop_reaction"] = 0
    prof = parse_profile(data)
    assert prof.risk_questionnaire["drop_reaction"] == "sell_all"
    assert prof.answer_index("drop_reaction") == 0


def test_every_problem_is_listed_with_field_and_fix() -> None:
    data = _base()
    data["age"] = 12
    data["goals"][0]["amount"] = -5
    data["accounts"][0]["lots"][0]["acquired"] = "15/03/2021"
    with pytest.raises(ProfileValidationError) as info:
        parse_profile(data, source="me.yaml")
    fields = {i.field for i in info.value.issues}
    assert {"age", "goals[0].amount", "accounts[0].lots[0].acquired"} <= fields
    msg = str(info.value)
    assert "me.yaml" in msg and "YYYY-MM-DD" in msg and "larger value" in msg


def test_unknown_answer_names_valid_options() -> None:
    data = _base()
    data["risk_questionnaire"]["objective"] = "get_rich"
    with pytest.raises(ProfileValidationError, match=r"risk_questionnaire.*'get_rich'.*preserve"):
        parse_profile(data)


def test_missing_question_is_reported() -> None:
    data = _base()
    del data["risk_questionnaire"]["risk_word"]
    with pytest.raises(ProfileValidationError, match="unanswered question.*risk_word"):
        parse_profile(data)


def test_goal_needs_exactly_one_date() -> None:
    data = _base()
    data["goals"][0].pop("target_year")
    with pytest.raises(ProfileValidationError, match="target_year"):
        parse_profile(data)
    data["goals"][0]["target_year"] = 2030
    data["goals"][0]["years"] = 5
    with pytest.raises(ProfileValidationError, match="not both"):
        parse_profile(data)


def test_misspelled_field_is_rejected_with_fix() -> None:
    data = _base()
    data["anual_income"] = 1
    with pytest.raises(ProfileValidationError, match="anual_income.*spelling"):
        parse_profile(data)


def test_bounds_must_be_ordered() -> None:
    data = _base()
    data["preferences"]["asset_class_bounds"] = {"bond": {"min": 0.6, "max": 0.2}}
    with pytest.raises(ProfileValidationError, match="min .*above max"):
        parse_profile(data)


def test_bad_yaml_names_the_position() -> None:
    with pytest.raises(ProfileValidationError, match="line 2"):
        profile_from_yaml("name: x\n  age: [1,\n")


def test_duplicate_account_names_rejected() -> None:
    data = _base()
    data["accounts"][1]["name"] = data["accounts"][0]["name"]
    with pytest.raises(ProfileValidationError, match="unique"):
        parse_profile(data)


def test_profile_is_immutable() -> None:
    prof = parse_profile(_base())
    with pytest.raises(Exception):
        prof.age = 40
