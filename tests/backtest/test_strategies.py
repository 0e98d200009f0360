"""Strategies: HRP against skfolio, risk parity contributions, registry, plan mapping."""

from __future__ import annotations

import numpy as np
import pytest

from tailorfolio.backtest import check_no_lookahead, run_backtest
from tailorfolio.backtest.strategies import (
    FixedWeights,
    GlidePathStrategy,
    HierarchicalRiskParity,
    MeanVariance,
    MinimumVariance,
    RiskParity,
    hrp_weights,
    plan_strategy,
    risk_parity_weights,
    strategy_from_spec,
)
from tailorfolio.errors import ParameterError
from tests.tolerances import SOLVER_ATOL


@pytest.fixture(scope="module")
def industries():
    from tailorfolio.datasets import load_ff_industries

    return load_ff_industries().loc["1990":"2004"]


def test_hrp_matches_pyportfolioopt(industries):
    pytest.importorskip("pypfopt")
    from pypfopt import HRPOpt

    ref = HRPOpt(returns=industries).optimize(linkage_method="single")
    ours = hrp_weights(industries.cov().to_numpy(), distance_of_distance=False)
    np.testing.assert_allclose(ours, [ref[c] for c in industries.columns], rtol=1e-10)


def test_hrp_paper_variant_is_close_to_skfolio(industries):
    pytest.importorskip("skfolio")
    from skfolio.optimization import HierarchicalRiskParity as SkHRP

    ours = hrp_weights(industries.cov().to_numpy())
    ref = SkHRP().fit(industries).weights_
    # skfolio bisects along the dendrogram, not at the middle of the ordered list: the same
    # family of allocations, not the same numbers.
    assert np.abs(ours - ref).max() < 0.1
    assert (ours > 0).all()


def test_hrp_two_uncorrelated_assets_is_inverse_variance():
    cov = np.diag([0.04, 0.01])
    np.testing.assert_allclose(hrp_weights(cov), [0.2, 0.8], rtol=1e-12)


def test_risk_parity_equalises_contributions(rng):
    a = rng.normal(size=(6, 6))
    cov = a @ a.T + 6 * np.eye(6)
    w = risk_parity_weights(cov)
    rc = w * (cov @ w)
    np.testing.assert_allclose(rc / rc.sum(), np.full(6, 1 / 6), atol=1e-9)
    assert w.sum() == pytest.approx(1.0)


def test_min_variance_and_mean_variance_are_fully_invested(industries):
    r = industries.iloc[:80]
    for strat in (MinimumVariance(window=60), MeanVariance(risk_level=3, window=60),
                  HierarchicalRiskParity(window=60), RiskParity(window=60)):
        res = run_backtest(strat, r)
        np.testing.assert_allclose(res.targets.sum(axis=1), 1.0, atol=SOLVER_ATOL)
        assert (res.targets.to_numpy() > -SOLVER_ATOL).all()


def test_estimated_strategies_pass_the_lookahead_audit(industries):
    r = industries.iloc[:84]
    check_no_lookahead(lambda d: MinimumVariance(window=60), r, cutoff=r.index[70])
    check_no_lookahead(lambda d: HierarchicalRiskParity(window=60), r, cutoff=r.index[70])


def test_higher_risk_level_holds_riskier_portfolio():
    from tailorfolio.datasets import load_dataset

    ds = load_dataset("us-asset-classes").between("1990-01", "2001-12")
    lo = run_backtest(MeanVariance(risk_level=1, window=120), ds.returns, warmup_periods=120)
    hi = run_backtest(MeanVariance(risk_level=10, window=120), ds.returns, warmup_periods=120)
    assert hi.targets["US_Stocks"].mean() >= lo.targets["US_Stocks"].mean()


def test_plan_mapping_by_broad_class():
    s = plan_strategy({"equity": 0.5, "real_asset": 0.1, "bond": 0.3, "cash": 0.1},
                      {"S": "equity", "B": "bond", "C": "cash"})
    assert s.weights == pytest.approx({"S": 0.6, "B": 0.3, "C": 0.1})


def test_glide_path_strategy_declines_to_goal():
    from tailorfolio.datasets import load_dataset

    ds = load_dataset("us-asset-classes").between("1980-01", "2010-12")
    res = run_backtest(GlidePathStrategy("2010-12-31"), ds.returns,
                       broad_class=ds.broad_class)
    eq = res.targets["US_Stocks"]
    assert eq.iloc[0] == pytest.approx(0.9, abs=0.02)
    assert eq.iloc[-1] == pytest.approx(0.5, abs=0.01)
    assert (np.diff(eq.to_numpy()) <= 1e-12).all()


@pytest.mark.parametrize("spec, name", [("1/n", "1/N"), ("hrp", "HRP"),
                                        ("mv:7", "mean-variance risk 7"),
                                        ("bl-ml:gbm", "Black–Litterman + ML (gbm)")])
def test_registry(spec, name):
    assert strategy_from_spec(spec).name == name


def test_registry_errors_name_the_choices():
    with pytest.raises(ParameterError, match="Unknown strategy 'nope'") as e:
        strategy_from_spec("nope")
    assert "hrp" in e.value.expected
    with pytest.raises(ParameterError, match="profile"):
        strategy_from_spec("plan")


def test_fixed_weights_validate():
    with pytest.raises(ParameterError, match="sum to 1"):
        FixedWeights({"a": 0.5})
