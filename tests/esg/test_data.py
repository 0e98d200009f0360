"""ESG data model: scales, loading user tables, the illustrative rule, screened funds."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from tailorfolio.errors import DataError
from tailorfolio.esg import (
    EsgScale,
    ScoreDirection,
    apply_esg_scores,
    esg_scores_from_frame,
    illustrative_pillar_scores,
    screened_funds_table,
    sp500_sample_universe,
    with_esg_funds,
)
from tailorfolio.market import default_market
from tests.tolerances import CLOSED_FORM_RTOL


def test_scale_maps_linearly_and_inverts_risk_ratings():
    assert EsgScale(0, 10).to_internal(7.5) == pytest.approx(75.0, rel=CLOSED_FORM_RTOL)
    risk = EsgScale(0, 50, ScoreDirection.HIGHER_IS_WORSE)
    assert risk.to_internal(0) == 100.0
    assert risk.to_internal(50) == 0.0
    assert risk.to_internal(12.5) == pytest.approx(75.0, rel=CLOSED_FORM_RTOL)
    assert risk.to_internal(80) == 0.0  # clipped to the scale's end
    assert "higher is worse" in risk.describe()


def test_empty_scale_is_rejected():
    with pytest.raises(DataError, match="empty or not finite"):
        EsgScale(10, 10)


def test_scores_from_frame_reads_aliases_and_reports_clipping():
    df = pd.DataFrame({"Symbol": ["aaa", "BBB", "CCC"], "Total": [2.0, 9.0, 11.0],
                       "E": [1.0, None, 5.0], "carbon_intensity": [120.0, None, 15.5]})
    t = esg_scores_from_frame(df, EsgScale(0, 10))
    assert list(t.frame.index) == ["AAA", "BBB", "CCC"]
    np.testing.assert_allclose(t.frame["esg_score"], [20.0, 90.0, 100.0])
    assert np.isnan(t.frame.at["BBB", "esg_e"])
    assert np.isnan(t.frame.at["AAA", "esg_s"])  # absent column → unknown
    assert t.frame.at["CCC", "carbon_intensity"] == 15.5  # carbon is not rescaled
    assert t.clipped == ("CCC",)


@pytest.mark.parametrize("frame, match", [
    (pd.DataFrame({"name": ["x"], "esg_score": [1.0]}), "ticker column"),
    (pd.DataFrame({"ticker": ["x"], "rating": ["AA"]}), "no score column"),
    (pd.DataFrame({"ticker": ["x", "X"], "esg_score": [1, 2]}), "more than once"),
    (pd.DataFrame({"ticker": ["x", "y"], "esg_score": ["AA", 3]}), "not a number"),
    (pd.DataFrame({"ticker": ["x"], "carbon_intensity": [-1.0]}), "negative"),
])
def test_bad_esg_tables_name_the_problem(frame, match):
    with pytest.raises(DataError, match=match):
        esg_scores_from_frame(frame)


def test_apply_scores_replaces_all_by_default():
    uni = default_market().universe
    t = esg_scores_from_frame(pd.DataFrame({"ticker": ["VTI"], "esg_score": [55.0]}))
    replaced = apply_esg_scores(uni, t)
    assert replaced["VTI"].esg_score == 55.0
    assert replaced["BND"].esg_score is None  # no mixing of vendor and illustrative scores
    kept = apply_esg_scores(uni, t, replace_all=False)
    assert kept["BND"].esg_score == uni["BND"].esg_score


def test_default_scores_follow_the_documented_rule():
    """Every bundled illustrative score is reproduced by the rule in _illustrative.py."""
    m = default_market()
    from importlib import resources
    text = resources.files("tailorfolio.market").joinpath(
        "data", "default_esg_illustrative.csv").read_text("utf-8")
    table = pd.read_csv(io.StringIO(text)).set_index("ticker")
    assert list(table.index) == m.tickers
    for a in m.universe:
        e, s, g, total = illustrative_pillar_scores(a.activities,
                                                    table.at[a.ticker, "emerging_share"])
        assert (a.esg_e, a.esg_s, a.esg_g, a.esg_score) == (e, s, g, total)
        assert a.carbon_intensity is None
    assert "NOT" in m.assumptions.sources["esg"]


def test_screened_funds_follow_their_parent_mix():
    base = default_market()
    ext = with_esg_funds(base)
    assert ext.tickers[:16] == base.tickers and ext.tickers[16:] == ["ESGV", "VSGX", "VCEB"]
    cov = ext.assumptions.covariance
    mu = ext.assumptions.expected_return
    tab = screened_funds_table().set_index("ticker")
    te = tab.at["ESGV", "tracking_error"]
    assert mu["ESGV"] == pytest.approx(mu["VTI"], rel=CLOSED_FORM_RTOL)
    assert cov.at["ESGV", "VTI"] == pytest.approx(cov.at["VTI", "VTI"], rel=1e-9)
    assert cov.at["ESGV", "ESGV"] == pytest.approx(cov.at["VTI", "VTI"] + te**2, rel=1e-9)
    assert mu["VSGX"] == pytest.approx(0.75 * mu["VEA"] + 0.25 * mu["VWO"], rel=1e-12)
    assert cov.at["VSGX", "BND"] == pytest.approx(
        0.75 * cov.at["VEA", "BND"] + 0.25 * cov.at["VWO", "BND"], rel=1e-9)
    assert np.linalg.eigvalsh(cov.to_numpy()).min() > 0
    for t in ("ESGV", "VSGX", "VCEB"):
        assert ext.universe[t].activities == ()
        assert ext.universe[t].esg_score is not None
    assert with_esg_funds(ext) is ext  # idempotent


def test_sp500_sample_has_gics_sectors_and_fossil_tags():
    uni = sp500_sample_universe()
    assert len(uni) == 20
    assert {a.ticker for a in uni if "fossil_fuels" in a.activities} == {"CVX", "XOM", "RRC"}
    assert uni["MSFT"].sector == "information_technology"
    assert all(a.esg_score is None for a in uni)  # no scores are bundled


def test_plan_input_hash_covers_every_esg_input():
    """Pillar scores and carbon intensity shape the plan's ESG report, so they are part of the
    reproducibility hash (Universe.to_frame feeds it)."""
    import dataclasses

    from tailorfolio.examples import load_example_profile
    from tailorfolio.planning import PlanSettings, input_hash

    m = default_market()
    prof = load_example_profile("young_saver")
    vti = m.universe["VTI"]
    changed = dataclasses.replace(m, universe=m.universe.with_assets(
        [dataclasses.replace(vti, carbon_intensity=150.0)]))
    s, d = PlanSettings(), prof.as_of
    assert input_hash(prof, m, s, d) != input_hash(prof, changed, s, d)
    frame = m.universe.to_frame()
    assert {"esg_e", "esg_s", "esg_g", "carbon_intensity"} <= set(frame.columns)


def test_universe_csv_carries_esg_columns(tmp_path):
    """ESG data can also come inside the user's universe file (internal 0-100 scale)."""
    from tailorfolio.io import load_universe

    p = tmp_path / "uni.csv"
    p.write_text("ticker,name,asset_class,broad_class,sector,activities,esg_score,esg_e,"
                 "carbon_intensity\n"
                 "AAA,A Co,us_equity,equity,energy,fossil_fuels,35,20,410.5\n"
                 "BBB,B Co,us_equity,equity,health_care,,72,,\n", encoding="utf-8")
    uni = load_universe(p)
    assert uni["AAA"].esg_score == 35 and uni["AAA"].esg_e == 20
    assert uni["AAA"].carbon_intensity == 410.5 and uni["AAA"].activities == ("fossil_fuels",)
    assert uni["BBB"].esg_e is None and uni["BBB"].carbon_intensity is None
