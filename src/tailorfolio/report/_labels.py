"""Client-facing words for every identifier a plan carries.

The engine names things for programs (``us_small_cap_equity``, ``traditional``,
``preferences.excluded_sectors``, ``willingness.drop_reaction``); a client reads "US
small-company stocks", "Tax-deferred (traditional IRA/401k)", "the sectors you asked to
exclude", "How you would react to a fall". :func:`label` maps one identifier to its words;
:func:`plain` rewrites free text that the engine wrote with identifiers inside it (warnings,
reasons, sources); :func:`plain_html` applies :func:`plain` to the visible text of a rendered
page, so no identifier slips through a sentence the engine composed.

Unknown identifiers fall back to their words (``some_new_thing`` → "some new thing"), never to
the identifier itself.
"""

from __future__ import annotations

import re
from typing import Any

ASSET_CLASSES: dict[str, str] = {
    "us_equity": "US stocks (whole market)",
    "us_large_cap_equity": "US large-company stocks",
    "us_small_cap_equity": "US small-company stocks",
    "developed_ex_us_equity": "International stocks (developed markets)",
    "global_ex_us_equity": "International stocks (developed and emerging)",
    "emerging_equity": "Emerging-market stocks",
    "us_reit": "US real estate (REITs)",
    "commodities": "Commodities",
    "us_aggregate_bond": "US bonds (whole market)",
    "us_treasury_short": "Short-term US government bonds",
    "us_treasury_intermediate": "Intermediate-term US government bonds",
    "us_treasury_long": "Long-term US government bonds",
    "us_tips": "Inflation-protected US government bonds (TIPS)",
    "us_ig_credit": "US high-quality corporate bonds",
    "us_high_yield": "US high-yield corporate bonds",
    "us_municipal": "US municipal bonds (tax-exempt)",
    "global_ex_us_bond": "International bonds",
    "em_sovereign_bond": "Emerging-market government bonds",
    "us_cash": "Cash (short-term Treasury bills)",
}
BROAD_CLASSES: dict[str, str] = {
    "equity": "Stocks", "bond": "Bonds", "real_asset": "Real assets (property, commodities)",
    "cash": "Cash",
}
ACCOUNT_TYPES: dict[str, str] = {
    "taxable": "Taxable (brokerage)",
    "traditional": "Tax-deferred (traditional IRA/401k)",
    "roth": "Tax-free (Roth IRA/401k)",
}
GOAL_KINDS: dict[str, str] = {
    "lump_sum": "One-time amount", "income": "Yearly income",
    "reserve": "Emergency reserve", "long_term": "Long-term money",
}
STREAM_KINDS: dict[str, str] = {
    "social_security": "Social Security", "pension": "Pension", "annuity": "Annuity",
    "part_time_work": "Part-time work",
}
STREAM_OWNERS: dict[str, str] = {"primary": "You", "partner": "Your partner"}
PRIORITIES: dict[str, str] = {
    "essential": "Essential", "important": "Important", "aspirational": "Nice to have",
}
EMPLOYMENT: dict[str, str] = {
    "stable": "Stable income", "moderate": "Fairly stable income",
    "variable": "Variable income", "retired": "Retired", "not_employed": "Not employed",
}
FILING_STATUS: dict[str, str] = {
    "single": "Single", "married_joint": "Married, filing jointly",
    "married_separate": "Married, filing separately", "head_of_household": "Head of household",
}
JOB_STATUS: dict[str, str] = {
    "queued": "Waiting for a free worker", "running": "Being made", "done": "Ready",
    "failed": "Could not be made",
}
SECTIONS: dict[str, str] = {
    "allocation": "Allocation", "sleeves": "Goal sleeves", "goals": "Goals",
    "trades": "Trades and taxes", "frontier": "Risk and return",
    "esg": "ESG profile and cost of values", "risk": "Why this risk level",
    "assumptions": "Assumptions and sources", "ips": "Investment policy summary",
}
ACTIVITIES: dict[str, str] = {
    "fossil_fuels": "fossil fuels", "tobacco": "tobacco", "weapons": "weapons",
    "controversial_weapons": "controversial weapons", "coal": "coal", "alcohol": "alcohol",
    "gambling": "gambling", "adult_entertainment": "adult entertainment",
    "nuclear_power": "nuclear power", "real_estate": "real estate",
    "aggregate_bonds": "bond markets", "corporate_bonds": "corporate bonds",
    "municipal_bonds": "municipal bonds",
}
ESG_PRESETS: dict[str, str] = {
    "none": "No ESG preset", "exclusions_only": "Exclusions only",
    "best_in_class": "Best in class", "strong": "Strong ESG focus",
}
RETURN_MODELS: dict[str, str] = {
    "equilibrium_views": "Market-equilibrium returns blended with published forecasts",
    "forecasts": "Published forecasts", "equilibrium": "Market-equilibrium returns",
}
FIELDS: dict[str, str] = {
    "excluded_assets": "the funds you asked to exclude",
    "excluded_sectors": "the sectors you asked to exclude",
    "min_esg_score": "your minimum ESG score",
    "esg_tilt": "your ESG tilt",
    "esg_preset": "your ESG preset",
    "esg_missing_score_policy": "your rule for funds without an ESG score",
    "esg_fund_alternatives": "your choice to add ESG-screened funds",
    "max_weight_per_asset": "the largest weight allowed per fund",
    "asset_class_bounds": "your limits per asset class",
    "asset_bounds": "your limits per fund",
    "cash_reserve_months": "your cash reserve",
    "tax_rates": "your tax rates",
    "risk_level": "your risk level",
    "risk_questionnaire": "the risk questionnaire",
    "max_volatility": "the volatility limit of your risk level",
    "max_equity_share": "the stock limit of your risk level",
}
FACTORS: dict[str, str] = {
    "drop_reaction": "Your reaction to a market fall",
    "max_annual_loss": "The largest yearly loss you accept",
    "portfolio_choice": "The portfolio you would pick",
    "objective": "The purpose of the money",
    "experience": "Your investing experience",
    "self_assessment": "How a friend would describe you",
    "sure_or_gamble": "A sure gain or a gamble",
    "risk_word": "The word you link to risk",
    "income_stability": "How stable your income is",
    "funded_ratio": "How well your goals are funded",
    "emergency_reserve": "Your emergency reserve",
    "horizon": "Years until you need the money",
    "dependants": "People who depend on you",
}
SETTINGS: dict[str, str] = {
    "return_model": "Expected-return model", "view_confidence": "Weight on the forecasts",
    "max_weight_per_asset": "Largest weight per fund", "class_caps": "Caps per asset class",
    "frontier_points": "Points on the frontier", "solvers": "Optimisation solvers",
    "goal_paths": "Simulated market paths (goals)",
    "choice_paths": "Simulated market paths (alternatives)",
    "risk_free_rate": "Risk-free rate", "inflation": "Inflation", "esg": "ESG scores",
    "correlation": "Correlations between funds",
    "expected_return_model": "Expected-return model",
}
DATA_FILES: dict[str, str] = {
    "default_correlations.csv": "the bundled correlation table",
    "default_esg_illustrative.csv": "the bundled illustrative ESG scores",
    "global_market_weights.csv": "the bundled global market weights",
    "default_universe.csv": "the bundled list of funds",
    "screened_funds.csv": "the bundled list of ESG-screened funds",
}

_TABLES: tuple[dict[str, str], ...] = (
    ASSET_CLASSES, BROAD_CLASSES, ACCOUNT_TYPES, GOAL_KINDS, STREAM_KINDS, PRIORITIES,
    EMPLOYMENT, FILING_STATUS, JOB_STATUS, ESG_PRESETS, RETURN_MODELS, FACTORS, SETTINGS, SECTIONS,
    ACTIVITIES)
_ACRONYMS = {"us": "US", "esg": "ESG", "reit": "REIT", "tips": "TIPS", "em": "EM", "ig": "IG",
             "ira": "IRA"}


def words(identifier: str) -> str:
    """The identifier's words, first letter upper case: ``some_new_thing`` → "Some new
    thing" (the fallback for identifiers without a label)."""
    parts = [_ACRONYMS.get(w, w) for w in re.split(r"[_\-.]+", str(identifier)) if w]
    if not parts:
        return ""
    text = " ".join(parts)
    return text[0].upper() + text[1:]


def label(identifier: Any) -> str:
    """The client-facing words for any identifier the engine uses.

    Looks the identifier up in the asset-class, broad-class, account-type, goal-kind,
    income-stream-kind, priority, employment, filing-status, job-status, ESG-preset, return-model, risk-factor,
    setting, section and activity tables; field paths (``preferences.esg_preset``) and factor
    names (``willingness.drop_reaction``) are read by their last part. Unknown identifiers
    give their words (:func:`words`).
    """
    key = str(identifier).strip()
    for table in _TABLES:
        if key in table:
            return table[key]
    if key in FIELDS:
        return FIELDS[key][0].upper() + FIELDS[key][1:]
    if "." in key and not key.endswith(".csv"):
        return label(key.rsplit(".", 1)[1].split("[")[0])
    if key in DATA_FILES:
        return DATA_FILES[key]
    return words(key)


def asset_class_label(asset_class: str) -> str:
    """``us_small_cap_equity`` → "US small-company stocks"."""
    return ASSET_CLASSES.get(asset_class) or BROAD_CLASSES.get(asset_class) or words(asset_class)


def account_type_label(account_type: str) -> str:
    """``traditional`` → "Tax-deferred (traditional IRA/401k)"."""
    return ACCOUNT_TYPES.get(account_type) or words(account_type)


def priority_label(priority: str) -> str:
    """``aspirational`` → "Nice to have"; an empty priority stays empty."""
    return PRIORITIES.get(priority, words(priority)) if priority else ""


def factor_label(name: str) -> str:
    """A risk factor's name (``willingness.drop_reaction``) in words."""
    return FACTORS.get(name.rsplit(".", 1)[-1]) or words(name.rsplit(".", 1)[-1])


def field_phrase(path: str) -> str:
    """A profile field path (``preferences.excluded_sectors``) as a phrase inside a sentence:
    "the sectors you asked to exclude"."""
    key = path.rsplit(".", 1)[-1].split("[")[0]
    return FIELDS.get(key) or words(key).lower()


_FIELD_PATH = re.compile(r"\b(?:profile\.)?(?:preferences|willingness|capacity|dynamic|"
                         r"constraints|settings)\.([a-z][a-z0-9_]*)(?:\[\d+\])?")
_PROFILE_FIELD = re.compile(r"\bprofile ([a-z][a-z0-9]*_[a-z0-9_]+)")
_CSV = re.compile(r"\b([a-z][a-z0-9_]*\.csv)\b")
_MODULE = re.compile(r"\btailorfolio(?:\.[a-z_][a-z0-9_]*)+")
_CLI = re.compile(r"[;,]?\s*[^;,.()]*`tailorfolio [^`]*`[^;.()]*")
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def _in_sentence(text: str) -> str:
    """``text`` as it reads inside a sentence: first letter lower case unless an acronym."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def _snake_words(m: re.Match[str]) -> str:
    token = m.group(0)
    if token in FIELDS:
        return FIELDS[token]
    for table in (ACTIVITIES, ASSET_CLASSES, ACCOUNT_TYPES, GOAL_KINDS, STREAM_KINDS, ESG_PRESETS,
                  RETURN_MODELS, FACTORS, SETTINGS, EMPLOYMENT, FILING_STATUS):
        if token in table:
            return _in_sentence(table[token])
    return _in_sentence(words(token))


def plain(text: Any) -> str:
    """Free text the engine wrote, with every identifier in it replaced by words.

    ``"preferences.excluded_sectors (fossil_fuels) removes VTI"`` → ``"the sectors you asked
    to exclude (fossil fuels) removes VTI"``. Command lines in back-ticks are dropped (they are
    for the advisor's terminal, not the client's report); data file and module names become
    "the bundled ... table" and "tailorfolio".
    """
    s = str(text)
    s = _CLI.sub("", s)
    s = _FIELD_PATH.sub(lambda m: field_phrase(m.group(1)), s)
    s = _PROFILE_FIELD.sub(lambda m: field_phrase(m.group(1)), s)
    s = _CSV.sub(lambda m: DATA_FILES.get(m.group(1), "a bundled data table"), s)
    s = _MODULE.sub("tailorfolio", s)
    return _SNAKE.sub(_snake_words, s)


_SKIP_BLOCK = re.compile(r"(<script\b.*?</script>|<style\b.*?</style>|<[^>]+>)", re.S | re.I)


def plain_html(html: str) -> str:
    """``html`` with :func:`plain` applied to its visible text only (tags, attributes, scripts
    and styles are left untouched, so chart data and element ids keep working)."""
    parts = _SKIP_BLOCK.split(html)
    return "".join(p if i % 2 else plain(p) for i, p in enumerate(parts))


def setting_value(value: Any) -> str:
    """A provenance setting's value in words (dict keys and identifiers labelled)."""
    if isinstance(value, dict):
        return "; ".join(f"{label(k)} {setting_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(setting_value(v) for v in value)
    if isinstance(value, float) and 0 < abs(value) < 1:
        return f"{value:.0%}" if abs(value * 100 - round(value * 100)) < 1e-9 else f"{value:g}"
    if isinstance(value, str):
        return label(value) if re.fullmatch(r"[a-z][a-z0-9_]*", value) else value
    return str(value)


def known_identifiers() -> set[str]:
    """Every snake_case identifier the labels know (for tests that scan rendered output)."""
    out: set[str] = set()
    for table in (*_TABLES, FIELDS):
        out.update(k for k in table if "_" in k)
    return out
