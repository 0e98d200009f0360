"""Bad arguments at the optimizer's public boundary: typed errors that name the argument,
the value, what was expected and the fix — never an AttributeError or LinAlgError from deep
code, and never the profile's wording for bounds set on the API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailorfolio.errors import DataError, InfeasibleError, MissingAssetsError, ParameterError
from tailorfolio.optimize import ConstraintSet, GroupBound, PortfolioOptimizer, unconstrained

OPT = PortfolioOptimizer()


def _build(**kw):
    from tailorfolio.market import default_market
    from tailorfolio.optimize import constraints_from_preferences
    from tailorfolio.profile import Preferences

    args = {"universe": default_market().universe, "preferences": Preferences()} | kw
    return constraints_from_preferences(args.pop("universe"), args.pop("preferences"), **args)


@pytest.fixture(scope="module")
def est(market):
    a = market.assumptions
    return a.expected_return, a.covariance, unconstrained(market.universe), market.tickers


def _asym(cov):
    c = cov.copy()
    c.iloc[0, 1] += 0.01
    return c


def _indefinite(cov):
    c = cov.copy()
    v = 3 * np.sqrt(c.iloc[0, 0] * c.iloc[1, 1])
    c.iloc[0, 1] = c.iloc[1, 0] = v
    return c


# (label, call(mu, cov, cs, tickers), error type, field, regex the message must match)
CASES = [
    ("list expected_return", lambda mu, cov, cs, t: OPT.optimize(list(mu), cov, cs,
                                                                   risk_aversion=3),
     ParameterError, "expected_return", r"pandas Series.*Got \[0\.\d+.*\(list\).*pd\.Series"),
    ("ndarray covariance", lambda mu, cov, cs, t: OPT.optimize(mu, cov.to_numpy(), cs,
                                                                 risk_aversion=3),
     ParameterError, "covariance", r"DataFrame.*\(ndarray\)"),
    ("list constraints", lambda mu, cov, cs, t: OPT.optimize(mu, cov, t, risk_aversion=3),
     ParameterError, "constraints", r"ConstraintSet.*unconstrained"),
    ("missing ticker", lambda mu, cov, cs, t: OPT.optimize(mu.iloc[1:], cov, cs,
                                                             risk_aversion=3),
     MissingAssetsError, "expected_return", r"No expected return for \['VTI'\]"),
    ("covariance missing a ticker", lambda mu, cov, cs, t: OPT.optimize(
        mu, cov.iloc[1:, 1:], cs, risk_aversion=3),
     MissingAssetsError, "covariance", r"covariance row and column"),
    ("duplicate tickers", lambda mu, cov, cs, t: OPT.optimize(
        pd.concat([mu, mu.iloc[:1]]), cov, cs, risk_aversion=3),
     DataError, "expected_return", r"more than once.*VTI"),
    ("NaN expected return", lambda mu, cov, cs, t: OPT.optimize(
        mu.where(mu.index != "VEA"), cov, cs, risk_aversion=3),
     DataError, "expected_return", r"NaN or infinite.*VEA"),
    ("inf covariance", lambda mu, cov, cs, t: OPT.optimize(
        mu, cov.mask(cov.index.to_series().eq("VTI").to_numpy()[:, None] & np.eye(len(cov),
                                                                               dtype=bool),
                     np.inf), cs, risk_aversion=3),
     DataError, "covariance", r"NaN or infinite.*VTI"),
    ("asymmetric covariance", lambda mu, cov, cs, t: OPT.optimize(mu, _asym(cov), cs,
                                                                    risk_aversion=3),
     DataError, "covariance", r"not symmetric.*largest asymmetry 0\.01.*repair_covariance"),
    ("indefinite covariance", lambda mu, cov, cs, t: OPT.optimize(mu, _indefinite(cov), cs,
                                                                    risk_aversion=3),
     DataError, "covariance",
     r"not positive semidefinite: its smallest eigenvalue is -\d.*repair_covariance"),
    ("empty universe", lambda mu, cov, cs, t: OPT.optimize(
        mu, cov, ConstraintSet([], np.zeros(0), np.zeros(0)), risk_aversion=3),
     DataError, "constraints.tickers", r"universe is empty"),
    ("unconstrained([])", lambda mu, cov, cs, t: unconstrained([]),
     DataError, "universe", r"universe is empty"),
    ("unconstrained(a string)", lambda mu, cov, cs, t: unconstrained("VTI"),
     ParameterError, "universe", r"Universe or a list of tickers\. Got 'VTI' \(str\)"),
    ("unconstrained with duplicates", lambda mu, cov, cs, t: unconstrained(["VTI", "VTI"]),
     DataError, "universe", r"more than once: \['VTI'\]"),
    ("negative volatility ceiling", lambda mu, cov, cs, t: cs.with_volatility_cap(-0.1),
     ParameterError, "max_volatility", r"> 0\. Got -0\.1"),
    ("builder: a dict for preferences", lambda mu, cov, cs, t: _build(preferences={}),
     ParameterError, "preferences", r"must be a Preferences\. Got \{\} \(dict\)"),
    ("builder: a list for the universe", lambda mu, cov, cs, t: _build(universe=t),
     ParameterError, "universe", r"must be a Universe"),
    ("builder: cash reserve above 1", lambda mu, cov, cs, t: _build(cash_reserve_weight=1.5),
     ParameterError, "cash_reserve_weight", r"at most 1"),
    ("builder: NaN ceiling", lambda mu, cov, cs, t: _build(max_volatility=float("nan")),
     ParameterError, "max_volatility", r"Got nan"),
    ("builder: negative class cap", lambda mu, cov, cs, t: _build(
        default_class_caps={"real_estate": -0.1}),
     ParameterError, "default_class_caps['real_estate']", r">= 0\. Got -0\.1"),
    ("negative risk aversion", lambda mu, cov, cs, t: OPT.optimize(mu, cov, cs,
                                                                     risk_aversion=-1),
     ParameterError, "risk_aversion", r"finite number >= 0\. Got -1"),
    ("string risk aversion", lambda mu, cov, cs, t: OPT.optimize(mu, cov, cs,
                                                                   risk_aversion="3"),
     ParameterError, "risk_aversion", r"Got '3' \(str\)"),
    ("missing risk aversion", lambda mu, cov, cs, t: OPT.optimize(mu, cov, cs),
     ParameterError, "risk_aversion", r"required for max_utility"),
    ("inf risk aversion", lambda mu, cov, cs, t: OPT.optimize(mu, cov, cs,
                                                                risk_aversion=float("inf")),
     ParameterError, "risk_aversion", r"Got inf"),
    ("unknown objective", lambda mu, cov, cs, t: OPT.optimize(mu, cov, cs,
                                                                objective="max_fun" * 40),
     ParameterError, "objective", r"one of \['max_utility'.*Got 'max_funmax_fun.*…"),
    ("objective as a list", lambda mu, cov, cs, t: OPT.optimize(mu, cov, cs, objective=[1]),
     ParameterError, "objective", r"Got \[1\]"),
    ("target as a string", lambda mu, cov, cs, t: OPT.optimize(
        mu, cov, cs, objective="target_volatility", target="10%"),
     ParameterError, "target", r"finite positive number\. Got '10%'"),
    ("NaN risk-free rate", lambda mu, cov, cs, t: OPT.optimize(
        mu, cov, cs, objective="max_sharpe", risk_free_rate=float("nan")),
     ParameterError, "risk_free_rate", r"finite number\. Got nan"),
    ("negative cost rate", lambda mu, cov, cs, t: PortfolioOptimizer(with_costs=True).optimize(
        mu, cov, cs, risk_aversion=3, cost_rate=-0.01),
     ParameterError, "cost_rate", r">= 0.*Got -0\.01"),
    ("current weights as a list", lambda mu, cov, cs, t: PortfolioOptimizer(
        with_costs=True).optimize(mu, cov, cs, risk_aversion=3, current_weights=[0.5, 0.5]),
     ParameterError, "current_weights", r"pandas Series.*\(list\)"),
    ("negative turnover cap", lambda mu, cov, cs, t: PortfolioOptimizer(
        with_costs=True).optimize(mu, cov, cs, risk_aversion=3, max_turnover=-0.1),
     ParameterError, "max_turnover", r">= 0\. Got -0\.1"),
    ("lower bounds of the wrong length", lambda mu, cov, cs, t: OPT.optimize(
        mu, cov, ConstraintSet(t, np.zeros(3), np.ones(len(t))), risk_aversion=3),
     ParameterError, "constraints.lower", r"must be 16 finite weights"),
    ("negative lower bound", lambda mu, cov, cs, t: OPT.optimize(
        mu, cov, ConstraintSet(t, np.r_[-0.1, np.zeros(len(t) - 1)], np.ones(len(t))),
        risk_aversion=3),
     ParameterError, "constraints.lower", r"long-only"),
    ("frontier: float n_points", lambda mu, cov, cs, t: OPT.frontier(mu, cov, cs,
                                                                       n_points=2.5),
     ParameterError, "n_points", r"integer in \[2, 10000\]\. Got 2\.5 \(float\)"),
    ("frontier: 0 points", lambda mu, cov, cs, t: OPT.frontier(mu, cov, cs, n_points=0),
     ParameterError, "n_points", r"Got 0"),
    ("frontier: list expected_return", lambda mu, cov, cs, t: OPT.frontier(list(mu), cov, cs),
     ParameterError, "expected_return", r"pandas Series"),
    ("frontier: indefinite covariance", lambda mu, cov, cs, t: OPT.frontier(
        mu, _indefinite(cov), cs), DataError, "covariance", r"positive semidefinite"),
    ("frontier: empty universe", lambda mu, cov, cs, t: OPT.frontier(
        mu, cov, ConstraintSet([], np.zeros(0), np.zeros(0))),
     DataError, "constraints.tickers", r"empty"),
    ("kkt tolerance <= 0", lambda mu, cov, cs, t: PortfolioOptimizer(kkt_tolerance=0),
     ParameterError, "kkt_tolerance", r"> 0\. Got 0"),
]


@pytest.mark.parametrize("label, call, error, field, pattern", CASES,
                         ids=[c[0] for c in CASES])
def test_bad_arguments_raise_typed_errors_naming_the_field(est, label, call, error, field,
                                                           pattern) -> None:
    mu, cov, cs, tickers = est
    with pytest.raises(error, match=pattern) as info:
        call(mu, cov, cs, tickers)
    err = info.value
    assert err.field == field
    assert err.fix, "every boundary error says how to fix it"
    assert len(str(err.value)) <= 200, "the value is truncated, never echoed whole"


# Bounds set on the API that conflict: say that these bounds conflict, and by how much.
def test_minimum_weights_summing_above_one(est) -> None:
    mu, cov, _, t = est
    cs = ConstraintSet(t, np.full(len(t), 0.1), np.ones(len(t)))
    with pytest.raises(InfeasibleError, match=r"minimum weights conflict: they sum to 160 %.*"
                                              r"by 60 %") as info:
        OPT.optimize(mu, cov, cs, risk_aversion=3)
    assert info.value.field == "constraints.lower"
    assert info.value.conflicts[0].violation == pytest.approx(0.6)
    assert "profile" not in str(info.value)


def test_maximum_weights_summing_below_one(est) -> None:
    mu, cov, _, t = est
    with pytest.raises(InfeasibleError, match=r"maximum weights conflict: they sum to 80 %.*"
                                              r"by 20 %") as info:
        OPT.optimize(mu, cov, ConstraintSet(t, np.zeros(len(t)), np.full(len(t), 0.05)),
                     objective="min_variance")
    assert info.value.field == "constraints.upper"


def test_crossed_bounds_of_one_asset(est) -> None:
    mu, cov, _, t = est
    lo, up = np.zeros(len(t)), np.ones(len(t))
    lo[0], up[0] = 0.3, 0.2
    with pytest.raises(InfeasibleError, match=r"bounds of VTI conflict.*30 %.*20 %.*10 % lower"):
        OPT.optimize(mu, cov, ConstraintSet(t, lo, up), risk_aversion=3)


def test_class_minimum_against_api_maxima_names_both(est) -> None:
    mu, cov, _, t = est
    n = len(t)
    g = GroupBound("first3", "asset_class", np.r_[np.ones(3), np.zeros(n - 3)], 0.5, 1.0)
    cs = ConstraintSet(t, np.zeros(n), np.full(n, 0.1), groups=(g,))
    with pytest.raises(InfeasibleError) as info:
        OPT.optimize(mu, cov, cs, risk_aversion=3)
    msg = str(info.value)
    assert "constraints.upper" in msg and "constraints.groups['first3'].min" in msg
    assert "can reach at most 30.0 %" in msg and "short by 20.0 %" in msg
    assert "profile" not in msg


def test_unreachable_return_target_states_the_maximum(est) -> None:
    mu, cov, cs, _ = est
    with pytest.raises(InfeasibleError, match=r"target return 50\.0000% is above the highest "
                                              r"expected return the constraints allow, "
                                              r"\d+\.\d{4}%") as info:
        OPT.optimize(mu, cov, cs, objective="target_return", target=0.5)
    assert info.value.field == "target"


def test_singular_but_psd_covariance_is_accepted(est) -> None:
    mu, cov, _, t = est
    # Two identical assets: Σ is singular (PSD), which is a valid input.
    c = cov.copy()
    c.iloc[1, :] = c.iloc[0, :].to_numpy()
    c.iloc[:, 1] = c.iloc[:, 0].to_numpy()
    r = OPT.optimize(mu, c, unconstrained(t), objective="min_variance")
    assert r.weights.sum() == pytest.approx(1.0)


def test_psd_check_at_both_sizes() -> None:
    """Small Σ: a Cholesky factor, then the eigenvalues; large Σ: the shifted factor, then
    the eigenvalues. Both accept a singular PSD matrix (more assets than observations) and
    reject one with an eigenvalue below −1e-10 of the largest, naming it."""
    import pandas as pd

    from tailorfolio.errors import DataError
    from tailorfolio.optimize import unconstrained
    from tailorfolio.optimize._validate import SMALL_PSD_CHECK, check_estimates

    rng = np.random.default_rng(4)
    for n in (20, SMALL_PSD_CHECK + 50):
        tickers = [f"T{i}" for i in range(n)]
        x = rng.normal(size=(n // 2, n))
        singular = x.T @ x / n  # rank n/2
        mu = pd.Series(np.full(n, 0.05), index=tickers)
        cs = unconstrained(tickers)
        check_estimates(mu, pd.DataFrame(singular, index=tickers, columns=tickers), cs)
        vals, vecs = np.linalg.eigh(singular)
        vals[0] = -1e-6 * vals[-1]
        bad = (vecs * vals) @ vecs.T
        bad = (bad + bad.T) / 2
        with pytest.raises(DataError, match="not positive semidefinite"):
            check_estimates(mu, pd.DataFrame(bad, index=tickers, columns=tickers), cs)
