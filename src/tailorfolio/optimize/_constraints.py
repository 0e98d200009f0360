"""The user's constraints in weight space, each labelled with the profile field that set it.

A :class:`ConstraintSet` is plain numbers aligned with a universe (bounds per asset, bounds
per class, an ESG floor, a volatility ceiling) plus :class:`Rule` labels saying where each
came from, so an infeasible problem can be explained in the user's own terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np

from tailorfolio.errors import ProfileError
from tailorfolio.market._universe import Universe
from tailorfolio.optimize._esg_presets import resolve_esg_preferences
from tailorfolio.profile._preferences import Preferences
from tailorfolio.typing import FloatArray


class MissingScorePolicy(str, Enum):
    """What to do with assets that have no ESG score when a floor or tilt is set."""

    EXCLUDE = "exclude"  # never hold them
    WORST = "worst"  # count their score as 0
    IGNORE = "ignore"  # the floor applies to the scored part of the portfolio only


@dataclass(frozen=True)
class GroupBound:
    """Bounds on the total weight of a group of assets (an asset class or broad class).

    Attributes
    ----------
    name : str
        Label of the group (``"bond"``, ``"us_equity"``).
    level : str
        ``broad_class`` or ``asset_class``.
    members : ndarray of shape (n_assets,)
        1.0 for members, 0.0 otherwise.
    min, max : float
        Weight range, decimals.
    field_min, field_max : str
        Profile fields that set the bounds ("" when not user-set).
    """

    name: str
    level: str
    members: FloatArray
    min: float = 0.0
    max: float = 1.0
    field_min: str = ""
    field_max: str = ""


@dataclass(frozen=True)
class Exclusion:
    """One exclusion rule and the assets it removes."""

    rule: str  # e.g. "activity 'fossil_fuels'", "asset 'VWO'", "missing ESG score"
    field: str
    tickers: tuple[str, ...]


@dataclass(frozen=True)
class ConstraintSet:
    """Every constraint of a long-only, fully invested portfolio, aligned with ``universe``.

    Attributes
    ----------
    tickers : list of str
        Universe order.
    lower, upper : ndarray of shape (n_assets,)
        Per-asset weight bounds after exclusions (excluded assets have upper 0).
    groups : tuple of GroupBound
        One entry for every broad class and fine asset class present (inactive ones are
        [0, 1]).
    exclusions : tuple of Exclusion
    max_weight_per_asset : float
        The uniform cap (also folded into ``upper``).
    asset_caps : ndarray of shape (n_assets,), optional
        The uniform caps per asset (the engine's diversification cap for risky assets, the
        profile's own cap for cash); None means ``max_weight_per_asset`` for all.
    asset_bound_fields : dict of str to str
        For tickers with user-set bounds, the field that set them.
    esg_scores : ndarray of shape (n_assets,) or None
        0–100 scores with NaN for missing.
    min_esg_score : float or None
    missing_score_policy : MissingScorePolicy
    esg_tilt : float
    max_volatility : float or None
        Annual volatility ceiling, decimal.
    volatility_field : str
    """

    tickers: list[str]
    lower: FloatArray
    upper: FloatArray
    groups: tuple[GroupBound, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    max_weight_per_asset: float = 1.0
    max_weight_field: str = "preferences.max_weight_per_asset"
    asset_caps: np.ndarray | None = None
    asset_bound_fields: dict[str, str] = field(default_factory=dict)
    esg_scores: FloatArray | None = None
    min_esg_score: float | None = None
    missing_score_policy: MissingScorePolicy = MissingScorePolicy.WORST
    esg_tilt: float = 0.0
    max_volatility: float | None = None
    volatility_field: str = "risk level (volatility ceiling)"

    @property
    def n_assets(self) -> int:
        return len(self.tickers)

    def esg_coefficients(self) -> FloatArray:
        """Vector ``c`` with the ESG floor written as ``c @ w >= 0`` (zeros when no floor).

        Since weights sum to one, ``s @ w >= floor`` is ``(s - floor) @ w >= 0``. Missing
        scores count as 0 (``worst``), are left out (``ignore``: the floor then applies to the
        scored weight), or are excluded upstream (``exclude``).
        """
        n = self.n_assets
        if self.min_esg_score is None or self.esg_scores is None:
            return np.zeros(n)
        s = self.esg_scores.copy()
        missing = np.isnan(s)
        c = s - self.min_esg_score
        if self.missing_score_policy is MissingScorePolicy.IGNORE:
            c[missing] = 0.0
        else:
            c[missing] = -self.min_esg_score
        return c

    def esg_score_vector(self) -> FloatArray:
        """Scores with missing ones at 0 (for tilts and reporting)."""
        if self.esg_scores is None:
            return np.zeros(self.n_assets)
        return np.nan_to_num(self.esg_scores, nan=0.0)

    def esg_tilt_scores(self) -> FloatArray:
        """Scores used by the tilt: missing ones count as 0, except under ``ignore``, where
        they get the mean of the scored assets (neutral: a tilt shifts all weights' returns
        by the same constant there, which leaves the optimum unchanged)."""
        if self.esg_scores is None:
            return np.zeros(self.n_assets)
        s = self.esg_scores
        missing = np.isnan(s)
        if self.missing_score_policy is MissingScorePolicy.IGNORE and (~missing).any():
            return np.where(missing, float(np.mean(s[~missing])), s)
        return np.nan_to_num(s, nan=0.0)

    def excluded_tickers(self) -> list[str]:
        out: list[str] = []
        for ex in self.exclusions:
            out.extend(t for t in ex.tickers if t not in out)
        return out

    def with_volatility_cap(self, cap: float | None, field_name: str | None = None
                            ) -> ConstraintSet:
        """A copy with a different volatility ceiling (None for none; else finite, > 0).

        Raises
        ------
        ParameterError
            For a ceiling that is not a finite positive number.
        """
        from tailorfolio.optimize._validate import check_number  # lazy: it imports this

        check_number(cap, "max_volatility", minimum=0.0, strictly=True, allow_none=True,
                     fix="pass the ceiling as a decimal, e.g. 0.12 for 12 %, or None")
        return replace(self, max_volatility=cap,
                       volatility_field=field_name or self.volatility_field)


def _class_groups(universe: Universe) -> list[tuple[str, str, FloatArray]]:
    out = []
    for level in ("broad_class", "asset_class"):
        labels = universe.classes(level)
        for name in dict.fromkeys(labels):
            members = np.array([1.0 if lab == name else 0.0 for lab in labels])
            out.append((name, level, members))
    return out


def constraints_from_preferences(
    universe: Universe,
    preferences: Preferences,
    *,
    cash_reserve_weight: float = 0.0,
    max_volatility: float | None = None,
    default_max_weight: float = 1.0,
    default_class_caps: dict[str, float] | None = None,
) -> ConstraintSet:
    """Translate a profile's preferences into a :class:`ConstraintSet`.

    Parameters
    ----------
    universe : Universe
    preferences : Preferences
    cash_reserve_weight : float
        Minimum weight in ``cash`` broad-class assets (from the emergency-reserve rule).
    max_volatility : float, optional
        Annual volatility ceiling from the risk level, decimal.
    default_max_weight : float
        Engine-wide diversification cap used when the profile's cap is looser.
    default_class_caps : dict of str to float, optional
        Engine-wide caps on satellite asset classes, applied unless the profile sets its own
        bounds for that class.

    Raises
    ------
    ProfileError
        When the preferences name an asset class or ticker the universe does not have.
    """

    _check_builder_arguments(universe, preferences, cash_reserve_weight, max_volatility,
                             default_max_weight, default_class_caps)
    own_sectors = set(preferences.excluded_sectors)
    resolved = resolve_esg_preferences(preferences, universe)
    preferences = resolved.preferences
    tickers = universe.tickers
    n = len(tickers)
    lower = np.zeros(n)
    upper = np.ones(n)
    exclusions: list[Exclusion] = []

    for t in preferences.excluded_assets:
        if t not in universe:
            raise ProfileError(
                f"preferences.excluded_assets names {t!r}, which is not in the universe.",
                field="preferences.excluded_assets", value=t,
                expected=f"one of {tickers}", fix="correct the ticker or remove it",
            )
        exclusions.append(Exclusion(f"asset '{t}'", "preferences.excluded_assets", (t,)))
    all_tags = set().union(*(a.tags() for a in universe))
    for tag in preferences.excluded_sectors:
        hit = tuple(a.ticker for a in universe if tag in a.tags())
        if not hit and tag not in _KNOWN_ACTIVITY_TAGS:
            raise ProfileError(
                f"preferences.excluded_sectors names {tag!r}, which matches no asset or tag of "
                f"the universe.",
                field="preferences.excluded_sectors", value=tag,
                expected=f"one of {sorted(all_tags | _KNOWN_ACTIVITY_TAGS)[:40]}",
                fix="use a sector or activity tag of the universe",
            )
        exclusions.append(Exclusion(f"sector/activity '{tag}'", "preferences.excluded_sectors"
                                    if tag in own_sectors else "preferences.esg_preset", hit))
    for group, hit in resolved.best_in_class.items():
        exclusions.append(Exclusion(f"best-in-class (ESG score below the {group} median)",
                                    "preferences.esg_preset", hit))

    scores = np.array([np.nan if a.esg_score is None else a.esg_score for a in universe])
    policy = MissingScorePolicy(preferences.esg_missing_score_policy)
    esg_active = preferences.min_esg_score is not None or preferences.esg_tilt > 0
    if esg_active and policy is MissingScorePolicy.EXCLUDE:
        missing = tuple(t for t, s in zip(tickers, scores) if np.isnan(s))
        if missing:
            exclusions.append(Exclusion("missing ESG score", "preferences.esg_missing_score_policy",
                                        missing))
    for ex in exclusions:
        for t in ex.tickers:
            upper[tickers.index(t)] = 0.0

    # The profile's cap applies to every asset; the engine's diversification default applies
    # to risky assets only (holding the cash reserve in one money-market fund is not a
    # concentration risk, and capping it could contradict the reserve).
    cap = min(preferences.max_weight_per_asset, default_max_weight)
    cap_field = ("preferences.max_weight_per_asset" if preferences.max_weight_per_asset <=
                 default_max_weight else "PlanSettings.max_weight_per_asset (risky assets) and "
                 "preferences.max_weight_per_asset (cash)")
    is_cash = np.array([a.broad_class == "cash" for a in universe])
    caps = np.where(is_cash, preferences.max_weight_per_asset, cap)
    upper = np.minimum(upper, caps)

    bound_fields: dict[str, str] = {}
    for t, b in preferences.asset_bounds.items():
        if t not in universe:
            raise ProfileError(
                f"preferences.asset_bounds names {t!r}, which is not in the universe.",
                field=f"preferences.asset_bounds.{t}", value=t,
                expected=f"one of {tickers}", fix="correct the ticker or remove it",
            )
        i = tickers.index(t)
        lower[i] = max(lower[i], b.min)
        upper[i] = min(upper[i], b.max)
        bound_fields[t] = f"preferences.asset_bounds.{t}"

    groups: list[GroupBound] = []
    known = {name for name, _, _ in _class_groups(universe)}
    for name in preferences.asset_class_bounds:
        if name not in known:
            raise ProfileError(
                f"preferences.asset_class_bounds names {name!r}, which is not an asset class "
                "of the universe.",
                field=f"preferences.asset_class_bounds.{name}", value=name,
                expected=f"one of {sorted(known)}", fix="use one of those class names",
            )
    for name, level, members in _class_groups(universe):
        lo, hi, flo, fhi = 0.0, 1.0, "", ""
        b = preferences.asset_class_bounds.get(name)
        if b is not None:
            lo, hi = b.min, b.max
            flo = fhi = f"preferences.asset_class_bounds.{name}"
        elif default_class_caps and name in default_class_caps:
            hi, fhi = default_class_caps[name], f"PlanSettings.class_caps.{name}"
        if name == "cash" and level == "broad_class" and cash_reserve_weight > lo:
            lo, flo = cash_reserve_weight, "preferences.cash_reserve_months"
        groups.append(GroupBound(name, level, members, lo, hi, flo, fhi))

    return ConstraintSet(
        tickers=tickers,
        lower=lower,
        upper=upper,
        groups=tuple(groups),
        exclusions=tuple(exclusions),
        max_weight_per_asset=cap,
        max_weight_field=cap_field,
        asset_caps=caps,
        asset_bound_fields=bound_fields,
        esg_scores=scores,
        min_esg_score=preferences.min_esg_score,
        missing_score_policy=policy,
        esg_tilt=preferences.esg_tilt,
        max_volatility=max_volatility,
    )


def _check_builder_arguments(universe: object, preferences: object, cash_reserve_weight: object,
                             max_volatility: object, default_max_weight: object,
                             default_class_caps: object) -> None:
    from tailorfolio.errors import ParameterError
    from tailorfolio.optimize._validate import check_number, short

    if not isinstance(universe, Universe):
        raise ParameterError(
            f"The 'universe' parameter must be a Universe. Got {short(universe)} "
            f"({type(universe).__name__}) instead.", field="universe", value=short(universe),
            expected="a tailorfolio.market.Universe",
            fix="use market.universe (e.g. default_market().universe)")
    if not isinstance(preferences, Preferences):
        raise ParameterError(
            f"The 'preferences' parameter must be a Preferences. Got {short(preferences)} "
            f"({type(preferences).__name__}) instead.", field="preferences",
            value=short(preferences), expected="a tailorfolio.profile.Preferences",
            fix="use profile.preferences or Preferences(**fields)")
    weight = "pass a decimal weight in [0, 1], e.g. 0.05 for 5 %"
    check_number(cash_reserve_weight, "cash_reserve_weight", minimum=0.0, fix=weight)
    check_number(max_volatility, "max_volatility", minimum=0.0, strictly=True, allow_none=True,
                 fix="pass the ceiling as a decimal, e.g. 0.12 for 12 %, or None")
    check_number(default_max_weight, "default_max_weight", minimum=0.0, strictly=True,
                 fix=weight)
    for name, v in (("cash_reserve_weight", cash_reserve_weight),
                    ("default_max_weight", default_max_weight)):
        if float(v) > 1:
            raise ParameterError(
                f"The '{name}' parameter must be at most 1 (100 %). Got {short(v)}.",
                field=name, value=short(v), expected="a decimal weight in [0, 1]", fix=weight)
    if default_class_caps is not None:
        if not isinstance(default_class_caps, dict):
            raise ParameterError(
                "The 'default_class_caps' parameter must be a dict of class name to cap. Got "
                f"{short(default_class_caps)}.", field="default_class_caps",
                value=short(default_class_caps), expected="dict[str, float] of caps in [0, 1]",
                fix="pass e.g. {'real_estate': 0.1}")
        for k, v in default_class_caps.items():
            check_number(v, f"default_class_caps[{k!r}]", minimum=0.0, fix=weight)
            if float(v) > 1:
                raise ParameterError(
                    f"default_class_caps[{k!r}] must be at most 1. Got {short(v)}.",
                    field=f"default_class_caps[{k!r}]", value=short(v),
                    expected="a decimal weight in [0, 1]", fix=weight)


def unconstrained(universe: Universe | list[str]) -> ConstraintSet:
    """Long-only, fully invested, nothing else (for estimators and benchmarks).

    Raises
    ------
    ParameterError
        When ``universe`` is neither a Universe nor a list of ticker strings.
    DataError
        For an empty universe or duplicate tickers.
    """
    from tailorfolio.errors import DataError, ParameterError
    from tailorfolio.optimize._validate import short

    tickers: list[str] | None = None
    if isinstance(universe, Universe):
        tickers = universe.tickers
    elif not isinstance(universe, (str, bytes)):
        try:
            tickers = [str(t) for t in universe if isinstance(t, str)]
            tickers = tickers if len(tickers) == len(list(universe)) else None
        except TypeError:
            tickers = None
    if tickers is None:
        raise ParameterError(
            f"The 'universe' parameter must be a Universe or a list of tickers. Got "
            f"{short(universe)} ({type(universe).__name__}) instead.", field="universe",
            value=short(universe), expected="a Universe or a list of str",
            fix="pass market.universe or e.g. ['VTI', 'BND']")
    if not tickers:
        raise DataError(
            "The universe is empty: there is nothing to invest in.", field="universe",
            value="[]", expected="at least one ticker",
            fix="pass the assets to invest in, e.g. unconstrained(['VTI', 'BND'])")
    if len(set(tickers)) != len(tickers):
        dup = sorted({t for t in tickers if tickers.count(t) > 1})
        raise DataError(f"The universe lists tickers more than once: {short(dup)}.",
                        field="universe", value=short(dup), expected="unique tickers",
                        fix="remove the duplicates")
    n = len(tickers)
    return ConstraintSet(tickers=tickers, lower=np.zeros(n), upper=np.ones(n))


_KNOWN_ACTIVITY_TAGS = frozenset(
    {"fossil_fuels", "tobacco", "weapons", "gambling", "alcohol", "nuclear", "coal",
     "adult_entertainment", "controversial_weapons", "energy", "utilities"}
)
"""Tags users commonly exclude; excluding one the universe lacks is allowed (no effect)."""
