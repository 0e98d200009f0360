"""Bundled example investors (used by ``tailorfolio demo`` and the tests)."""

from __future__ import annotations

from importlib import resources

from tailorfolio.errors import ParameterError
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.profile._parse import profile_from_yaml

EXAMPLE_PROFILES: dict[str, str] = {
    "young_saver": "A 28-year-old saving for retirement and a house",
    "family": "A family of four: college and retirement; taxable + 401(k) + Roth",
    "retiree": "A 68-year-old retiree drawing income",
    "esg_minded": "A 35-year-old investing an inheritance by their values (ESG)",
}
"""Example name → one-line description."""


def example_profile_text(name: str) -> str:
    """The YAML text of the bundled example ``name``."""
    if name not in EXAMPLE_PROFILES:
        raise ParameterError(
            f"There is no example profile {name!r}.", field="name", value=name,
            expected=f"one of {list(EXAMPLE_PROFILES)}",
        )
    return resources.files("tailorfolio.examples").joinpath(f"{name}.yaml").read_text("utf-8")


def load_example_profile(name: str) -> InvestorProfile:
    """The bundled example ``name`` as a validated profile."""
    return profile_from_yaml(example_profile_text(name), source=f"example {name}")
