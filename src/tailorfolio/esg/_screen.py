"""Values without silent damage: the market a profile's exclusions need.

Broad index funds hold every activity of their index, so one activity exclusion (tobacco,
fossil fuels, weapons) removes every equity fund of the bundled universe. :func:`resolve_market`
applies this rule before the plan is optimised:

1. The investor's exclusions are the ones the optimizer applies
   (:func:`tailorfolio.optimize.constraints_from_preferences`: ``excluded_assets``,
   ``excluded_sectors``, the preset's screens and best-in-class drops, the missing-score
   policy), plus, for ``min_esg_score``, every fund whose own score is below the floor.
2. A class is **required** when it is a broad ``equity`` or ``bond`` class of the universe, a
   class with a positive minimum in ``preferences.asset_class_bounds``, or a class the caller
   says the plan relies on (``relied_on``, e.g. the classes the sleeves' glide paths hold).
   A class the profile caps at 0 (``asset_class_bounds.<class>.max: 0``) is never required:
   the investor has accepted doing without it.
3. A required class is **emptied** when the exclusions remove every fund of it, and
   **starved** when each of its funds is excluded or scores below ``min_esg_score``.
4. On the bundled default market, each screened fund (``data/screened_funds.csv``) that the
   exclusions let through and that belongs to an emptied or starved class (its own classes or
   its parent funds' classes: VSGX fills ``developed_ex_us_equity`` through VEA), and for a
   starved class scores at least the floor, enters the market with its reason
   (:class:`AddedFund`).
5. An emptied class that no screened fund fills stops the plan with a
   :class:`ValuesConflictError` naming the preference field and value, the class and the
   fixes. So does a ``min_esg_score`` above the score of every fund left. A starved class
   without a filler is no error: the floor is on the portfolio's average, so the class can
   still be held beside higher-scored funds.

A user's own market is never extended (its funds may have no parents to model screened funds
on); there, rule 5 applies to it as it is. ``esg_fund_alternatives: true`` keeps adding all
the screened funds to the bundled default, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from tailorfolio.errors import ConstraintConflict, InfeasibleError
from tailorfolio.esg._funds import (
    added_by_tailorfolio,
    parent_mix,
    screened_assets,
    screened_funds_table,
    screened_tickers,
    with_esg_funds,
)
from tailorfolio.market._market import Market
from tailorfolio.market._universe import Asset, Universe
from tailorfolio.optimize._constraints import MissingScorePolicy, constraints_from_preferences
from tailorfolio.profile._investor import InvestorProfile
from tailorfolio.profile._preferences import Preferences

REQUIRED_BROAD_CLASSES = ("equity", "bond")
"""Broad classes a plan needs unless the profile caps them at 0."""

FLOOR_FIELD = "preferences.min_esg_score"
OPT_IN_FIELD = "preferences.esg_fund_alternatives"


@dataclass(frozen=True)
class EmptiedClass:
    """An asset class the investor's exclusions empty (or starve, under a score floor).

    Attributes
    ----------
    name : str
        ``equity``, ``bond`` or a fine class such as ``us_ig_credit``.
    level : str
        ``broad_class`` or ``asset_class``.
    members : tuple of str
        The universe's funds of that class (before screened funds are added).
    fields : tuple of str
        The preference fields whose rules removed them, first-seen order.
    values : tuple of str
        The value each field contributed, aligned with ``fields`` (``"tobacco, weapons"``,
        ``"BND, VGSH"``, ``"70"``).
    by_floor : bool
        True when the score floor, not an exclusion, removed at least one member (the class
        is starved, not emptied).
    """

    name: str
    level: str
    members: tuple[str, ...]
    fields: tuple[str, ...]
    values: tuple[str, ...]
    by_floor: bool = False

    def cause(self) -> str:
        """The rules behind it in words: ``preferences.excluded_sectors (tobacco)``."""
        return " and ".join(f"{f} ({v})" for f, v in zip(self.fields, self.values))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AddedFund:
    """A screened fund that entered the market, and why.

    Attributes
    ----------
    ticker, name : str
    broad_class, asset_class : str
    fills : tuple of str
        The emptied or starved classes it refills (empty when only the opt-in added it).
    field : str
        The preference field that made it enter (``preferences.excluded_sectors``,
        ``preferences.esg_fund_alternatives``...).
    reason : str
        One plain sentence for the plan and the report.
    screen : str
        What the fund's index screens out, as its issuer describes it (the table's source).
    """

    ticker: str
    name: str
    broad_class: str
    asset_class: str
    fills: tuple[str, ...]
    field: str
    reason: str
    screen: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ValuesConflictError(InfeasibleError):
    """The investor's exclusions empty a class the plan needs and nothing can fill it.

    ``field`` and ``value`` are the first preference behind it, ``asset_classes`` the classes
    emptied, ``fixes`` the ways out (also in the message), ``conflicts`` the clashing rules.
    """

    def __init__(self, message: str, *, field: str, value: Any,
                 asset_classes: tuple[str, ...], fixes: tuple[str, ...],
                 conflicts: list[ConstraintConflict]) -> None:
        super().__init__(message, field=field, value=value, conflicts=conflicts,
                         expected="exclusions that leave at least one fund of "
                         + ", ".join(asset_classes), fix="; or ".join(fixes))
        self.asset_classes = asset_classes
        self.fixes = fixes

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["asset_classes"] = list(self.asset_classes)
        data["fixes"] = list(self.fixes)
        return data


def _is_bundled_default(market: Market) -> bool:
    from tailorfolio.market._defaults import default_market

    return market is default_market() or market.universe.name == default_market().universe.name


def _quoted(rule: str) -> str:
    """``"sector/activity 'tobacco'"`` → ``tobacco`` (the value inside an exclusion rule)."""
    parts = rule.split("'")
    return parts[1] if len(parts) >= 3 else rule


def _removals(universe: Universe, preferences: Preferences
              ) -> tuple[dict[str, list[tuple[str, str]]], float | None, MissingScorePolicy]:
    """Ticker → [(field, value)] of every exclusion rule that removes it, and the floor."""
    cs = constraints_from_preferences(universe, preferences)
    out: dict[str, list[tuple[str, str]]] = {}
    for ex in cs.exclusions:
        for t in ex.tickers:
            out.setdefault(t, []).append((ex.field, _quoted(ex.rule)))
    return out, cs.min_esg_score, cs.missing_score_policy


def _below_floor(asset: Asset, floor: float | None, policy: MissingScorePolicy) -> bool:
    if floor is None:
        return False
    if asset.esg_score is None:
        return policy is MissingScorePolicy.WORST
    return asset.esg_score < floor


def _required(preferences: Preferences, universe: Universe, relied_on: Iterable[str]
              ) -> list[str]:
    present = set(universe.classes("broad_class")) | set(universe.classes("asset_class"))
    bounds = preferences.asset_class_bounds
    names = [c for c in REQUIRED_BROAD_CLASSES if c in present]
    names += [c for c, b in bounds.items() if b.min > 0 and c in present]
    names += [c for c in relied_on if c in present]
    return [c for c in dict.fromkeys(names) if not (c in bounds and bounds[c].max == 0)]


def _fills(asset: Asset, universe: Universe) -> set[str]:
    out = {asset.broad_class, asset.asset_class}
    for parent in parent_mix(asset.ticker):
        if parent in universe:
            out.add(universe[parent].asset_class)
    return out


def _class_state(name: str, level: str, members: list[Asset],
                 removed: dict[str, list[tuple[str, str]]], floor: float | None,
                 policy: MissingScorePolicy) -> EmptiedClass | None:
    if not members:
        return None
    by_rule = all(a.ticker in removed for a in members)
    starved = all(a.ticker in removed or _below_floor(a, floor, policy) for a in members)
    if not starved:
        return None
    pairs: dict[str, list[str]] = {}
    for a in members:
        for fld, val in removed.get(a.ticker, ()):
            pairs.setdefault(fld, [])
            if val not in pairs[fld]:
                pairs[fld].append(val)
    if not by_rule:
        pairs.setdefault(FLOOR_FIELD, []).append(f"{floor:g}")
    return EmptiedClass(name, level, tuple(a.ticker for a in members), tuple(pairs),
                        tuple(", ".join(v) for v in pairs.values()), by_floor=not by_rule)


def _classes(universe: Universe, base: set[str], names: list[str]) -> list[tuple[str, str,
                                                                                 list[Asset]]]:
    out = []
    for name in names:
        for level in ("broad_class", "asset_class"):
            members = [a for a in universe if a.ticker in base and getattr(a, level) == name]
            if members:
                out.append((name, level, members))
                break
    return out


def _fix_for(field: str, value: str) -> str:
    return {
        "preferences.excluded_sectors": f"drop or narrow {value} in preferences.excluded_sectors",
        "preferences.excluded_assets": f"remove some of {value} from preferences.excluded_assets",
        "preferences.esg_preset": "choose a milder preferences.esg_preset (or none)",
        "preferences.esg_missing_score_policy":
            "set preferences.esg_missing_score_policy to worst or ignore",
        FLOOR_FIELD: f"lower preferences.min_esg_score below {value}",
    }.get(field, f"relax {field} ({value})")


def _accept_fix(name: str, preferences: Preferences) -> str:
    b = preferences.asset_class_bounds.get(name)
    if b is not None and b.min > 0:
        return f"lower preferences.asset_class_bounds.{name}.min to 0"
    return (f"accept a plan without {name} by setting preferences.asset_class_bounds.{name}: "
            "{min: 0, max: 0}")


def _conflicts(c: EmptiedClass) -> list[ConstraintConflict]:
    out = [ConstraintConflict(f"exclusion:{f}", f"{f} = {v}", f) for f, v in zip(c.fields,
                                                                                  c.values)]
    out.append(ConstraintConflict(f"class_required:{c.name}",
                                  f"the plan needs some {c.name}",
                                  f"preferences.asset_class_bounds.{c.name}"))
    return out


def _emptied_error(c: EmptiedClass, preferences: Preferences, bundled: bool,
                   blocked: list[str]) -> ValuesConflictError:
    fixes = [_fix_for(f, v) for f, v in zip(c.fields, c.values)]
    if bundled:
        why = ("and no ESG-screened fund can take their place"
               + (f" (your exclusions remove {', '.join(blocked)} too)" if blocked else
                  f" (tailorfolio has none for {c.name})"))
    else:
        why = ("and no screened fund can take their place: tailorfolio adds its screened "
               "funds (ESGV, VSGX, VCEB) only to the bundled default market, whose funds "
               "they are modelled on")
        fixes.append(f"add a screened {c.name} fund to your universe")
    fixes.append(_accept_fix(c.name, preferences))
    msg = (f"Your values and your plan conflict: {c.cause()} removes every {c.name} fund of the "
           f"universe ({', '.join(c.members)}), {why}. The plan would hold no {c.name}. "
           "Fixes: " + "; or ".join(fixes) + ".")
    return ValuesConflictError(msg, field=c.fields[0], value=c.values[0],
                               asset_classes=(c.name,), fixes=tuple(fixes),
                               conflicts=_conflicts(c))


def _floor_error(floor: float, best: float | None, required: list[str]) -> ValuesConflictError:
    best_txt = ("no fund left by your exclusions has an ESG score" if best is None else
                f"the best ESG score of any fund left by your exclusions (screened "
                f"alternatives included) is {best:g}")
    fixes = (f"lower preferences.min_esg_score to at most {best:g}" if best is not None
             else "remove preferences.min_esg_score",
             "load ESG scores of your own (tailorfolio esg --esg-scores FILE)")
    classes = tuple(required) or ("any asset class",)
    msg = (f"preferences.min_esg_score is {floor:g}, but {best_txt}, so no portfolio can reach "
           f"it: every {' and every '.join(classes)} fund is below the floor. Fixes: "
           + "; or ".join(fixes) + ".")
    return ValuesConflictError(
        msg, field=FLOOR_FIELD, value=floor, asset_classes=classes, fixes=fixes,
        conflicts=[ConstraintConflict("esg_floor", f"portfolio ESG score >= {floor:g}",
                                      FLOOR_FIELD, 0.0 if best is None else floor - best)])


def _reason(asset: Asset, fills: list[EmptiedClass]) -> str:
    parts = []
    for c in fills:
        if c.by_floor:
            parts.append(f"every {c.name} fund of the universe ({', '.join(c.members)}) is "
                         f"excluded or scores below your floor ({c.cause()})")
        else:
            parts.append(f"{c.cause()} removes every {c.name} fund of the universe "
                         f"({', '.join(c.members)})")
    score = "" if asset.esg_score is None else f"; illustrative ESG score {asset.esg_score:g}"
    return (f"{asset.ticker} ({asset.name}) entered the market: " + "; ".join(parts)
            + f". It holds {asset.asset_class.replace('_', ' ')} through a screened index in "
            f"their place{score}.")


def _resolve(profile: InvestorProfile, universe: Universe, base: set[str],
             candidates: list[str], bundled: bool, relied_on: Iterable[str]
             ) -> list[AddedFund]:
    """The rule on ``universe`` (base funds plus candidate screened funds)."""
    prefs = profile.preferences
    removed, floor, policy = _removals(universe, prefs)
    required = _required(prefs, universe.subset([t for t in universe.tickers if t in base]),
                         relied_on)
    if floor is not None and any(a.esg_score is not None for a in universe):
        # (a universe without any score is left to the optimizer: its scores may be loaded
        # after the market is resolved, as ``tailorfolio esg --esg-scores`` does)
        left = [a for a in universe if a.ticker not in removed]
        scores = [a.esg_score for a in left if a.esg_score is not None]
        unscored_ok = policy is MissingScorePolicy.IGNORE and any(
            a.esg_score is None for a in left)
        best = max(scores) if scores else None
        if not unscored_ok and (best is None or best < floor):
            raise _floor_error(floor, best, required)
    table = screened_funds_table().set_index("ticker")
    fills: dict[str, list[EmptiedClass]] = {}
    for name, level, members in _classes(universe, base, required):
        c = _class_state(name, level, members, removed, floor, policy)
        if c is None:
            continue
        fillers = [t for t in candidates if t not in removed and name in _fills(universe[t],
                                                                               universe)
                   and (not c.by_floor or not _below_floor(universe[t], floor, policy))]
        if not fillers and not c.by_floor:
            blocked = [t for t in candidates if name in _fills(universe[t], universe)]
            raise _emptied_error(c, prefs, bundled, blocked)
        for t in fillers:
            fills.setdefault(t, []).append(c)
    added = []
    for t in candidates:
        a = universe[t]
        note = str(table.loc[t, "screen_source"]) if t in table.index else ""
        if t in fills:
            cs = fills[t]
            added.append(AddedFund(t, a.name, a.broad_class, a.asset_class,
                                   tuple(c.name for c in cs), cs[0].fields[0], _reason(a, cs),
                                   note))
        elif prefs.esg_fund_alternatives:
            added.append(AddedFund(t, a.name, a.broad_class, a.asset_class, (), OPT_IN_FIELD,
                                   f"{t} ({a.name}) entered the market: you set "
                                   f"{OPT_IN_FIELD}: true.", note))
    return added


def _removes_anything(p: Preferences) -> bool:
    """Whether the preferences can remove a fund or ask for the screened ones (fast path)."""
    return bool(p.excluded_assets or p.excluded_sectors or p.min_esg_score is not None
                or p.esg_preset not in (None, "none") or p.esg_fund_alternatives
                or (p.esg_tilt > 0 and p.esg_missing_score_policy == "exclude"))


def resolve_market(profile: InvestorProfile, market: Market, *,
                   relied_on: Iterable[str] = ()) -> tuple[Market, tuple[AddedFund, ...]]:
    """The market ``profile``'s plan is made in, and the screened funds added to it.

    Parameters
    ----------
    profile : InvestorProfile
    market : Market
        Extended only when it is the bundled default (see the module docstring for the rule).
    relied_on : iterable of str
        Further asset classes (broad or fine) the plan relies on, e.g. the classes of the
        sleeves' glide paths; classes the universe does not have are ignored.

    Returns
    -------
    market : Market
        ``market`` itself when nothing is added.
    added : tuple of AddedFund
        Each added fund with the class it refills and its reason.

    Raises
    ------
    ValuesConflictError
        (an :class:`~tailorfolio.errors.InfeasibleError`, exit code 5) when the exclusions
        empty a required class no screened fund can fill, or ``min_esg_score`` is above every
        remaining fund's score.
    ProfileError
        When the preferences name a ticker, tag or class the universe lacks.
    """
    if not _removes_anything(profile.preferences):
        return market, ()
    relied = tuple(relied_on)
    bundled = _is_bundled_default(market)
    # a screened fund can be modelled only where all its parent funds are (a subset of the
    # bundled universe keeps its name but may lack them)
    possible = tuple(t for t in screened_tickers() if t not in market.universe
                     and all(p in market.universe for p in parent_mix(t)))
    if not bundled:
        possible = ()
    # the rule needs the funds' tags and scores only; the market is extended once, at the end
    extra = tuple(a for a in screened_assets() if a.ticker in possible)
    wide = Universe(market.universe.assets + extra, name=market.universe.name)
    added = _resolve(profile, wide, set(market.tickers), list(possible), bool(possible),
                        relied)
    if not added:
        return market, ()
    return with_esg_funds(market, tuple(f.ticker for f in added)), tuple(added)


def added_funds(profile: InvestorProfile, market: Market, *,
                relied_on: Iterable[str] = ()) -> tuple[AddedFund, ...]:
    """The :class:`AddedFund` records of a market :func:`resolve_market` already returned (the
    screened funds tailorfolio added to it, with the same reasons), for stages that receive the
    market but not the records."""
    mine = added_by_tailorfolio(market)
    if not mine:
        return ()
    base = {t for t in market.tickers if t not in mine}
    added = _resolve(profile, market.universe, base, list(mine), True, tuple(relied_on))
    return tuple(f for f in added if f.ticker in mine)
