"""The tax commands and the plan's account section on the bundled examples."""

from __future__ import annotations

from importlib import resources

import pytest
from typer.testing import CliRunner

from tailorfolio.cli.app import app
from tailorfolio.examples import load_example_profile
from tailorfolio.planning._build import build_plan

runner = CliRunner()
FAMILY = str(resources.files("tailorfolio.examples").joinpath("family.yaml"))
TXS = str(resources.files("tailorfolio.examples").joinpath("example_transactions.csv"))


def test_ledger_command_prints_8949_rows():
    res = runner.invoke(app, ["ledger", TXS], env={"COLUMNS": "220"})
    assert res.exit_code == 0, res.output
    assert "Part I" in res.output and "Part II" in res.output
    assert "wash-sale adjustments 680.00" in res.output
    assert "400.00 permanently lost" in res.output
    assert "235.63" in res.output  # 0.8125 × 290 = 235.625, rounded half up as on the form
    assert "Schedule D by year" in res.output


def test_harvest_command_lists_family_losses():
    res = runner.invoke(app, ["harvest", FAMILY, "--as-of", "2025-06-30"],
                        env={"COLUMNS": "220"})
    assert res.exit_code == 0, res.output
    assert "AGG" in res.output and "IEMG" in res.output and "2025-07-31" in res.output


@pytest.mark.slow
def test_rebalance_command_respects_max_tax():
    res = runner.invoke(app, ["rebalance", FAMILY, "--max-tax", "0"], env={"COLUMNS": "220"})
    assert res.exit_code == 0, res.output
    assert "Joint brokerage" in res.output


def test_family_plan_has_account_plans_with_taxes(market):
    plan = build_plan(load_example_profile("family"), market)
    names = [a.account for a in plan.account_plans]
    assert names == ["Joint brokerage", "401(k)", "Roth IRA"]
    for ap in plan.account_plans:
        assert sum(ap.holdings_after.values()) + ap.cash_after == pytest.approx(ap.value,
                                                                                rel=1e-6)
        sold = {s.asset for s in ap.sales}
        bought = {p.asset for p in ap.purchases}
        assert not sold & bought
    tax = plan.accounts.tax
    assert tax.location_after_tax_value >= tax.pro_rata_after_tax_value
    assert plan.to_json()  # serialisable


def test_max_tax_zero_realizes_no_net_tax(market):
    from tailorfolio.tax._plan_stage import plan_accounts
    from tailorfolio.tax._rebalance import RebalanceSettings

    fam = load_example_profile("family")
    plan = build_plan(fam, market)
    plans, _, _ = plan_accounts(fam, market, plan.weights, fam.as_of,
                                settings=RebalanceSettings(max_tax=0.0))
    taxable = plans[0]
    assert taxable.account_type == "taxable"
    assert taxable.estimated_tax <= 0.005
    assert all(s.quantity <= next(l.quantity for a in fam.accounts for l in a.lots
                                  if f":{l.asset}:" in s.lot_id and s.lot_id.startswith(a.name))
               + 1e-9 for s in taxable.sales)
