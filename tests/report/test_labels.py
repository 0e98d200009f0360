"""Plain words: every identifier of the universe and the enums has a client-facing label, the
rendered report shows none of them, and the ESG section appears only for clients who asked
for ESG preferences."""

from __future__ import annotations

import html as html_lib
import re

import pandas as pd
import pytest

pytest.importorskip("plotly")  # the report extra (part of dev) is not installed
pytest.importorskip("jinja2")  # the report extra (part of dev) is not installed

from tailorfolio.examples import EXAMPLE_PROFILES, load_example_profile
from tailorfolio.market._equilibrium import ReturnModel
from tailorfolio.optimize._esg_presets import EsgPreset
from tailorfolio.planning import PlanSettings, build_plan
from tailorfolio.profile._enums import (
    AccountType,
    EmploymentStability,
    FilingStatus,
    GoalKind,
    GoalPriority,
)
from tailorfolio.profile._questionnaire import QUESTIONS
from tailorfolio.report import render_report_body, report_data
from tailorfolio.report import _labels as lb
from tailorfolio.report._ips import ips_data, render_ips_body

FAST = PlanSettings(goal_paths=300, choice_paths=0, frontier_points=10)
"""Few simulated paths: these tests read words, not probabilities."""
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
EXPLICIT = {"ASSET_CLASSES": lb.ASSET_CLASSES, "ACCOUNT_TYPES": lb.ACCOUNT_TYPES,
            "GOAL_KINDS": lb.GOAL_KINDS, "PRIORITIES": lb.PRIORITIES,
            "EMPLOYMENT": lb.EMPLOYMENT, "FILING_STATUS": lb.FILING_STATUS,
            "ESG_PRESETS": lb.ESG_PRESETS, "RETURN_MODELS": lb.RETURN_MODELS}


def _universe_ids() -> tuple[set[str], set[str], set[str]]:
    """(asset classes, tickers, activity tags) of the bundled universe and screened funds."""
    from importlib.resources import files

    frames = [pd.read_csv(files("tailorfolio.market") / "data" / "default_universe.csv"),
              pd.read_csv(files("tailorfolio.esg") / "data" / "screened_funds.csv")]
    classes = {c for f in frames for c in f["asset_class"]}
    tickers = {t for f in frames for t in f["ticker"]}
    tags = {t for f in frames for v in f["activities"].dropna() for t in str(v).split(";")}
    return classes, tickers, tags


def _identifiers() -> set[str]:
    """Every snake_case identifier of the universe and the enums (what must never show)."""
    classes, _, tags = _universe_ids()
    enums = [e.value for cls in (AccountType, EmploymentStability, FilingStatus, GoalKind,
                                 GoalPriority, EsgPreset, ReturnModel) for e in cls]
    fields = ["excluded_sectors", "excluded_assets", "esg_preset", "min_esg_score",
              "esg_tilt", "esg_fund_alternatives", "max_weight_per_asset", "tax_rates"]
    ids = {*classes, *tags, *enums, *fields, *(q.key for q in QUESTIONS),
           *lb.known_identifiers()}
    return {i for i in ids if "_" in i}


def visible_text(html: str) -> str:
    """What a reader sees: the text outside tags, scripts and styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", html))


def test_every_universe_class_and_enum_value_has_an_explicit_label():
    classes, tickers, tags = _universe_ids()
    assert classes <= set(lb.ASSET_CLASSES), classes - set(lb.ASSET_CLASSES)
    assert tags <= set(lb.ACTIVITIES), tags - set(lb.ACTIVITIES)
    for table, enum in (("ACCOUNT_TYPES", AccountType), ("GOAL_KINDS", GoalKind),
                        ("PRIORITIES", GoalPriority), ("EMPLOYMENT", EmploymentStability),
                        ("FILING_STATUS", FilingStatus), ("ESG_PRESETS", EsgPreset),
                        ("RETURN_MODELS", ReturnModel)):
        missing = {e.value for e in enum} - set(EXPLICIT[table])
        assert not missing, (table, missing)
    for q in QUESTIONS:
        assert q.key in lb.FACTORS
    for name, table in EXPLICIT.items():
        for key, words in table.items():
            assert words and "_" not in words and words != key, (name, key, words)


def test_the_labels_the_brief_names():
    assert lb.label("us_small_cap_equity") == "US small-company stocks"
    assert lb.label("traditional") == "Tax-deferred (traditional IRA/401k)"
    assert lb.account_type_label("roth") == "Tax-free (Roth IRA/401k)"
    assert lb.priority_label("aspirational") == "Nice to have"
    assert lb.factor_label("willingness.drop_reaction") == "Your reaction to a market fall"
    assert lb.label("done") == "Ready" and lb.label("failed") == "Could not be made"
    assert lb.label("allocation") == "Allocation"
    assert lb.label("some_new_thing") == "Some new thing"  # the fallback is words, not the id


def test_plain_rewrites_identifiers_inside_engine_sentences():
    text = ("ESGV entered the market: preferences.excluded_sectors (fossil_fuels) and "
            "preferences.esg_preset (tobacco, weapons) removes every equity fund; load your "
            "own with `tailorfolio esg --esg-scores FILE`. Taxed at 30% (profile tax_rates); "
            "source default_correlations.csv; rule in tailorfolio.esg._illustrative")
    out = lb.plain(text)
    assert not SNAKE.search(out), out
    assert "the sectors you asked to exclude (fossil fuels)" in out
    assert "your ESG preset" in out and "your tax rates" in out
    assert "`" not in out and "--esg-scores" not in out
    assert "the bundled correlation table" in out
    assert "ESGV" in out  # tickers stay (they are shown next to the fund's name)
    # plain_html leaves markup and scripts alone
    page = '<div id="chart_x" class="a_b"><script>var plot_bgcolor = 1;</script>us_reit</div>'
    assert lb.plain_html(page) == ('<div id="chart_x" class="a_b"><script>var plot_bgcolor = '
                                   '1;</script>US real estate (REITs)</div>')


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple[dict, str]]:
    out = {}
    for name in sorted(EXAMPLE_PROFILES):
        data = report_data(build_plan(load_example_profile(name), settings=FAST))
        out[name] = (data, render_report_body(data))
    return out


@pytest.mark.slow
def test_the_report_and_the_ips_show_no_internal_identifier(rendered):
    ids = _identifiers()
    for name, (data, body) in rendered.items():
        for page in (body, render_ips_body(ips_data(data))):
            text = visible_text(page)
            found = sorted(set(SNAKE.findall(text)))
            assert not found, (name, found)
            quoted = {i for i in ids if f'"{i}"' in page or f"'{i}'" in page}
            assert not quoted, (name, quoted)  # not in chart data or attributes either
        # every held fund appears with its asset class in words
        for line in data["plan"]["household"]["allocation"]:
            assert html_lib.escape(lb.asset_class_label(line["asset_class"])) in body


@pytest.mark.slow
def test_esg_section_only_for_clients_with_esg_preferences(rendered):
    for name, (data, body) in rendered.items():
        prefs = load_example_profile(name).preferences
        expressed = bool(prefs.excluded_sectors or prefs.min_esg_score is not None
                         or prefs.esg_tilt > 0 or prefs.esg_preset not in (None, "none"))
        assert ('id="h-esg"' in body) == expressed, name
        if not expressed:
            assert "ESG" not in visible_text(body), name


@pytest.mark.slow
@pytest.mark.parametrize("preference", [{"excluded_sectors": ("tobacco",)},
                                        {"min_esg_score": 40}, {"esg_tilt": 0.01},
                                        {"esg_preset": "exclusions_only"}])
def test_each_kind_of_esg_preference_brings_the_section(preference):
    base = load_example_profile("young_saver")  # no ESG preference (its section is checked
    assert not base.preferences.excluded_sectors  # above, from the rendered fixture)
    prefs = base.preferences.model_copy(update=preference)
    plan = build_plan(base.model_copy(update={"preferences": prefs}),
                      settings=FAST.model_copy(update={"goal_paths": 0}))
    body = render_report_body(report_data(plan))
    assert 'id="h-esg"' in body
    assert not SNAKE.findall(visible_text(body))
