"""tailorfolio: personalized portfolio optimization.

From an investor's situation (goals, horizon, risk questionnaire, accounts and tax lots,
values) and a market (universe, prices, capital-market assumptions) to an explained plan.

>>> import tailorfolio as tf
>>> profile = tf.load_example_profile("young_saver")
>>> plan = tf.plan(profile)
>>> round(sum(plan.weights.values()), 6)
1.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tailorfolio._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time the names load on first use (PEP 562)
    from tailorfolio._version import __version__
    from tailorfolio.examples import EXAMPLE_PROFILES, example_profile_text, load_example_profile
    from tailorfolio.market import Market, default_market
    from tailorfolio.planning import Plan, PlanSettings, build_plan
    from tailorfolio.profile import InvestorProfile, parse_profile, profile_from_yaml

_EXPORTS = {
    "__version__": "tailorfolio._version",  # reads the distribution metadata
    "EXAMPLE_PROFILES": "tailorfolio.examples",
    "example_profile_text": "tailorfolio.examples",
    "load_example_profile": "tailorfolio.examples",
    "Market": "tailorfolio.market._market",
    "default_market": "tailorfolio.market._defaults",
    "Plan": "tailorfolio.planning._plan",
    "PlanSettings": "tailorfolio.planning._settings",
    "build_plan": "tailorfolio.planning._build",
    "InvestorProfile": "tailorfolio.profile._investor",
    "parse_profile": "tailorfolio.profile._parse",
    "profile_from_yaml": "tailorfolio.profile._parse",
}
"""Public name → the module defining it, imported on first use so that ``import tailorfolio``
(and the command line's ``--help``) does not load the numeric stack."""

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


def plan(profile: object, market: object = None, *, settings: object = None,
         as_of: object = None, **options: Any) -> Plan:
    """Make the plan for ``profile`` (see :func:`tailorfolio.planning.build_plan`).

    The public boundary: ``profile`` may be an :class:`InvestorProfile` or a mapping of its
    fields, ``settings`` a :class:`PlanSettings` or a mapping, ``as_of`` a date or an ISO
    string; other keyword ``options`` (``optimizer``, ...) go to ``build_plan`` as they are;
    anything else raises a typed tailorfolio error saying what was expected (see
    :func:`tailorfolio._boundary.check_plan_inputs`).

    Raises
    ------
    ProfileError, DataError, ParameterError, InfeasibleError, SolverError
    """
    from tailorfolio._boundary import check_plan_inputs
    from tailorfolio.planning._build import build_plan

    profile, market, settings, as_of = check_plan_inputs(profile, market, settings, as_of)
    return build_plan(profile, market, settings=settings, as_of=as_of, **options)


__all__ = [
    "EXAMPLE_PROFILES",
    "InvestorProfile",
    "Market",
    "Plan",
    "PlanSettings",
    "__version__",
    "build_plan",
    "default_market",
    "example_profile_text",
    "load_example_profile",
    "parse_profile",
    "plan",
    "profile_from_yaml",
]
