"""The baselines hold what they say; the transition tax and the placeholder's sleeve funding
add up."""

from __future__ import annotations

import numpy as np
import pytest

from tailorfolio.dynamic import GlidePath
from tailorfolio.personalization import (
    naive_transition,
    placeholder_spec,
    risk_only_spec,
    sixty_forty_spec,
    target_date_spec,
)
from tailorfolio.profile import parse_profile
from tests.tolerances import CLOSED_FORM_RTOL, MONEY_ATOL

EQUITY = {"VTI", "VEA", "VWO"}


def _profile(age: int, lots, *, taxable_cash: float = 0.0):
    answers = {"drop_reaction": 2, "max_annual_loss": 2, "portfolio_choice": 2, "objective": 2,
               "experience": 2, "self_assessment": 1, "sure_or_gamble": 1, "risk_word": 1}
    return parse_profile({
        "name": "t", "age": age, "as_of": "2025-06-30", "annual_income": 90_000,
        "annual_expenses": 60_000, "risk_questionnaire": answers,
        "tax_rates": {"ordinary": 0.22, "long_term_gains": 0.15, "state": 0.05},
        "goals": [{"name": "Retirement", "kind": "income", "amount": 30_000,
                   "years": max(1, 65 - age), "duration_years": 20, "priority": "essential",
                   "annual_contribution": 10_000},
                  {"name": "Car", "amount": 20_000, "years": 3, "priority": "important"}],
        "accounts": [{"name": "Brokerage", "type": "taxable", "cash": taxable_cash,
                      "lots": lots},
                     {"name": "IRA", "type": "traditional", "annual_contribution": 10_000,
                      "lots": [{"asset": "BND", "quantity": 1000, "cost_basis_per_share": 70,
                                "acquired": "2020-01-02"}]}],
    })


@pytest.fixture(scope="module")
def profile():
    return _profile(45, [{"asset": "VTI", "quantity": 200, "cost_basis_per_share": 200.0,
                          "acquired": "2019-01-02"},
                         {"asset": "VB", "quantity": 100, "cost_basis_per_share": 300.0,
                          "acquired": "2021-01-02"}])


def _equity_share(spec, market, step=0):
    w = spec.weights_path(0)[step]
    return sum(w[i] for i, t in enumerate(spec.tickers) if t in EQUITY)


def test_sixty_forty_and_target_date_hold_their_equity_share(profile, market) -> None:
    s = sixty_forty_spec(profile, market, profile.as_of)
    assert len(s.pots) == 1 and np.asarray(s.pots[0].weights).ndim == 1
    assert _equity_share(s, market) == pytest.approx(0.6, rel=CLOSED_FORM_RTOL)
    td = target_date_spec(profile, market, profile.as_of)
    glide = GlidePath.retirement()
    for years_on in (0, 10, 20, 27):
        assert _equity_share(td, market, 12 * years_on) == pytest.approx(
            float(glide.equity_share(20 - years_on)), rel=1e-9)
    # Every baseline shares the frame: bands, rebalancing-gains tax, the fee.
    for sp in (s, td, risk_only_spec(profile, market, profile.as_of)):
        assert sp.rebalance_band is not None and sp.tax.tax_rebalancing_gains
        assert sp.advisory_fee_bps == 25.0


def test_naive_transition_tax_by_hand(profile, market) -> None:
    """Target 60/40 VTI/BND: the taxable account sells all VB (a loss or gain at average cost)
    and the VTI above 60 % of the account; net gain taxed at 15 % + 5 %."""
    tickers = list(market.universe.tickers)
    target = np.zeros(len(tickers))
    target[tickers.index("VTI")], target[tickers.index("BND")] = 0.6, 0.4
    vti, vb = 200 * market.price_of("VTI"), 100 * market.price_of("VB")
    total = vti + vb
    sell_vti = max(0.0, vti - 0.6 * total)
    gain = sell_vti / vti * (vti - 200 * 200.0) + (vb - 100 * 300.0)
    tax, basis_after = naive_transition(profile, market, target)
    assert tax == pytest.approx(0.2 * max(gain, 0.0), abs=MONEY_ATOL)
    kept_basis = (1 - sell_vti / vti) * 200 * 200.0
    assert basis_after == pytest.approx(kept_basis + sell_vti + vb - tax, abs=MONEY_ATOL)
    spec = sixty_forty_spec(profile, market, profile.as_of)
    assert spec.transition_tax >= 0


def test_placeholder_funds_every_goal_pot_and_keeps_the_money(profile, market) -> None:
    spec = placeholder_spec(profile, market, profile.as_of)
    base = sixty_forty_spec(profile, market, profile.as_of)
    assert len(spec.pots) == len(profile.goals)
    total = sum(p.initial_total for p in spec.pots) + spec.transition_tax
    assert total == pytest.approx(sum(p.initial_total for p in base.pots) + base.transition_tax,
                                  rel=1e-9)
    car = spec.pots[[g.name for g in spec.goals].index("Car")]
    assert car.initial_balance[1] == 0  # dated goals take taxable money first
    # 0 % real: the car's pot held its amount before its share of the transition tax.
    taxable_after = sum(p.initial_balance[0] for p in spec.pots)
    before = car.initial_total * (taxable_after + spec.transition_tax) / taxable_after
    assert before == pytest.approx(20_000.0, rel=1e-9)
    # The car's sleeve de-risks toward its date; retirement keeps growth assets longer.
    w = np.asarray(car.weights)
    def growth(row: np.ndarray) -> float:
        return sum(row[i] for i, t in enumerate(spec.tickers)
                   if market.universe[t].broad_class in ("equity", "real_asset"))

    assert growth(w[0]) > growth(w[35]) >= 0
